"""The tree passes flake8, isort and yapf with the settings of setup.cfg (as ``make lint``).

The three linters run at once over the tracked Python files (``git ls-files``; a walk of the tree
when git or the repository is absent). A file that passed all three is remembered in pytest's
cache under a digest of its path, its bytes, setup.cfg and the linter versions, so a rerun lints
only what changed; ``pytest --cache-clear`` lints everything. A small file with one violation
of each kind is linted beside the tree, so a linter that silently checks nothing fails the test.
"""
import hashlib
import os
import os.path as osp
import re
import subprocess
import sys
from importlib import metadata

import pytest

from .conftest import ROOT

LINTERS = ('flake8', 'isort', 'yapf')
SETUP_CFG = osp.join(ROOT, 'setup.cfg')
CACHE_KEY = 'sar_mm/lint_clean'
SKIP_DIRS = {'.git', '.venv', '__pycache__', 'build', 'dist', 'work_dirs', 'data'}
# one violation for each linter: unsorted imports (isort), an unused import (flake8 F401),
# a badly spaced call (yapf)
SAMPLE = 'import sys\nimport os\n\nprint( os.sep )\n'
# the file names each linter's report gives for a file it rejects
REPORTED = dict(
    flake8=re.compile(r'^(.+?):\d+:\d+: ', re.M),
    isort=re.compile(r'^ERROR: (.+?) Imports are incorrectly sorted', re.M),
    yapf=re.compile(r'^--- (.+?)\s+\(original\)$', re.M))


def python_files():
    """Tracked ``.py`` files, relative to the repo root."""
    try:
        out = subprocess.run(['git', 'ls-files', '-z', '--', '*.py'],
                             cwd=ROOT,
                             capture_output=True,
                             check=True).stdout.decode()
        files = [f for f in out.split('\0') if f and osp.isfile(osp.join(ROOT, f))]
        if files:
            return sorted(files)
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel = osp.relpath(dirpath, ROOT)
        dirnames[:] = [
            d for d in dirnames if d not in SKIP_DIRS and not d.endswith('.egg-info')
            and osp.join(rel, d) != osp.join('tests', 'data')
        ]
        files += [osp.normpath(osp.join(rel, f)) for f in filenames if f.endswith('.py')]
    return sorted(files)


def commands(files):
    """The ``make lint`` commands, with setup.cfg named explicitly."""
    py = [sys.executable, '-m']
    return dict(
        flake8=py + ['flake8', '--config', SETUP_CFG] + files,
        isort=py + ['isort', '--settings-path', SETUP_CFG, '--check-only'] + files,
        yapf=py + ['yapf', '--style', SETUP_CFG, '--diff', '--parallel'] + files)


def digests(files):
    """``{file: digest}`` of the file's path and bytes, setup.cfg and the linter versions."""
    with open(SETUP_CFG, 'rb') as f:
        salt = f.read() + ' '.join(metadata.version(n) for n in LINTERS).encode()
    out = {}
    for path in files:
        with open(osp.join(ROOT, path), 'rb') as f:
            out[path] = hashlib.sha256(salt + path.encode() + b'\0' + f.read()).hexdigest()
    return out


def _relpath(name):
    return osp.relpath(osp.abspath(osp.join(ROOT, name)), ROOT)


@pytest.fixture(scope='module')
def lint(request, tmp_path_factory):
    """``{linter: (return code, report, files it rejected)}`` over the changed files + sample."""
    missing = [n for n in LINTERS if not _installed(n)]
    if missing:
        pytest.fail(f'tests/test_lint.py: {", ".join(missing)} not installed; '
                    f'pip install -r requirements/tests.txt')
    sample = tmp_path_factory.mktemp('lint') / 'lint_sample.py'
    sample.write_text(SAMPLE)
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    clean = cache.get(CACHE_KEY, {}) if cache is not None else {}
    current = digests(python_files())
    todo = [f for f, d in current.items() if clean.get(f) != d]
    procs = {
        name:
        subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for name, cmd in commands(todo + [str(sample)]).items()
    }
    results = {}
    for name, proc in procs.items():
        report = proc.communicate(timeout=600)[0]
        rejected = {_relpath(f) for f in REPORTED[name].findall(report)}
        results[name] = (proc.returncode, report, rejected)
    if cache is not None and all(code in (0, 1) for code, _, _ in results.values()):
        bad = set().union(*(rejected for _, _, rejected in results.values()))
        cache.set(CACHE_KEY, {f: d for f, d in current.items() if f not in bad})
    results['sample'], results['sample_path'] = _relpath(str(sample)), str(sample)
    return results


def _without(report, path):
    """Lines of a linter's report less those about ``path`` (its messages and diff)."""
    out, skipping = [], False
    for line in report.splitlines():
        if line.startswith(('--- ', 'ERROR: ')) or REPORTED['flake8'].match(line):
            skipping = path in line
        if not skipping and path not in line:
            out.append(line)
    return out


def _installed(name):
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.parametrize('linter', LINTERS)
def test_linter_finds_the_sample_violation(lint, linter):
    code, report, rejected = lint[linter]
    assert lint['sample'] in rejected, (
        f'{linter} did not reject a file with a violation (exit {code}):\n{report[-3000:]}')


@pytest.mark.parametrize('linter', LINTERS)
def test_tree_is_clean(lint, linter):
    code, report, rejected = lint[linter]
    if code not in (0, 1):
        pytest.fail(f'{linter} failed to run (exit {code}):\n{report[-6000:]}')
    bad = sorted(rejected - {lint['sample']})
    if bad:
        lines = _without(report, lint['sample_path'])
        hint = dict(flake8='fix by hand', isort='isort FILES', yapf='yapf -i FILES')[linter]
        pytest.fail(f'{linter} rejects {len(bad)} file(s) ({hint}; settings in setup.cfg):\n' +
                    '\n'.join(bad) + '\n--- report ---\n' + '\n'.join(lines)[-8000:])


def test_setup_cfg_states_one_line_length():
    from configparser import ConfigParser
    cfg = ConfigParser()
    cfg.read(SETUP_CFG)
    limits = {
        cfg['flake8']['max-line-length'], cfg['isort']['line_length'], cfg['yapf']['column_limit']
    }
    assert limits == {'100'}, f'setup.cfg: one line length for the three linters, got {limits}'
    assert cfg['isort']['known_first_party'] == 'sar_mm'
