"""SAR knowledge points (SAR-KP): which input cells a trained SAR model relies on.

Cheng et al., CVPR 2020 (per-image noise optimisation, :class:`PerImageKPExplainer`) and SAR-HUB,
Huang et al., Remote Sens. 2023 (a U-Net predicting the noise, :class:`AmortisedKPExplainer`
with :class:`SigmaUNet`). Definitions and the KP rule: :mod:`.knowledge_points`; a trained
classifier's explainer, built and loaded: :func:`build_kp_explainer`.
"""
from .amortised import AmortisedKPExplainer, SigmaUNet
from .base import BaseKPExplainer
from .builder import build_kp_explainer
from .explained_model import (FrozenFeatureExtractor, build_explained_model,
                              load_explained_checkpoint)
from .knowledge_points import (DEFAULT_THRESHOLDS, GAUSSIAN_ENTROPY_OFFSET, REFERENCE_ALPHA,
                               NoBackgroundCellsError, cell_entropy, check_cell_grid,
                               count_knowledge_points, feature_variance, kp_colour_map,
                               kp_objective, perturb, select_knowledge_points)
from .per_image import PerImageKPExplainer

__all__ = [
    'AmortisedKPExplainer', 'SigmaUNet', 'PerImageKPExplainer', 'BaseKPExplainer',
    'build_kp_explainer', 'FrozenFeatureExtractor', 'build_explained_model',
    'load_explained_checkpoint', 'DEFAULT_THRESHOLDS', 'GAUSSIAN_ENTROPY_OFFSET', 'REFERENCE_ALPHA',
    'NoBackgroundCellsError', 'cell_entropy', 'check_cell_grid', 'count_knowledge_points',
    'feature_variance', 'select_knowledge_points', 'kp_colour_map', 'kp_objective', 'perturb'
]
