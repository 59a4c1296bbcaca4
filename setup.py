"""Install sar_mm: ``pip install -e .`` (the OpenMMLab codebases are pinned in requirements/)."""
import os.path as osp
import re
from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version():
    with open(osp.join(HERE, 'sar_mm', 'version.py'), encoding='utf-8') as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def read_requirements(name):
    """Requirement lines of ``requirements/<name>.txt`` (comments and blanks dropped)."""
    lines = []
    with open(osp.join(HERE, 'requirements', f'{name}.txt'), encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                lines.append(line)
    return lines


setup(
    name='sar_mm',
    version=read_version(),
    description='SAR self-supervised learning and target recognition plug-ins for OpenMMLab 2.x',
    long_description=open(osp.join(HERE, 'README.md'), encoding='utf-8').read() if osp.exists(
        osp.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    include_package_data=True,
    python_requires='>=3.9',
    install_requires=read_requirements('torch') + read_requirements('mmcv') +
    read_requirements('runtime'),
    extras_require={
        'tests': read_requirements('tests'),
        'optional': read_requirements('optional'),
        'all': read_requirements('tests') + read_requirements('optional'),
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Image Recognition',
    ],
    zip_safe=False,
)
