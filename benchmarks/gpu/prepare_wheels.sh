#!/usr/bin/env bash
# Download, where PyPI is reachable, everything benchmarks/gpu/run_check.sh installs on a GPU
# machine that has torch with CUDA but no network: the pure-Python OpenMMLab codebases and the
# dependencies that machine lacks (as wheels for its Python), the mmcv sdist (compiled there
# with CUDA ops) and two fallbacks (numpy<2, ninja). torch and torchvision are never downloaded.
#
# Usage: bash benchmarks/gpu/prepare_wheels.sh [DEST]     (default benchmarks/gpu/wheels, ignored
#                                                            by git; about 10 MiB + 18 MiB numpy)
# Environment:
#   PY_VERSIONS      Python versions of the GPU machine, space-separated (default "3.12"); the
#                    binary wheels are fetched for each (run_check.sh picks its own)
#   PYTHON           interpreter that runs pip here; it also prepares the mmcv sdist's metadata,
#                    which imports torch and pkg_resources (default .venv/bin/python)
#   DEVICE_PACKAGES  packages the GPU machine already has (default
#                    benchmarks/gpu/device_packages.txt); no wheel is carried for them
set -euo pipefail
cd "$(dirname "$0")/../.."

DEST=${1:-benchmarks/gpu/wheels}
PY_VERSIONS=${PY_VERSIONS:-3.12}
PYTHON=${PYTHON:-.venv/bin/python}
DEVICE_PACKAGES=${DEVICE_PACKAGES:-benchmarks/gpu/device_packages.txt}
MMCV_VERSION=2.1.0
GRAD_CAM=grad-cam==1.5.4  # an sdist only: built into a (pure-Python) wheel here
PLATFORMS=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
           --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64
           --platform manylinux2014_x86_64)
PIP=("${PYTHON}" -m pip --disable-pip-version-check)

log() { echo "[prepare_wheels] $*"; }
start=$(date +%s)

rm -rf "${DEST}"
mkdir -p "${DEST}/fallback"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sar_mm_wheels.XXXXXX")
trap 'rm -rf "${WORK}"' EXIT

# sar_mm's runtime requirements (without grad-cam, whose own requirements are named instead)
# and setuptools<81, whose pkg_resources mmcv's setup.py imports
mapfile -t REQS < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' requirements/runtime.txt \
                    | grep -v '^$' | grep -v '^grad-cam')
REQS+=(ttach 'setuptools>=77.0.3,<81')

for ver in ${PY_VERSIONS}; do
  tag="cp${ver/./}"
  TARGET=(--only-binary=:all: --python-version "${ver}" --implementation cp --abi "${tag}"
          "${PLATFORMS[@]}")
  log "resolving the requirements for Python ${ver} (${tag}) ..."
  # metadata only (PEP 658): nothing large is downloaded to resolve
  "${PIP[@]}" install -q --dry-run --ignore-installed --report "${WORK}/report-${tag}.json" \
      "${TARGET[@]}" --target "${WORK}/target-${tag}" "${REQS[@]}"
  "${PYTHON}" - "${WORK}/report-${tag}.json" "${DEVICE_PACKAGES}" \
      >"${DEST}/requirements-${tag}.txt" <<'PY'
import json
import re
import sys


def norm(name):
    return re.sub(r'[-_.]+', '-', name).lower()


with open(sys.argv[2]) as f:
    have = {norm(line.split('#')[0].strip()) for line in f if line.split('#')[0].strip()}
# the same module from another distribution (mmengine and mmcv ask for opencv-python)
if have & {'opencv-python-headless', 'opencv-contrib-python'}:
    have.add('opencv-python')
for item in json.load(open(sys.argv[1]))['install']:
    name, version = item['metadata']['name'], item['metadata']['version']
    if norm(name) == 'setuptools' or norm(name) not in have:
        print(f'{name}=={version}')
PY
  echo "${GRAD_CAM}" >>"${DEST}/requirements-${tag}.txt"
  log "downloading $(grep -c . "${DEST}/requirements-${tag}.txt") wheels for ${tag}"
  grep -v '^grad-cam' "${DEST}/requirements-${tag}.txt" >"${WORK}/download-${tag}.txt"
  "${PIP[@]}" download -q --no-deps "${TARGET[@]}" -d "${DEST}" -r "${WORK}/download-${tag}.txt"
  "${PIP[@]}" download -q --no-deps "${TARGET[@]}" -d "${DEST}/fallback" 'numpy>=1.24,<2' ninja
done

log "building the ${GRAD_CAM} wheel from its sdist"
"${PIP[@]}" wheel -q --no-deps -w "${DEST}" "${GRAD_CAM}"

log "downloading the mmcv ${MMCV_VERSION} sdist"
# pip prepares the sdist's metadata, which imports torch and pkg_resources: no build isolation
"${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation \
    "mmcv==${MMCV_VERSION}" -d "${DEST}"

log "checking that every requirement is carried or on the GPU machine"
for ver in ${PY_VERSIONS}; do
  "${PYTHON}" benchmarks/gpu/check_wheels.py "${DEST}" "${ver}" "${DEVICE_PACKAGES}"
done

size_kib=$(du -sk "${DEST}" | cut -f1)
log "done in $(( $(date +%s) - start )) s: ${DEST} holds $(( size_kib / 1024 )) MiB"
if [ "${size_kib}" -gt $(( 60 * 1024 )) ]; then
  log "WARNING: more than 60 MiB; a working tree sent to the GPU machine may be limited to 64 MiB"
fi
