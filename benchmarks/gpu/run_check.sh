#!/usr/bin/env bash
# The GPU check of sar_mm on a CUDA machine without network (benchmarks/gpu/README.md):
# install the OpenMMLab stack from the wheels of prepare_wheels.sh into a venv over the
# machine's own torch, compile mmcv with CUDA ops, then run gpu_check.py.
#
# Usage: bash benchmarks/gpu/run_check.sh [all|install|check]      (default all)
#   install  venv + wheels + mmcv build + import check (the mmcv build dominates)
#   check    gpu_check.py (after install, on the same machine)
# Environment:
#   PYTHON                interpreter whose torch sees the GPU (default python3)
#   VENV                  venv to create (default /tmp/sar_mm_gpu/venv)
#   WHEELS                carried wheels (default benchmarks/gpu/wheels)
#   BUILD                 mmcv build folder and wheel cache (default benchmarks/gpu/build)
#   GPU_CHECK_OUT         folder for gpu_check.md / .json and the built mmcv wheel
#                         (default $OUT when set, else benchmarks/gpu/out)
#   TORCH_CUDA_ARCH_LIST  GPU architectures of the mmcv build (default: this GPU's, 9.0 on an
#                         H100/H200)
#   MAX_JOBS              parallel compile jobs (default: number of cores)
#   CHECK_ARGS            extra arguments of gpu_check.py (e.g. "--skip-train")
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)

