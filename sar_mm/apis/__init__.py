"""Using trained sar_mm / OpenMMLab models on SAR files: inference and CAM explanations.

Import it explicitly (``from sar_mm.apis import ...``); ``import sar_mm`` does not load it.
"""
from .det_inference import SARDetInferencer
from .inference import (SARImageClassificationInferencer, inference_sar_classifier,
                        init_sar_classifier)
from .sar_inputs import (SARInferencerLoader, display_image, list_sar_images, list_sar_samples,
                         split_loading_step)
from .seg_inference import SARSegInferencer
from .weights import load_inference_weights

__all__ = [
    'SARImageClassificationInferencer', 'inference_sar_classifier', 'init_sar_classifier',
    'SARDetInferencer', 'SARSegInferencer', 'SARInferencerLoader', 'display_image',
    'list_sar_images', 'list_sar_samples', 'split_loading_step', 'load_inference_weights'
]
