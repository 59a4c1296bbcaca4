"""SAR-KP with ``sigma`` optimised for each image (Cheng et al., CVPR 2020)."""
import math

import torch
from mmpretrain.registry import MODELS

from .base import BaseKPExplainer
from .knowledge_points import REFERENCE_ALPHA, cell_entropy


@MODELS.register_module()
class PerImageKPExplainer(BaseKPExplainer):
    """Cell entropies of each image by optimising its noise scales directly (Cheng et al. 2020).

    Cheng, Rao, Chen, Zhang, "Explaining knowledge distillation by quantifying the knowledge",
    CVPR 2020: for each image, ``log sigma`` (one per cell, shared over channels) is a free
    tensor fitted by Adam to minimise ``E||F(x + sigma (.) eps) - F(x)||^2 / v -
    alpha * mean_cells(H)`` with ``H = log sigma + 1/2 log(2 pi e)`` (see
    :mod:`~sar_mm.models.explainers.knowledge_points`). Images of a batch are fitted together
    but independently: the batch loss is the *sum* of the per-image losses, so each image's
    gradient is its own (and Adam's per-element steps keep them apart), and ``v`` is taken per
    image by default. The learning rate follows a cosine decay from ``lr`` to
    ``lr * final_lr_ratio``, so the estimate settles despite the sampled noise. The noise comes
    from a generator seeded with ``seed``: the same inputs give the same maps.

    Nothing is trained through the Runner (:meth:`loss` raises); :meth:`entropy_map` /
    ``predict`` run the optimisation (with gradients enabled even inside ``torch.no_grad``).

    Args:
        explained, explained_checkpoint, feature_layer, cell_size, alpha, num_samples,
            sample_mode, feature_variance, explained_cfg_options, data_preprocessor, init_cfg:
            see :class:`~sar_mm.models.explainers.base.BaseKPExplainer`.
        steps (int): Adam steps per batch. Defaults to 200.
        lr (float): Initial Adam learning rate on ``log sigma``. Defaults to 0.05.
        final_lr_ratio (float): Learning rate at the last step, relative to ``lr``.
            Defaults to 0.01.
        init_sigma (float): Starting ``sigma`` of every cell, in units of the preprocessed
            input (1 = the data preprocessor's std). Defaults to 1.
        seed (int): Seed of the noise generator. Defaults to 0.
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
                 steps=200,
                 lr=0.05,
                 final_lr_ratio=0.01,
                 init_sigma=1.0,
                 seed=0,
                 explained_cfg_options=None,
                 data_preprocessor=None,
                 init_cfg=None):
        super().__init__(explained, explained_checkpoint, feature_layer, cell_size, alpha,
                         num_samples, sample_mode, feature_variance, explained_cfg_options,
                         data_preprocessor, init_cfg)
        if steps < 1 or lr <= 0 or init_sigma <= 0 or not 0 < final_lr_ratio <= 1:
            raise ValueError('PerImageKPExplainer needs steps >= 1, lr > 0, init_sigma > 0 and '
                             f'0 < final_lr_ratio <= 1; got steps={steps}, lr={lr}, '
                             f'init_sigma={init_sigma}, final_lr_ratio={final_lr_ratio}')
        self.steps = int(steps)
        self.lr = float(lr)
        self.final_lr_ratio = float(final_lr_ratio)
        self.init_sigma = float(init_sigma)
        self.seed = int(seed)
        #: per step: mean over the batch of the loss, feature term and mean H (last call)
        self.history = []

    def fit_log_sigma(self, inputs):
        """Optimise ``log sigma`` (B, 1, gh, gw) for a batch of preprocessed inputs."""
        gh, gw = self.grid(inputs)
        inputs = inputs.detach()
        log_sigma = torch.full((inputs.shape[0], 1, gh, gw),
                               math.log(self.init_sigma),
                               device=inputs.device,
                               dtype=inputs.dtype,
                               requires_grad=True)
        optimizer = torch.optim.Adam([log_sigma], lr=self.lr)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=self.steps, eta_min=self.lr * self.final_lr_ratio)
        generator = torch.Generator(device=inputs.device).manual_seed(self.seed)
        self.history = []
        with torch.enable_grad():
            with torch.no_grad():
                clean = self.explained(inputs)
            for _ in range(self.steps):
                terms = self.objective(inputs, log_sigma, generator, clean)
                optimizer.zero_grad(set_to_none=True)
                terms['loss'].sum().backward()  # sum: each image keeps its own gradient
                optimizer.step()
                scheduler.step()
                self.history.append(
                    {k: float(terms[k].detach().mean())
                     for k in ('loss', 'feature', 'entropy')})
        return log_sigma.detach()

    def entropy_map(self, inputs):
        """Cell entropies ``H`` (B, gh, gw) after the per-image optimisation."""
        return cell_entropy(self.fit_log_sigma(inputs))[:, 0]

    def loss(self, inputs, data_samples=None):
        raise NotImplementedError(
            'PerImageKPExplainer is not trained: it fits sigma for each image in '
            'entropy_map()/predict(); train AmortisedKPExplainer for a learnt sigma predictor')
