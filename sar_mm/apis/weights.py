"""Load a trained model's weights for inference: safely, and strictly.

mmengine's ``load_checkpoint`` only warns when keys are missing or unexpected, so a checkpoint of
another architecture silently leaves a randomly initialised model. For inference that is an
error: :func:`load_inference_weights` reads the file with sar_mm's safe loader (torch
``weights_only=True`` plus the allow-list of :mod:`sar_mm.engine.checkpoint`) and fails, naming
the file and listing missing and unexpected keys and shape mismatches, unless the state dict fits
the model (after the logged input-channel / position-embedding adaptation of
:func:`sar_mm.engine.adapt_state_dict_to_model`).
"""
import warnings

from sar_mm.engine import load_weights_strictly
from .config_utils import config_metainfo, merge_data_preprocessor


def load_inference_weights(model, checkpoint, source=None):
    """Load ``checkpoint`` into ``model``; every model key must be there and nothing else.

    Args:
        model (nn.Module): The model built from the config.
        checkpoint (str | dict): A checkpoint file, or a checkpoint already loaded (with a
            ``state_dict`` entry, or a state dict).
        source (str, optional): Name of the checkpoint in errors (default: the path).

    Returns:
        dict: The checkpoint (its ``meta`` holds ``dataset_meta`` when the Runner saved it).

    Raises:
        FileNotFoundError: no such file.
        sar_mm.engine.UnsafeCheckpointError: the file holds pickled objects off the allow-list.
        sar_mm.engine.CheckpointMismatchError: the weights do not fit the model.
    """
    return load_weights_strictly(
        model, checkpoint, source, target='the model built from the config')


def dataset_meta_of(checkpoint):
    """``meta.dataset_meta`` of a Runner-saved checkpoint (keys lower-cased), else ``{}``;
    mmcls/mmdet 2.x ``meta.CLASSES`` / ``PALETTE`` are understood too."""
    meta = (checkpoint.get('meta') or {}) if isinstance(checkpoint, dict) else {}
    if isinstance(meta.get('dataset_meta'), dict):
        return {k.lower(): v for k, v in meta['dataset_meta'].items()}
    out = {}
    if meta.get('CLASSES') is not None:
        out['classes'] = meta['CLASSES']
    if meta.get('PALETTE') is not None:
        out['palette'] = meta['PALETTE']
    return out


class SARWeightsMixin:
    """Model building and strict weight loading shared by the SAR detection and segmentation
    inferencers; list it before the OpenMMLab inferencer among the bases.

    The inferencer sets ``self._weights_source`` (the checkpoint named in errors) before
    ``super().__init__`` and names what it does in ``_task_verb`` (for the no-checkpoint warning).
    """

    _task_verb = 'predicting'

    def _init_model(self, cfg, weights, device='cpu'):
        return super()._init_model(merge_data_preprocessor(cfg), weights, device)

    def _load_checkpoint_meta(self, model, checkpoint, cfg, datasets):
        """Load ``checkpoint`` strictly into ``model`` (warn and keep the initial weights when
        it is None).

        Args:
            model (nn.Module): The model built from ``cfg``.
            checkpoint (str | dict | None): The weights.
            cfg (mmengine.Config): The config.
            datasets (mmengine.Registry): The codebase's DATASETS registry.

        Returns:
            tuple[dict, dict]: The ``metainfo`` of the config's test dataset and the
            checkpoint's ``dataset_meta`` (``{}`` without one).
        """
        metainfo = config_metainfo(cfg, datasets)
        meta = {}
        if checkpoint is not None:
            meta = dataset_meta_of(
                load_inference_weights(model, checkpoint, source=self._weights_source))
        else:
            warnings.warn(f'no checkpoint: {self._task_verb} with the initial (random) weights')
        return metainfo, meta

    def _check_classes(self, classes, cfg):
        """Raise a ValueError naming the checkpoint (or config) when ``classes`` is empty."""
        if not classes:
            raise ValueError(f'{self._weights_source or cfg.filename}: no class names in the '
                             'checkpoint meta or the config\'s test dataset')
