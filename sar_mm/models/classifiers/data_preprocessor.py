"""A classification data preprocessor that also takes multi-view batches (MultiView pipelines)."""
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import MODELS


def _split_views(inputs):
    """The views of a multi-view batch as a list of per-view inputs, or None for one view.

    ``MultiView`` + ``PackInputs`` give each sample a list of V view tensors (C, H, W);
    ``default_collate`` turns a batch into a list of V tensors (N, C, H, W) and
    ``pseudo_collate`` (which transposes sequences) into a list of V sequences of N tensors.
    """
    if not isinstance(inputs, (list, tuple)) or not inputs:
        return None
    first = inputs[0]
    if isinstance(first, (list, tuple)):  # pseudo_collate: V views x N samples
        return [list(view) for view in inputs]
    if getattr(first, 'dim', None) is not None and first.dim() == 4:  # default_collate
        return list(inputs)
    return None  # pseudo_collate of single-view samples: a list of (C, H, W)


@MODELS.register_module()
class MultiViewClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` for single images and for lists of views of each sample.

    Multi-view batches (``MultiView`` in the pipeline, with ``default_collate`` or
    ``pseudo_collate``) are normalised view by view and returned as a list of V tensors
    (N, C, H, W), as :class:`SupConClassifier` expects in training; single-view batches
    (validation and test) are handled exactly as by ``ClsDataPreprocessor``. Labels are
    packed once. Batch augmentations (mixup, cutmix) are refused on multi-view batches: they
    would mix the views of a sample differently.

    Args:
        **kwargs: Arguments of :class:`mmpretrain.models.ClsDataPreprocessor` (``mean``,
            ``std``, ``num_classes``, ``to_rgb``, ...).
    """

    def forward(self, data, training=False):
        views = _split_views(data['inputs'])
        if views is None:
            return super().forward(data, training)
        if training and self.batch_augments is not None:
            raise ValueError('MultiViewClsDataPreprocessor: batch augmentations (train_cfg '
                             'augments) are not supported with multi-view inputs')
        out = None
        view_inputs = []
        for view in views:
            out = super().forward(
                dict(inputs=view, data_samples=data.get('data_samples')), training)
            view_inputs.append(out['inputs'])  # (N, C, H, W)
        return {'inputs': view_inputs, 'data_samples': out['data_samples']}
