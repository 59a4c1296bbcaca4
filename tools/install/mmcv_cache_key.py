"""Print the wheel-cache key of mmcv for the torch installed in this interpreter.

    python tools/install/mmcv_cache_key.py MMCV_VERSION

The key names everything the compiled ops depend on: the mmcv version, the exact torch build,
whether CUDA ops are compiled (and for which CUDA), the python tag and the platform. A wheel
cached under one key is never installed for another.
"""
import os
import sys
import sysconfig


def cache_key(mmcv_version, torch_version, torch_cuda, with_cuda, python_version, platform):
    """Build the key, e.g. ``mmcv-2.1.0_torch-2.14.1+cu130_cpu_cp311_linux_x86_64``.

    Args:
        mmcv_version (str): mmcv version being built.
        torch_version (str): ``torch.__version__`` (local suffix included).
        torch_cuda (str | None): ``torch.version.cuda``.
        with_cuda (bool): Whether CUDA ops are compiled (``FORCE_CUDA=1`` or a visible GPU).
        python_version (tuple): ``sys.version_info[:2]``.
        platform (str): ``sysconfig.get_platform()``.
    """
    flavour = 'cu' + (torch_cuda or 'unknown').replace('.', '') if with_cuda else 'cpu'
    tag = f'cp{python_version[0]}{python_version[1]}'
    return (f'mmcv-{mmcv_version}_torch-{torch_version}_{flavour}_{tag}_'
            f'{platform.replace("-", "_")}')


def main():
    import torch
    with_cuda = os.environ.get('FORCE_CUDA', '0') == '1' or torch.cuda.is_available()
    print(
        cache_key(sys.argv[1], torch.__version__, torch.version.cuda, with_cuda,
                  sys.version_info[:2], sysconfig.get_platform()))


if __name__ == '__main__':
    main()
