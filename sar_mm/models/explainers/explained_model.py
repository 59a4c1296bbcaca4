"""The model being explained: built from its config, loaded from its checkpoint, frozen in eval.

The SAR-HUB code leaves the explained ResNet in train mode while its explainer trains, so the
batch-norm running statistics drift with every clean and noisy batch (spec D4). Here the model
sits inside :class:`FrozenFeatureExtractor`, whose ``train()`` always puts it in eval mode, and
every parameter has ``requires_grad=False``: its weights and buffers stay bit-identical.
"""
import os.path as osp

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from torch import nn

#: Feature names that are stages of an mmpretrain classifier's ``extract_feat``.
STAGES = ('backbone', 'neck', 'pre_logits')
_REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


class _StopForward(Exception):
    """Raised by the feature hook once the wanted layer has run (skips the rest)."""


class FrozenFeatureExtractor(nn.Module):
    """``x -> F(x)``: an intermediate feature of a model that is frozen and always in eval mode.

    Args:
        model (nn.Module): The explained model (an mmpretrain classifier or any module).
        feature_layer (str, optional): Which feature. ``None`` or ``'backbone'``: the last output
            of the backbone (``extract_feat(x, stage='backbone')[-1]``; for mmpretrain's
            ``ResNet(out_indices=(3,))`` the last stage, SAR-HUB's ``layer4``), or ``model(x)``
            (its last element if a tuple) for a module without ``extract_feat``; ``'neck'`` /
            ``'pre_logits'``: that stage of ``extract_feat``; any other string: the output of
            the sub-module of that dotted name (e.g. ``'backbone.layer3'``), taken with a
            forward hook that stops the forward pass there.
    """

    def __init__(self, model, feature_layer=None):
        super().__init__()
        self.model = model
        self.feature_layer = feature_layer
        self._hooked = None
        if feature_layer not in (None, ) + STAGES:
            try:
                self._hooked = model.get_submodule(feature_layer)
            except AttributeError:
                names = [n for n, _ in model.named_children()]
                raise ValueError(
                    f'feature_layer {feature_layer!r} is not a sub-module of '
                    f'{type(model).__name__} (top-level children: {names}); use a dotted name '
                    "such as 'backbone.layer4', or 'backbone' / 'neck' / 'pre_logits'") from None
        elif feature_layer in ('neck', 'pre_logits') and not hasattr(model, 'extract_feat'):
            raise ValueError(f'feature_layer {feature_layer!r} needs a model with extract_feat '
                             f'(an mmpretrain classifier), got {type(model).__name__}')
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.train(False)

    def train(self, mode=True):
        """Always eval: the Runner's ``model.train()`` must not switch batch norm to batch
        statistics (nor update its running buffers) or enable dropout."""
        return super().train(False)

    @staticmethod
    def _last(out):
        return out[-1] if isinstance(out, (tuple, list)) else out

    def _run_model(self, x):
        if isinstance(self.model, BaseModel):
            return self.model(x, mode='tensor')
        return self.model(x)

    def forward(self, x):
        """``F(x)``: a tensor ``(B, ...)``."""
        if self._hooked is None:
            if self.feature_layer is None or self.feature_layer == 'backbone':
                if hasattr(self.model, 'extract_feat'):
                    return self._last(self.model.extract_feat(x, stage='backbone'))
                return self._last(self._run_model(x))
            return self._last(self.model.extract_feat(x, stage=self.feature_layer))
        captured = []

        def hook(module, args, output):
            captured.append(output)
            raise _StopForward

        handle = self._hooked.register_forward_hook(hook)
        try:
            self._run_model(x)
        except _StopForward:
            pass
        finally:
            handle.remove()
        if not captured:
            raise RuntimeError(f'feature_layer {self.feature_layer!r} did not run in the forward '
                               f'pass of {type(self.model).__name__}')
        return self._last(captured[0])


def resolve_path(path, what):
    """``path`` as given, else relative to the repository root; raises naming ``what``."""
    for candidate in (path, osp.join(_REPO_ROOT, path)):
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(f'{what}: {path} not found (relative paths are tried from the '
                            f'current directory and from {_REPO_ROOT})')


def build_explained_model(explained, cfg_options=None):
    """Build the explained model (untrained weights) and find its data preprocessor config.

    Args:
        explained (str | dict | nn.Module): A config file (its ``model``, with the config's
            top-level ``data_preprocessor`` merged in as the Runner does), a model config dict,
            or a built module.
        cfg_options (dict, optional): Overrides merged into a config file.

    Returns:
        tuple[nn.Module, dict | None]: The model and the data preprocessor config (``None`` when
        unknown).
    """
    if isinstance(explained, nn.Module):
        pre = getattr(explained, 'data_preprocessor', None)
        return explained, pre
    scope = DefaultScope.get_current_instance()
    scope = scope.scope_name if scope is not None else 'mmpretrain'
    if isinstance(explained, str):
        cfg = Config.fromfile(resolve_path(explained, 'explained model config'))
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        model_cfg = cfg.model.copy()
        if 'data_preprocessor' in cfg and 'data_preprocessor' not in model_cfg:
            model_cfg['data_preprocessor'] = cfg.data_preprocessor
        scope = cfg.get('default_scope', scope)
    elif isinstance(explained, dict):
        model_cfg = dict(explained)
    else:
        raise TypeError('explained must be a config file, a model config dict or a module, '
                        f'got {type(explained).__name__}')
    pre = model_cfg.get('data_preprocessor')
    pre = dict(pre) if pre is not None else None
    from mmengine.registry import MODELS

    import sar_mm  # noqa: F401  (the config may use sar_mm modules)
    with DefaultScope.overwrite_default_scope(scope):
        with MODELS.switch_scope_and_registry(scope) as registry:
            model = registry.build(model_cfg)
    return model, pre


def load_explained_checkpoint(model, filename):
    """Load a whole-model checkpoint into the explained model, strictly.

    Uses sar_mm's safe loader and :func:`~sar_mm.engine.adapt_state_dict_to_model` (which adapts
    a first-layer channel difference with a logged message).

    Raises:
        CheckpointMismatchError: naming ``filename`` and listing the missing and unexpected keys
            and shape mismatches when the architecture differs.
    """
    from sar_mm.engine import load_weights_strictly
    load_weights_strictly(model, filename, target="the explained model's architecture")
    print_log(f'explained model: loaded {filename}', logger='current')
    return model
