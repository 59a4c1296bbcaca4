"""Check that the wheels prepare_wheels.sh carried, with the GPU machine's own packages, satisfy
every requirement of sar_mm's OpenMMLab stack for one Python version.

    python benchmarks/gpu/check_wheels.py WHEELS PY_VERSION DEVICE_PACKAGES

Reads ``WHEELS/requirements-cpXY.txt``, finds each wheel, evaluates the markers of its
``Requires-Dist`` for Linux x86-64 and Python ``PY_VERSION`` (extras left out) and reports, by
name, every requirement that is neither carried nor in ``DEVICE_PACKAGES``. The mmcv sdist's
requirements are checked too. Exits 1 when something is missing.
"""
import glob
import os.path as osp
import re
import sys
import zipfile

from packaging.requirements import Requirement

# mmcv 2.1.0's install_requires (its sdist is compiled on the GPU machine)
MMCV_REQUIRES = ('addict', 'mmengine>=0.3.0', 'numpy', 'packaging', 'Pillow', 'pyyaml', 'yapf',
                 'opencv-python>=3')
# a requirement satisfied by another distribution of the same module
PROVIDED_BY = {'opencv-python': ('opencv-python-headless', 'opencv-contrib-python')}
# installed on the GPU machine with torch itself, never carried
WITH_TORCH = ('torch', 'torchvision')


def norm(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def wheel_requires(path):
    with zipfile.ZipFile(path) as zf:
        meta = next(n for n in zf.namelist() if n.endswith('.dist-info/METADATA'))
        text = zf.read(meta).decode('utf-8', 'replace')
    return [
        line.split(':', 1)[1].strip() for line in text.splitlines()
        if line.startswith('Requires-Dist:')
    ]


def find_wheel(folder, name, version):
    stem = re.sub(r'[-_.]+', '_', name).lower()
    for path in glob.glob(osp.join(folder, '*.whl')):
        base = osp.basename(path).lower()
        if base.startswith(f'{stem}-{version.lower()}-'):
            return path
    return None


def main(folder, py_version, device_list):
    tag = 'cp' + py_version.replace('.', '')
    with open(osp.join(folder, f'requirements-{tag}.txt')) as f:
        carried = dict(line.strip().split('==') for line in f if line.strip())
    with open(device_list) as f:
        device = {norm(line.split('#')[0].strip()) for line in f if line.split('#')[0].strip()}
    have = {norm(n) for n in carried} | device | set(WITH_TORCH)
    env = dict(
        python_version=py_version,
        python_full_version=py_version + '.0',
        sys_platform='linux',
        platform_system='Linux',
        platform_machine='x86_64',
        os_name='posix',
        implementation_name='cpython',
        platform_python_implementation='CPython',
        extra='')
    missing = []
    sources = [('mmcv (sdist)', list(MMCV_REQUIRES))]
    for name, version in carried.items():
        path = find_wheel(folder, name, version)
        if path is None:
            missing.append(f'{name}=={version}: wheel not found in {folder}')
            continue
        sources.append((f'{name}=={version}', wheel_requires(path)))
    for source, requires in sources:
        for text in requires:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            alternatives = (norm(req.name), ) + tuple(PROVIDED_BY.get(norm(req.name), ()))
            if not any(a in have for a in alternatives):
                missing.append(f'{req} (needed by {source})')
    if missing:
        print(f'[check_wheels] {tag}: missing:\n  ' + '\n  '.join(missing))
        return 1
    print(f'[check_wheels] {tag}: the {len(carried)} carried wheels and the GPU machine\'s '
          'packages satisfy every requirement')
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
