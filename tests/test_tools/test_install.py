"""The mmcv wheel cache key changes with everything the compiled ops depend on."""
from ..conftest import load_tool, run_tool


def _load():
    return load_tool('tools/install/mmcv_cache_key.py')


def test_key_changes_with_torch_cuda_python_and_platform():
    key = _load().cache_key
    base = dict(
        mmcv_version='2.1.0',
        torch_version='2.14.1+cu130',
        torch_cuda='13.0',
        with_cuda=False,
        python_version=(3, 11),
        platform='linux-x86_64')
    reference = key(**base)
    assert reference == 'mmcv-2.1.0_torch-2.14.1+cu130_cpu_cp311_linux_x86_64'
    for change in (dict(torch_version='2.15.0+cu130'), dict(torch_version='2.14.1+cpu'),
                   dict(with_cuda=True), dict(python_version=(3, 12)),
                   dict(platform='linux-aarch64'), dict(mmcv_version='2.2.0')):
        assert key(**{**base, **change}) != reference, change
    assert '_cu130_' in key(**{**base, 'with_cuda': True})


def test_key_of_this_environment_names_its_torch():
    import torch
    proc = run_tool(['tools/install/mmcv_cache_key.py', '2.1.0'])
    assert f'_torch-{torch.__version__}_' in proc.stdout
