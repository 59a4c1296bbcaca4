"""Evaluation: metrics registered in the codebases' ``METRICS``; the few-shot protocol lives in
:mod:`sar_mm.evaluation.fewshot_protocol` (imported by ``tools/fewshot_eval.py``)."""
from . import metrics  # noqa: F401  (registers the metrics)
from .metrics import *  # noqa: F401,F403
