"""What the per-image and the amortised SAR-KP explainers share."""
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample

from .explained_model import (FrozenFeatureExtractor, build_explained_model,
                              load_explained_checkpoint)
from .knowledge_points import (REFERENCE_ALPHA, SAMPLE_MODES, VARIANCE_MODES, check_cell_grid,
                               kp_objective)


class BaseKPExplainer(BaseModel):
    """Base of the SAR-KP explainers: the frozen explained feature and the objective's settings.

    See :mod:`sar_mm.models.explainers.knowledge_points` for the objective
    ``E||F(x~) - F(x)||^2 / v - alpha * mean_cells(H)`` and the KP rule (Cheng et al., CVPR
    2020; SAR-HUB, Huang et al., Remote Sens. 2023).

    Args:
        explained (str | dict | nn.Module): The model to explain: a config file (e.g. the
            classifier's training config), a model config dict or a module. It is built here,
            frozen (``requires_grad=False``) and kept in eval mode.
        explained_checkpoint (str, optional): Its trained weights, loaded strictly by
            :meth:`init_weights` (which the Runner calls before training); a checkpoint of
            another architecture fails naming the file and listing the keys. ``None`` keeps
            the weights it was built with (logged as a warning).
        feature_layer (str, optional): Which feature ``F`` (see
            :class:`~sar_mm.models.explainers.explained_model.FrozenFeatureExtractor`); default
            the last backbone output.
        cell_size (int): Side of a cell in pixels (one ``sigma`` per cell). Defaults to 8.
        alpha (float): Weight of ``mean_cells(H)`` per image. Defaults to 2048
            (:data:`~sar_mm.models.explainers.knowledge_points.REFERENCE_ALPHA`, the SAR-HUB
            code's effective weight).
        num_samples (int): Noise draws ``S`` per image and step. Defaults to 1.
        sample_mode (str): ``'mean_loss'`` (Cheng) or ``'mean_input'`` (SAR-HUB code).
        feature_variance (str): ``'image'`` or ``'batch'``: over what the normaliser ``v`` is
            taken. Defaults to ``'image'``.
        explained_cfg_options (dict, optional): Overrides merged into ``explained`` when it is
            a config file.
        data_preprocessor (dict | nn.Module, optional): Defaults to the explained model's (from
            its config), so the explainer sees exactly the input the explained model sees.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 explained,
                 explained_checkpoint=None,
                 feature_layer=None,
                 cell_size=8,
                 alpha=REFERENCE_ALPHA,
                 num_samples=1,
                 sample_mode='mean_loss',
                 feature_variance='image',
                 explained_cfg_options=None,
                 data_preprocessor=None,
                 init_cfg=None):
        model, explained_pre = build_explained_model(explained, explained_cfg_options)
        if data_preprocessor is None:
            data_preprocessor = explained_pre
        if isinstance(data_preprocessor, dict):
            # as mmpretrain's ImageClassifier: configs give mean/std without a type
            data_preprocessor = dict(data_preprocessor)
            data_preprocessor.setdefault('type', 'mmpretrain.ClsDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if sample_mode not in SAMPLE_MODES:
            raise ValueError(f'sample_mode must be one of {SAMPLE_MODES}, got {sample_mode!r}')
        if feature_variance not in VARIANCE_MODES:
            raise ValueError(f'feature_variance must be one of {VARIANCE_MODES}, '
                             f'got {feature_variance!r}')
        if int(num_samples) < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        if int(cell_size) < 1:
            raise ValueError(f'cell_size must be >= 1, got {cell_size}')
        if alpha <= 0:
            raise ValueError(f'alpha must be > 0, got {alpha}')
        self.explained = FrozenFeatureExtractor(model, feature_layer)
        self.explained_checkpoint = explained_checkpoint
        self.cell_size = int(cell_size)
        self.alpha = float(alpha)
        self.num_samples = int(num_samples)
        self.sample_mode = sample_mode
        self.feature_variance = feature_variance

    def load_explained(self):
        """Load ``explained_checkpoint`` into the explained model (or warn that there is none)."""
        if self.explained_checkpoint is None:
            print_log(
                'no explained_checkpoint: explaining the explained model with the weights '
                'it was built with',
                logger='current',
                level=30)
            return
        load_explained_checkpoint(self.explained.model, self.explained_checkpoint)

    def init_weights(self):
        """Load the explained model's checkpoint; the explained model is not re-initialised."""
        self.load_explained()

    def grid(self, inputs, name='the input'):
        """``(rows, cols)`` of the cell grid of a batch ``(B, C, H, W)``."""
        return check_cell_grid(inputs.shape[-2], inputs.shape[-1], self.cell_size, name)

    def objective(self, inputs, log_sigma, generator=None, clean_features=None):
        """Per-image objective terms (:func:`~.knowledge_points.kp_objective`)."""
        return kp_objective(self.explained, inputs, log_sigma, self.cell_size, self.alpha,
                            self.num_samples, self.sample_mode, self.feature_variance, generator,
                            clean_features)

    def entropy_map(self, inputs):
        """Cell entropies ``H`` (B, gh, gw) of a batch of preprocessed inputs."""
        raise NotImplementedError

    def predict(self, inputs, data_samples=None):
        """Cell entropies in data samples: field ``kp_entropy`` (gh, gw), metainfo
        ``kp_cell_size``; what :class:`~sar_mm.evaluation.metrics.SARKnowledgePointMetric`
        reads."""
        entropy = self.entropy_map(inputs).detach()  # (B, gh, gw)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(inputs.shape[0])]
        for sample, h in zip(data_samples, entropy):
            sample.set_field(h, 'kp_entropy', field_type='data')
            sample.set_field(self.cell_size, 'kp_cell_size', field_type='metainfo')
        return data_samples

    def forward(self, inputs, data_samples=None, mode='tensor'):
        """``'tensor'``: the entropy maps (B, gh, gw); ``'predict'``; ``'loss'``."""
        if mode == 'tensor':
            return self.entropy_map(inputs)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')

    def loss(self, inputs, data_samples=None):
        raise NotImplementedError