MODE=${1:-all}
PYTHON=${PYTHON:-python3}
VENV=${VENV:-/tmp/sar_mm_gpu/venv}
WHEELS=${WHEELS:-benchmarks/gpu/wheels}
BUILD=${BUILD:-benchmarks/gpu/build}
OUT_DIR=${GPU_CHECK_OUT:-${OUT:-benchmarks/gpu/out}}
MMCV_VERSION=2.1.0
export MAX_JOBS=${MAX_JOBS:-$(nproc)}
case "${WHEELS}" in /*) ;; *) WHEELS="${REPO}/${WHEELS}" ;; esac
case "${BUILD}" in /*) ;; *) BUILD="${REPO}/${BUILD}" ;; esac
VPY="${VENV}/bin/python"
T0=$(date +%s)

log() { echo "[run_check +$(( $(date +%s) - T0 ))s] $*"; }
die() { echo "[run_check] ERROR: $*" >&2; exit 1; }

pip_venv() {
  # the venv has no pip of its own (its base interpreter may lack ensurepip): the machine's pip,
  # importable through the parent site-packages, installs into the venv (sys.prefix); packages
  # of the parent are shadowed, never removed
  "${VPY}" -m pip --disable-pip-version-check "$@"
}

describe_machine() {
  log "python: $(command -v "${PYTHON}") ($("${PYTHON}" -V 2>&1))"
  "${PYTHON}" - <<'PY'
import torch
print(f'[run_check] torch {torch.__version__}, CUDA {torch.version.cuda}, '
      f'GPU: {torch.cuda.get_device_name() if torch.cuda.is_available() else "none"}')
PY
  command -v nvidia-smi >/dev/null && nvidia-smi -L || true
  command -v nvcc >/dev/null && nvcc --version | tail -n 2 || log "nvcc not on PATH"
  log "cores: $(nproc), MAX_JOBS=${MAX_JOBS}"
}

make_venv() {
  if [ -x "${VPY}" ]; then
    log "venv ${VENV} exists"
    return
  fi
  log "creating ${VENV} over ${PYTHON}'s packages"
  "${PYTHON}" -m venv --system-site-packages --without-pip "${VENV}"
  # --system-site-packages reaches the *base* interpreter's packages; when PYTHON is itself a
  # venv (as python3 with torch often is), its site-packages are added after the venv's own
  # (site.addsitedir also runs their .pth files)
  local site_dir
  site_dir=$("${VPY}" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  "${PYTHON}" - >"${site_dir}/_sar_mm_parent_site.pth" <<'PY'
import site
import sysconfig
dirs = dict.fromkeys(site.getsitepackages() + [sysconfig.get_paths()['purelib'],
                                               sysconfig.get_paths()['platlib']])
print('import site; ' + '; '.join(f'site.addsitedir({d!r})' for d in dirs))
PY
  "${VPY}" -c 'import torch' || die "torch is not importable from ${VPY}"
}

install_wheels() {
  local tag
  tag=$("${VPY}" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
  local reqs="${WHEELS}/requirements-${tag}.txt"
  [ -f "${reqs}" ] || die "no ${reqs}: run PY_VERSIONS=\"$("${VPY}" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')\" bash benchmarks/gpu/prepare_wheels.sh where PyPI is reachable, and carry ${WHEELS}"
  log "installing $(grep -c . "${reqs}") wheels (${tag}) from ${WHEELS}"
  pip_venv install -q --no-index --no-deps --find-links "${WHEELS}" -r "${reqs}"
  if ! command -v ninja >/dev/null; then
    log "no ninja on PATH: installing the carried one"
    pip_venv install -q --no-index --no-deps --find-links "${WHEELS}/fallback" ninja
  fi
}

mmcv_key() {
  "${VPY}" - <<'PY'
import sys
import torch
# letters, digits, '.', '_' and '-' only (a folder name that may travel)
print(f'mmcv-2.1.0_torch-{torch.__version__.replace("+", "_")}_'
      f'cu{torch.version.cuda.replace(".", "")}_cp{sys.version_info[0]}{sys.version_info[1]}')
PY
}

build_mmcv() {
  local key cache wheel
  key="$(mmcv_key)_sm${TORCH_CUDA_ARCH_LIST//[.; ]/}"
  cache="${BUILD}/${key}"
  wheel=$(ls "${cache}"/mmcv-*.whl 2>/dev/null | head -n 1 || true)
  if [ -z "${wheel}" ]; then
    wheel=$(ls "${WHEELS}"/built/"${key}"/mmcv-*.whl 2>/dev/null | head -n 1 || true)
  fi
  if [ -n "${wheel}" ]; then
    log "reusing the mmcv wheel ${wheel}"
  else
    local src="${BUILD}/src" blog="${BUILD}/build.log"
    rm -rf "${src}" && mkdir -p "${src}"
    tar -xzf "${WHEELS}/mmcv-${MMCV_VERSION}.tar.gz" -C "${src}"
    src="${src}/mmcv-${MMCV_VERSION}"
    # torch>=2.10 headers need C++20; mmcv hard-codes -std=c++14/17 (as tools/install/build_mmcv.sh)
    sed -i -E 's/-std=c\+\+1[47]/-std=c++20/g' "${src}/setup.py"
    log "compiling mmcv ${MMCV_VERSION} with CUDA ops: TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST}" \
        "MAX_JOBS=${MAX_JOBS} FORCE_CUDA=1 (log: ${blog})"
    local t_build
    t_build=$(date +%s)
    # CFLAGS=-g0: no debug information in the C++ objects (Python's own flags have -g), a far
    # smaller library, link and wheel
    ( cd "${src}" && FORCE_CUDA=1 MMCV_WITH_OPS=1 CFLAGS="${CFLAGS:-} -g0" pip_venv wheel \
        --no-index --no-build-isolation --no-deps -v -w "${src}/dist" . >"${blog}" 2>&1 ) &
    local pid=$!
    while kill -0 "${pid}" 2>/dev/null; do
      sleep 20
      log "compiling mmcv... $(( $(date +%s) - t_build )) s, ninja" \
          "$(grep -oE '^\s*\[[0-9]+/[0-9]+\]' "${blog}" | tail -n 1 | tr -d ' ' || true)"
    done
    if ! wait "${pid}"; then
      tail -n 40 "${blog}" >&2
      die "mmcv build failed after $(( $(date +%s) - t_build )) s (log: ${blog})"
    fi
    mkdir -p "${cache}"
    cp "${src}"/dist/mmcv-*.whl "${cache}/"
    wheel=$(ls "${cache}"/mmcv-*.whl | head -n 1)
    log "MMCV BUILD TIME: $(( $(date +%s) - t_build )) s for $(basename "${wheel}")" \
        "($(du -m "${wheel}" | cut -f1) MiB)"
  fi
  pip_venv install -q --no-index --no-deps --force-reinstall "${wheel}"
  # kept for the next run: 16 MiB at most come back from a GPU machine's output folder
  if [ "$(du -m "${wheel}" | cut -f1)" -lt 16 ]; then
    mkdir -p "${OUT_DIR}/${key}"
    cp "${wheel}" "${OUT_DIR}/${key}/"
  fi
}

import_check() {
  ( cd / && PYTHONPATH="${REPO}${PYTHONPATH:+:${PYTHONPATH}}" "${VPY}" - ) <<'PY'
import numpy
import torch
import mmcv
from mmcv.ops import get_compiling_cuda_version, nms, sigmoid_focal_loss
import mmdet.models  # noqa: F401
import mmpretrain.models  # noqa: F401
import mmseg.models  # noqa: F401
import sar_mm  # noqa: F401
x = torch.randn(16, 3, device='cuda', requires_grad=True)
loss = sigmoid_focal_loss(x, torch.randint(0, 3, (16, ), device='cuda'), 2.0, 0.25, None, 'mean')
loss.backward()
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.]], device='cuda')
keep = nms(boxes, torch.tensor([0.9, 0.8], device='cuda'), 0.5)[1]
assert keep.tolist() == [0], keep
print(f'[run_check] imports and mmcv CUDA ops work: mmcv {mmcv.__version__} (CUDA '
      f'{get_compiling_cuda_version()}), numpy {numpy.__version__}, torch {torch.__version__}')
PY
}

do_install() {
  mkdir -p "${OUT_DIR}" "${BUILD}"
  describe_machine
  "${PYTHON}" -c 'import torch; assert torch.cuda.is_available()' || die "torch sees no GPU"
  if [ -z "${TORCH_CUDA_ARCH_LIST:-}" ]; then
    TORCH_CUDA_ARCH_LIST=$("${PYTHON}" -c 'import torch; print("%d.%d" % torch.cuda.get_device_capability())')
  fi
  export TORCH_CUDA_ARCH_LIST
  if [ -z "${CUDA_HOME:-}" ] && command -v nvcc >/dev/null; then
    CUDA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")
    export CUDA_HOME
  fi
  # torch's extension builder runs ninja (without it: one file at a time, far too slow)
  PATH="${VENV}/bin:${PATH}:$(dirname "$("${PYTHON}" -c 'import sys; print(sys.executable)')")"
  export PATH
  "${PYTHON}" - <<'PY'
import subprocess
import torch
out = subprocess.run(['nvcc', '--version'], capture_output=True, text=True).stdout
nvcc = out.rsplit('release ', 1)[-1].split(',')[0] if 'release ' in out else 'none'
same = nvcc == torch.version.cuda or nvcc.split('.')[0] == str(torch.version.cuda).split('.')[0]
print(f'[run_check] nvcc {nvcc} vs torch CUDA {torch.version.cuda}: '
      + ('compatible' if same else 'MISMATCH: torch refuses a different major version'))
PY
  local t
  t=$(date +%s)
  make_venv
  install_wheels
  log "wheels installed in $(( $(date +%s) - t )) s"
  build_mmcv
  if ! import_check; then
    log "import check failed with the machine's numpy; retrying with the carried numpy<2"
    pip_venv install -q --no-index --no-deps --find-links "${WHEELS}/fallback" 'numpy<2'
    import_check || die "imports fail (see above)"
  fi
  log "INSTALL DONE in $(( $(date +%s) - T0 )) s"
}

do_check() {
  [ -x "${VPY}" ] || die "no ${VENV}: run 'bash benchmarks/gpu/run_check.sh install' first"
  mkdir -p "${OUT_DIR}"
  local t
  t=$(date +%s)
  # shellcheck disable=SC2086  # CHECK_ARGS is a list of arguments
  PYTHONPATH="${REPO}${PYTHONPATH:+:${PYTHONPATH}}" PYTHONUNBUFFERED=1 "${VPY}" \
      benchmarks/gpu/gpu_check.py --out "${OUT_DIR}/gpu_check.md" \
      --json "${OUT_DIR}/gpu_check.json" ${CHECK_ARGS:-} || status=$?
  log "CHECK TIME: $(( $(date +%s) - t )) s (exit ${status:-0}); table: ${OUT_DIR}/gpu_check.md"
  return "${status:-0}"
}

case "${MODE}" in
  install) do_install ;;
  check) do_check ;;
  all) do_install && do_check ;;
  *) die "unknown mode ${MODE} (all, install or check)" ;;
esac
log "TOTAL ${MODE}: $(( $(date +%s) - T0 )) s"
