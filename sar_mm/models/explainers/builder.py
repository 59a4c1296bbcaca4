"""One SAR-KP explainer of a trained classifier, built and loaded, ready to map entropies."""
import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmpretrain.registry import MODELS

#: The two ways to get the cell entropies of an image.
METHODS = ('per_image', 'amortised')

_EXPLAINED = 'explained.model.'


def build_kp_explainer(explained,
                       explained_checkpoint,
                       method='per_image',
                       explainer_config=None,
                       explainer_checkpoint=None,
                       feature_layer=None,
                       cell_size=8,
                       explained_cfg_options=None,
                       device='cpu',
                       **per_image_cfg):
    """Build the explainer of one trained classifier, with its weights loaded, in eval mode.

    * ``'per_image'``: a :class:`~sar_mm.models.explainers.PerImageKPExplainer` (Cheng et al.,
      CVPR 2020), which optimises the noise of each image; ``per_image_cfg`` sets it.
    * ``'amortised'``: the model of ``explainer_config`` (an
      :class:`~sar_mm.models.explainers.AmortisedKPExplainer`, SAR-HUB) with the weights of
      ``explainer_checkpoint``, trained with ``tools/train.py`` on that config. Its explained
      model, data preprocessor, feature layer and cell size are replaced by the arguments here;
      a checkpoint whose explained-model tensors differ from ``explained_checkpoint``'s is
      loaded with a warning (it was trained to explain other weights).

    The default scope must be the explained classifier's (e.g. ``mmpretrain``).

    Args:
        explained (str): Config file of the explained classifier.
        explained_checkpoint (str): Its trained weights, loaded strictly.
        method (str): One of :data:`METHODS`. Defaults to ``'per_image'``.
        explainer_config (str, optional): Config file of the amortised explainer.
        explainer_checkpoint (str, optional): Its trained weights (``'amortised'``).
        feature_layer (str, optional): The explained feature (see
            :class:`~sar_mm.models.explainers.FrozenFeatureExtractor`); default the last
            backbone output.
        cell_size (int): Side of a cell in pixels. Defaults to 8.
        explained_cfg_options (dict, optional): Overrides merged into ``explained``.
        device (str | torch.device): Where the explainer runs. Defaults to ``'cpu'``.
        **per_image_cfg: Further arguments of ``PerImageKPExplainer`` (``alpha``, ``steps``,
            ``lr``, ``init_sigma``, ``num_samples``, ``sample_mode``, ``seed``); unused by
            ``'amortised'``.

    Returns:
        BaseKPExplainer: The explainer on ``device``, in eval mode.

    Raises:
        CheckpointMismatchError: a checkpoint of another architecture (naming the file).
        ValueError: an unknown ``method``, or ``'amortised'`` without its config or checkpoint.
    """
    if method not in METHODS:
        raise ValueError(f'method must be one of {METHODS}, got {method!r}')
    common = dict(
        explained=explained,
        explained_checkpoint=explained_checkpoint,
        feature_layer=feature_layer,
        cell_size=cell_size,
        explained_cfg_options=explained_cfg_options)
    if method == 'per_image':
        model = MODELS.build(dict(type='PerImageKPExplainer', **per_image_cfg, **common))
        model.init_weights()
        return model.to(device).eval()
    if not explainer_config or not explainer_checkpoint:
        raise ValueError("method 'amortised' needs explainer_config and explainer_checkpoint")
    model_cfg = Config.fromfile(explainer_config).model
    model_cfg.update(common)
    model_cfg.pop('data_preprocessor', None)  # the explained classifier's
    model = MODELS.build(model_cfg)
    model.init_weights()
    _load_explainer_weights(model, explainer_checkpoint, explainer_config, explained_checkpoint)
    return model.to(device).eval()


def _load_explainer_weights(model, checkpoint, config, explained_checkpoint):
    """Load the explainer's own weights (the explained model keeps those of
    ``explained_checkpoint``) and warn when the checkpoint explained other weights."""
    from sar_mm.engine import load_weights_strictly
    from sar_mm.engine.checkpoint import checkpoint_state_dict
    state = checkpoint_state_dict(
        load_weights_strictly(
            model,
            checkpoint,
            target=f'the explainer of {config}',
            exclude_prefixes=('explained.', )))
    explained = model.explained.model.state_dict()
    differs = [
        k for k, v in state.items() if k.startswith(_EXPLAINED) and k[len(_EXPLAINED):] in explained
        and not torch.equal(v, explained[k[len(_EXPLAINED):]])
    ]
    if differs:
        print_log(
            f'{checkpoint} was trained on other weights than {explained_checkpoint} '
            f'({len(differs)} tensors differ, e.g. {differs[0]}): is it the explainer '
            'of this model?',
            logger='current',
            level=30)
