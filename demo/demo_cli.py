"""Command-line parts shared by the inference demos (``demo/{image,det,seg}_demo.py``).

Each demo adds its own options after :func:`add_common_args`, reads the config with
:func:`load_config` and hands its results to :func:`write_results`, which prints a line per image
and writes or prints the JSON. The demos run as scripts, so this module, beside them, is found
on ``sys.path`` (``from demo_cli import ...``); it is no part of the ``sar_mm`` package, whose
inferencers (:mod:`sar_mm.apis`) the demos call.
"""
import json
import os
import os.path as osp
from typing import Callable, Optional, Sequence

from mmengine.config import Config, DictAction


def add_common_args(parser,
                    model: str,
                    show_help: str,
                    cfg_options_help: str = 'override settings of the config'):
    """Add the inputs, model and output options every demo takes.

    Args:
        parser (argparse.ArgumentParser): the demo's parser.
        model (str): what the config describes, e.g. ``'detector'`` (in the ``config`` help).
        show_help (str): help of ``--show-dir`` (what the pictures show).
        cfg_options_help (str): help of ``--cfg-options``.

    Returns:
        argparse.ArgumentParser: ``parser``, with ``img``, ``config``, ``checkpoint``,
        ``--device``, ``--show-dir``, ``--out``, ``--batch-size`` and ``--cfg-options``.
    """
    parser.add_argument('img', help='a SAR image file or a folder (searched recursively)')
    parser.add_argument('config', help=f'the {model} config')
    parser.add_argument('checkpoint', help='the trained checkpoint')
    parser.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument('--show-dir', help=show_help)
    parser.add_argument('--out', help='write the results to this JSON file')
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward pass')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help=cfg_options_help)
    return parser


def load_config(args):
    """The config ``args.config`` with ``args.cfg_options`` merged in."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def write_results(results: Sequence[dict],
                  describe: Callable[[dict], str],
                  out: Optional[str] = None,
                  **written_dirs: Optional[str]) -> None:
    """Print one line per image, then write the results as JSON to ``out`` or print them.

    Args:
        results (list[dict]): JSON-serialisable result of each image (``img_path`` if known).
        describe (callable): the text after ``"<img_path>: "`` on an image's line.
        out (str, optional): JSON file to write (its folder is created); printed when None.
        **written_dirs: ``name=folder`` pairs announced as ``"<name> written to <folder>"``
            (in the given order) when the folder is set, e.g. ``pictures=args.show_dir``.
    """
    for result in results:
        print(f'{result.get("img_path", "<array>")}: {describe(result)}')
    for name, folder in written_dirs.items():
        if folder:
            print(f'{name} written to {folder}')
    if out:
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        with open(out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'{len(results)} results written to {out}')
    else:
        print(json.dumps(results, indent=2))
