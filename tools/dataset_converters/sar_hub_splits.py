"""Write SAR-HUB's published MSTAR / FUSAR-Ship / OpenSARShip splits as sar_mm list files.

    python tools/dataset_converters/sar_hub_splits.py {mstar,fusar,opensarship} \
        --sar-hub SAR-HUB --data-root DATA [--out-dir DIR] [--lists NAME ...] \
        [--include GLOB ...] [--exclude GLOB ...] [--allow-missing]

``--sar-hub`` is a clone of github.com/XAI4SAR/SAR-HUB (its lists are not redistributed with
sar_mm: the repository has no licence); ``--data-root`` your copy of the dataset, in any folder
layout that keeps the release's file names. One list per SAR-HUB list is written to
``--out-dir`` (default ``DATA/splits/sar-hub``, where the configs
``configs/_base_/datasets/*_sar-hub-split.py`` look), under SAR-HUB's file names:

- ``mstar``: ``train.txt`` (17 deg, 2747 chips), ``test.txt`` (15 deg, 2425), ``train_10.txt``
  (268) and ``train_30.txt`` (817);
- ``fusar``: ``FuSAR_train6.txt`` (1678), ``FuSAR_test6.txt`` (1662), six ship types;
- ``opensarship``: ``{low,medium,large}_{train,test}.txt``, 14 AIS types, VV chips (pass
  ``--include "*/Patch_Uint8/*"`` when the release's ``Patch`` and ``Patch_Cal`` copies are
  under the data root too).

How entries are matched to files: :mod:`sar_mm.datasets.converters.sar_hub_splits`.
"""
import argparse


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dataset', choices=['mstar', 'fusar', 'opensarship'])
    parser.add_argument(
        '--sar-hub',
        required=True,
        help='a clone of github.com/XAI4SAR/SAR-HUB (or its Fine-tuning/Target_recognition/'
        'data/<MSTAR|FSS|OSS> folder)')
    parser.add_argument('--data-root', required=True, help='your copy of the dataset')
    parser.add_argument(
        '--out-dir', help='where the lists are written (default: DATA_ROOT/splits/sar-hub)')
    parser.add_argument(
        '--lists', nargs='+', help="SAR-HUB list files to convert (default: all of the set's)")
    parser.add_argument(
        '--include',
        nargs='+',
        help='fnmatch patterns of the files (path relative to the data root) to match')
    parser.add_argument('--exclude', nargs='+', help='fnmatch patterns of files to ignore')
    parser.add_argument(
        '--allow-missing',
        action='store_true',
        help='write the lists without the entries that have no file (listed as comments)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from sar_mm.datasets.converters import SARHubSplitError, write_sar_hub_splits
    try:
        summary = write_sar_hub_splits(
            args.sar_hub,
            args.data_root,
            args.dataset,
            out_dir=args.out_dir,
            lists=args.lists,
            include=args.include,
            exclude=args.exclude,
            allow_missing=args.allow_missing)
    except (SARHubSplitError, FileNotFoundError) as err:
        raise SystemExit(f'sar_hub_splits: error: {err}')
    for name, info in summary.items():
        counts = ', '.join(f'{c} {n}' for c, n in sorted(info['counts'].items()))
        missing = f', {info["missing"]} missing' if info['missing'] else ''
        print(f'{name}: {info["written"]} of {info["entries"]} chips{missing} -> {info["path"]}'
              f' ({counts})')


if __name__ == '__main__':
    main()
