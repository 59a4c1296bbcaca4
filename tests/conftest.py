"""Shared fixtures: tiny synthetic SAR data (generated once per session) and tool runners."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys
import textwrap

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(autouse=True)
def isolated_default_scope():
    """Restore mmengine's default-scope stack after each test.

    mmdet's and mmseg's inferencers (and any Runner) leave their scope as the process's current
    one, and later registry builds without an explicit scope would then look names up there;
    in a user's process one codebase drives the run, here each test starts as a fresh one.
    """
    from mmengine.registry import DefaultScope
    saved = DefaultScope._instance_dict.copy()
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


@pytest.fixture
def logs():
    """Messages logged through mmengine's current logger during the test."""
    import logging

    from mmengine.logging import MMLogger
    records = []

    class _Collect(logging.Handler):

        def emit(self, record):
            records.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = _Collect(level=logging.DEBUG)
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def build_in_scope(scope, cfg):
    """Build a model config with ``scope`` (mmpretrain, mmdet, mmseg) as the default scope."""
    import copy

    from mmengine.registry import MODELS, DefaultScope
    with DefaultScope.overwrite_default_scope(scope):
        with MODELS.switch_scope_and_registry(scope) as registry:
            return registry.build(copy.deepcopy(cfg))


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    """The 'tiny' synthetic SAR sets: unlabeled/, vehicles/, ships/ (seed 0)."""
    from sar_mm.datasets.synthetic import make_synthetic_sar
    root = str(tmp_path_factory.mktemp('synthetic_sar'))
    make_synthetic_sar(root, preset='tiny', seed=0)
    return root


def run_tool(args, env=None, timeout=600, cwd=ROOT):
    """Run a command of the repo with this interpreter; return the CompletedProcess.

    Fails the test with the command's output when it exits non-zero.
    """
    full_env = dict(os.environ)
    full_env.update(env or {})
    cmd = [sys.executable] + list(args) if str(args[0]).endswith('.py') else list(args)
    proc = subprocess.run(
        cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f'command failed ({proc.returncode}): {" ".join(map(str, cmd))}\n'
                    f'--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n'
                    f'{proc.stderr[-6000:]}')
    return proc


def load_tool(relpath):
    """Import a script of the repo (``tools/...``, ``demo/...``) as a module, by its path.

    Scripts are no package, so tests reach their functions this way; the module is executed
    afresh on every call (its ``if __name__ == '__main__'`` block does not run).

    Args:
        relpath (str): path of the ``.py`` file relative to the repo root.
    """
    path = osp.join(ROOT, relpath)
    if not (path.endswith('.py') and osp.isfile(path)):
        raise FileNotFoundError(f'load_tool: {path} is not a Python file of the repo')
    spec = importlib.util.spec_from_file_location(osp.splitext(osp.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_config(path, base, body):
    """Write a config that inherits ``base`` (a path relative to the repo) plus ``body``."""
    text = f'_base_ = [{osp.join(ROOT, base)!r}]\n' + textwrap.dedent(body)
    with open(path, 'w') as f:
        f.write(text)
    return str(path)
