#!/usr/bin/env bash
# Create (or bring up to date) the project's virtual environment: torch, mmcv with ops, the
# OpenMMLab codebases, sar_mm in editable mode and the test tools.
#
# Usage: tools/install/setup_env.sh            (called by `make install`)
# Environment: VENV (default .venv), PYTHON (default python3.11, else python3), plus the
#              variables of tools/install/build_mmcv.sh (FORCE_CUDA, SAR_MM_WHEEL_CACHE, MAX_JOBS).
#
# Idempotent: a stamp in the venv records a hash of every file that decides what gets installed;
# when it matches and the imports work, the script returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=${VENV:-.venv}
case "${VENV}" in /*) ;; *) VENV="$(pwd)/${VENV}" ;; esac
if [ -z "${PYTHON:-}" ]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
PY="${VENV}/bin/python"
STAMP="${VENV}/.sar_mm_install_stamp"
CHECK_IMPORTS="import sar_mm, mmcv.ops, mmdet.models, mmseg.models, mmpretrain.models"

STEP="start"; N=0; TOTAL=6
step() { N=$((N + 1)); STEP="$*"; echo "[install ${N}/${TOTAL}] $*"; }
on_error() {
  local rc=$?
  echo "[install] FAILED at step ${N}/${TOTAL}: ${STEP} (exit ${rc})" >&2
  echo "[install] fix the cause above and run 'make install' again; finished steps are reused." >&2
  echo "[install] to start over: rm -rf ${VENV} && make install" >&2
  exit "${rc}"
}
trap on_error ERR

want=$(cat requirements/*.txt setup.py tools/install/*.sh | sha256sum | cut -d' ' -f1)
if [ -f "${STAMP}" ] && [ "$(cat "${STAMP}")" = "${want}" ] && \
   (cd / && "${PY}" -c "${CHECK_IMPORTS}") >/dev/null 2>&1; then
  echo "[install] ${VENV} is up to date"
  exit 0
fi

step "virtual environment ${VENV} (${PYTHON})"
if [ ! -x "${PY}" ]; then
  "${PYTHON}" -m venv "${VENV}"
fi
"${PY}" -c 'import sys; assert sys.version_info >= (3, 9), sys.version' || {
  echo "[install] ${PY} is older than Python 3.9" >&2; false; }
PIP=("${PY}" -m pip install --disable-pip-version-check --progress-bar off)
# Every pip call below (and in build_mmcv.sh) honours the pins, so no step can replace torch,
# mmcv, mmengine or numpy with another version.
CONSTRAINTS="${VENV}/.sar_mm_constraints.txt"
cat requirements/torch.txt requirements/mmcv.txt requirements/runtime.txt >"${CONSTRAINTS}"
export PIP_CONSTRAINT="${CONSTRAINTS}"

step "build tools (pip, setuptools<81, wheel, ninja)"
"${PIP[@]}" -q -U pip
"${PIP[@]}" -q -r requirements/build.txt

step "torch and torchvision (requirements/torch.txt)"
"${PIP[@]}" -r requirements/torch.txt
"${PY}" -c 'import torch, torchvision; print("[install] torch", torch.__version__, "torchvision", torchvision.__version__)'

step "mmcv with compiled ops (cached per torch version)"
tools/install/build_mmcv.sh "${PY}"

step "OpenMMLab codebases and runtime requirements"
"${PIP[@]}" -r requirements/runtime.txt -r requirements/tests.txt

step "sar_mm (editable) and final check"
"${PIP[@]}" -q --no-deps --no-build-isolation -e .
(cd / && "${PY}" -c "${CHECK_IMPORTS}; print('[install] import check passed:', '${CHECK_IMPORTS}')")
echo "${want}" >"${STAMP}"
echo "[install] done: activate with 'source ${VENV}/bin/activate'"
