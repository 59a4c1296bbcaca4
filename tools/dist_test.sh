#!/usr/bin/env bash
# Distributed testing with torchrun, as in OpenMMLab:
#   bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
# Without a GPU the processes run on the CPU with the gloo backend.
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname "$0")/..":${PYTHONPATH:-} \
exec "${PYTHON}" -m torch.distributed.run \
    --nnodes="${NNODES}" \
    --node_rank="${NODE_RANK}" \
    --master_addr="${MASTER_ADDR}" \
    --nproc_per_node="${NPROC}" \
    --master_port="${PORT}" \
    "$(dirname "$0")/test.py" \
    "${CONFIG}" "${CHECKPOINT}" \
    --launcher pytorch "${@:4}"
