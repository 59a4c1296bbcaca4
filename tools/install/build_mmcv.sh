#!/usr/bin/env bash
# Build (or reuse) an mmcv wheel with compiled ops for the torch installed in PYTHON's environment,
# and install it there.
#
# Usage: tools/install/build_mmcv.sh PYTHON
#
# mmcv 2.1.0 (the last release mmdet 3.3 / mmseg 1.2 accept) ships no wheel for torch 2.14, so it is
# compiled from its sdist. The wheel is cached under a key made of the mmcv version, the torch
# version, the CUDA flavour, the python tag and the platform, so a repeat install takes seconds and
# a different torch triggers a rebuild. pip's own wheel cache is never used for mmcv: it would
# silently hand back a wheel built against another torch.
#
# Environment:
#   MMCV_VERSION        mmcv version to build (default 2.1.0)
#   SAR_MM_WHEEL_CACHE  wheel cache root (default ${XDG_CACHE_HOME:-~/.cache}/sar_mm/wheels)
#   FORCE_CUDA=1        compile the CUDA ops as well (needs nvcc matching torch.version.cuda);
#                       without it CUDA ops are compiled only when torch sees a GPU
#   MAX_JOBS            parallel compile jobs (default: number of cores)
set -euo pipefail

PY=${1:?usage: build_mmcv.sh PYTHON}
MMCV_VERSION=${MMCV_VERSION:-2.1.0}
CACHE_ROOT=${SAR_MM_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sar_mm/wheels}
export MAX_JOBS=${MAX_JOBS:-$(nproc)}

log() { echo "[build_mmcv] $*"; }
STEP="start"
on_error() {
  local rc=$?
  echo "[build_mmcv] FAILED during step: ${STEP} (exit ${rc})" >&2
  [ -n "${BUILD_LOG:-}" ] && [ -f "${BUILD_LOG}" ] && {
    echo "[build_mmcv] last lines of ${BUILD_LOG}:" >&2
    tail -n 30 "${BUILD_LOG}" >&2
  }
  echo "[build_mmcv] to retry: fix the cause above, then run 'make install' again (finished steps are reused)." >&2
  exit "${rc}"
}
trap on_error ERR

STEP="compute cache key"
KEY=$("$PY" "$(dirname "$0")/mmcv_cache_key.py" "${MMCV_VERSION}")
PREFIX=$("$PY" -c 'import sys; print(sys.prefix)')
INSTALLED_KEY_FILE="${PREFIX}/.sar_mm_mmcv_key"
CACHE_DIR="${CACHE_ROOT}/${KEY}"
log "cache key: ${KEY}"

verify() {
  # Import from outside any source tree: inside an unpacked sdist `import mmcv` finds the unbuilt
  # sources and fails with "No module named 'mmcv._ext'".
  (cd / && "$PY" -c "import mmcv, mmcv.ops; from mmcv.ops import nms; assert mmcv.__version__ == '${MMCV_VERSION}', mmcv.__version__")
}

STEP="check installed mmcv"
if [ -f "${INSTALLED_KEY_FILE}" ] && [ "$(cat "${INSTALLED_KEY_FILE}")" = "${KEY}" ] && verify 2>/dev/null; then
  log "mmcv ${MMCV_VERSION} with ops already installed for this torch; nothing to do"
  exit 0
fi

WHEEL=$(ls "${CACHE_DIR}"/mmcv-*.whl 2>/dev/null | head -n 1 || true)
if [ -n "${WHEEL}" ]; then
  log "reusing cached wheel ${WHEEL}"
else
  log "no cached wheel: compiling mmcv ${MMCV_VERSION} from source (about 16 min on 2 cores)"
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/sar_mm_mmcv.XXXXXX")
  BUILD_LOG="${WORK}/build.log"
  STEP="download mmcv ${MMCV_VERSION} sdist"
  # The sdist's metadata step imports pkg_resources and torch: no build isolation.
  "$PY" -m pip download --no-deps --no-binary :all: --no-build-isolation --no-cache-dir \
      "mmcv==${MMCV_VERSION}" -d "${WORK}" >"${BUILD_LOG}" 2>&1
  STEP="unpack sdist"
  tar -xzf "${WORK}/mmcv-${MMCV_VERSION}.tar.gz" -C "${WORK}"
  SRC="${WORK}/mmcv-${MMCV_VERSION}"
  STEP="patch C++ standard (torch>=2.10 headers need C++20; mmcv hard-codes c++14/17)"
  sed -i -E 's/-std=c\+\+1[47]/-std=c++20/g' "${SRC}/setup.py"
  if grep -qE -- '-std=c\+\+1[47]' "${SRC}/setup.py"; then
    echo "[build_mmcv] could not patch -std flags in ${SRC}/setup.py" >&2; false
  fi
  STEP="compile mmcv ops (log: ${BUILD_LOG})"
  start=$(date +%s)
  ( cd "${SRC}" && MMCV_WITH_OPS=1 "$PY" -m pip wheel --no-build-isolation --no-deps --no-cache-dir \
        -v -w "${WORK}/dist" . ) >>"${BUILD_LOG}" 2>&1 &
  pid=$!
  while kill -0 "${pid}" 2>/dev/null; do
    sleep 30
    done_line=$(grep -oE '^\s*\[[0-9]+/[0-9]+\]' "${BUILD_LOG}" | tail -n 1 | tr -d ' ' || true)
    log "compiling... $(( ($(date +%s) - start) / 60 )) min elapsed${done_line:+, ninja ${done_line}}"
  done
  wait "${pid}"
  WHEEL_BUILT=$(ls "${WORK}"/dist/mmcv-*.whl | head -n 1)
  STEP="store wheel in cache ${CACHE_DIR}"
  mkdir -p "${CACHE_DIR}"
  cp "${WHEEL_BUILT}" "${CACHE_DIR}/.partial.whl"
  mv "${CACHE_DIR}/.partial.whl" "${CACHE_DIR}/$(basename "${WHEEL_BUILT}")"
  WHEEL="${CACHE_DIR}/$(basename "${WHEEL_BUILT}")"
  log "built in $(( ($(date +%s) - start) / 60 )) min, cached at ${WHEEL}"
  rm -rf "${WORK}"
fi

STEP="install ${WHEEL}"
# Replace any mmcv already there (it may have been built against another torch), then add its
# Python dependencies (opencv, addict, yapf, mmengine...); pins come from PIP_CONSTRAINT if set.
"$PY" -m pip install --no-deps --force-reinstall --no-cache-dir "${WHEEL}"
"$PY" -m pip install --no-cache-dir "${WHEEL}"
STEP="verify mmcv.ops imports"
verify
echo "${KEY}" >"${INSTALLED_KEY_FILE}"
log "mmcv ${MMCV_VERSION} with ops installed"
