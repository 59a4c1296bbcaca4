"""SAR knowledge points: perturbation, objective, per-image and amortised explainers."""
import math
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from torch import nn

import sar_mm  # noqa: F401
from sar_mm.engine import CheckpointMismatchError, load_checkpoint_file
from sar_mm.models.explainers import (GAUSSIAN_ENTROPY_OFFSET, AmortisedKPExplainer,
                                      FrozenFeatureExtractor, NoBackgroundCellsError,
                                      PerImageKPExplainer, SigmaUNet, cell_entropy,
                                      count_knowledge_points, feature_variance, perturb,
                                      select_knowledge_points)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLS_CONFIG = 'configs/fewshot/resnet18-1ch_1xb16-30e_synthetic-sar-vehicles-10shot.py'
KP_CONFIG = 'configs/explain/kp_sigma-unet_resnet18-1ch_1xb16-20e_synthetic-sar-vehicles.py'


@pytest.fixture(autouse=True)
def one_thread():
    """Small CPU ops run faster on one thread than on two contended ones."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class WindowModel(nn.Module):
    """Features of the input seen through a window (zero elsewhere) or with a region zeroed."""

    def __init__(self, window, size=64, invert=False, seed=0):
        super().__init__()
        y0, y1, x0, x1 = window
        mask = torch.zeros(1, 1, size, size)
        mask[..., y0:y1, x0:x1] = 1
        self.register_buffer('mask', 1 - mask if invert else mask)
        torch.manual_seed(seed)
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return torch.tanh(self.bn(self.conv(x * self.mask)))


def _inputs(batch=2, size=64, seed=0):
    return torch.randn(batch, 1, size, size, generator=torch.Generator().manual_seed(seed))


# ----------------------------------------------------------------------------- definitions
def test_entropy_is_log_sigma_plus_gaussian_constant():
    log_sigma = torch.tensor([-1.0, 0.0, 2.0])
    assert torch.allclose(cell_entropy(log_sigma), log_sigma + 0.5 * math.log(2 * math.pi * math.e))
    assert GAUSSIAN_ENTROPY_OFFSET == pytest.approx(1.4189385, abs=1e-6)


@pytest.mark.parametrize('mode, samples, factor', [('mean_loss', 3, 1.0), ('mean_input', 4, 0.5)])
def test_perturbation_std_per_cell_shared_over_channels(mode, samples, factor):
    x = torch.zeros(2, 3, 64, 64)
    log_sigma = torch.log(
        torch.rand(2, 1, 4, 4, generator=torch.Generator().manual_seed(1)) * 2 + 0.1)
    noisy = perturb(x, log_sigma, 16, samples, mode, torch.Generator().manual_seed(0))
    assert noisy.shape == ((samples * 2, 3, 64, 64) if mode == 'mean_loss' else x.shape)
    cells = noisy.reshape(-1, 2, 3, 4, 16, 4, 16) if mode == 'mean_loss' else \
        noisy.reshape(1, 2, 3, 4, 16, 4, 16)
    std = cells.permute(1, 3, 5, 0, 2, 4, 6).reshape(2, 4, 4, -1).std(-1)  # per image and cell
    expected = log_sigma[:, 0].exp() * factor  # sigma / sqrt(S) in mean_input mode
    assert torch.allclose(std, expected, rtol=0.08)
    # sigma -> 0 leaves the input unchanged
    assert torch.equal(perturb(x + 1, torch.full_like(log_sigma, -1e4), 16, 1, mode), x + 1)


def test_feature_variance_modes_and_floor():
    f = torch.tensor([[0., 2.], [1., 1.]])
    assert torch.allclose(feature_variance(f, 'image'), torch.tensor([1.0, 1e-12]))
    assert torch.allclose(feature_variance(f, 'batch'), torch.tensor([0.5, 0.5]))


def test_kps_invariant_to_constant_and_monotone_in_b():
    rng = np.random.default_rng(0)
    for _ in range(20):
        h = rng.normal(size=(8, 8))
        labels = rng.integers(0, 3, size=(8, 8))
        labels[0, 0] = 0
        for b in (0.0, 0.25, 0.3, 0.5):
            assert np.array_equal(
                select_knowledge_points(h, labels, b), select_knowledge_points(h + 7.5, labels, b))
        counts = count_knowledge_points(h, labels, (0.1, 0.25, 0.3, 0.4, 0.5, 1.0))
        totals = [c['num_foreground'] + c['num_background'] for c in counts.values()]
        assert all(a >= b for a, b in zip(totals, totals[1:]))
        for c in counts.values():
            assert math.isnan(c['fg_ratio']) or 0 <= c['fg_ratio'] <= 1


def test_kp_rule_by_hand():
    h = np.array([[0.0, 1.0], [1.0, 0.6]])
    labels = np.array([[1, 0], [0, 2]])
    # background mean 1.0: the target cell (margin 1.0) and the shadow cell (0.4) at b=0.3
    kp = select_knowledge_points(h, labels, 0.3)
    assert kp.tolist() == [[True, False], [False, True]]
    assert select_knowledge_points(h, labels, 0.5).tolist() == [[True, False], [False, False]]
    counts = count_knowledge_points(h, labels, (0.3, ))[0.3]
    assert (counts['num_target'], counts['num_shadow'], counts['num_background']) == (1, 1, 0)
    assert counts['fg_ratio'] == 1.0 and counts['target_margin'] == pytest.approx(1.0)


def test_no_background_cells_is_an_error_naming_the_image():
    with pytest.raises(NoBackgroundCellsError, match='chip_7.png'):
        select_knowledge_points(np.zeros((2, 2)), np.ones((2, 2)), 0.3, name='chip_7.png')


# ----------------------------------------------------------------------------- per image
def _centre_labels(rows, cols, grid=8):
    labels = np.zeros((grid, grid), np.uint8)
    labels[rows[0]:rows[1], cols[0]:cols[1]] = 1
    return labels


@pytest.mark.parametrize('window, cells', [((24, 40, 24, 40), ((3, 5), (3, 5))),
                                           ((0, 16, 48, 64), ((0, 2), (6, 8)))])
def test_per_image_kps_follow_the_sensitive_window(window, cells):
    """Features see only a 16x16 window: after the optimisation the KPs are its 4 cells."""
    explainer = PerImageKPExplainer(WindowModel(window), alpha=50.0, steps=150)
    h = explainer.entropy_map(_inputs())
    assert h.shape == (2, 8, 8)
    labels = _centre_labels(*cells)
    for image in h:
        kp = select_knowledge_points(image, labels, 0.3)
        assert kp[labels == 1].all() and not kp[labels == 0].any()
        counts = count_knowledge_points(image, labels, (0.3, ))[0.3]
        assert counts['fg_ratio'] >= 0.9
    # the loss went down from the start
    assert explainer.history[-1]['loss'] < explainer.history[0]['loss']


def test_per_image_zeroed_region_gets_no_kp():
    """A quadrant zeroed before the 'backbone': it never holds a KP, and its H is not lower
    than that of the cells the model does see."""
    explainer = PerImageKPExplainer(WindowModel((0, 32, 0, 32), invert=True), alpha=50.0, steps=150)
    h = explainer.entropy_map(_inputs(1))[0].numpy()
    labels = np.zeros((8, 8), np.uint8)  # everything background: the rule still applies
    kp = select_knowledge_points(h, labels, 0.3)
    assert not kp[:4, :4].any()
    assert kp[4:, :].any() or kp[:, 4:].any()
    assert h[:4, :4].min() >= h[4:, 4:].mean() - 0.05


def test_constant_features_give_flat_entropy_and_no_kp():

    class Constant(nn.Module):

        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(3))

        def forward(self, x):
            return self.w.expand(x.shape[0], 3) * 1.0

    h = PerImageKPExplainer(Constant(), alpha=10.0, steps=30).entropy_map(_inputs(1))[0]
    assert torch.allclose(h, h.mean().expand_as(h), atol=1e-6)
    assert not select_knowledge_points(h, np.zeros((8, 8)), 0.0).any()


@pytest.mark.parametrize('mode, samples, tol', [('mean_loss', 8, 0.1), ('mean_input', 4, 0.15)])
def test_linear_features_reach_the_closed_form_optimum(mode, samples, tol):
    """F(x) = W x: E||W delta||^2 = sum_c sigma_c^2 ||W_c||_F^2, so the per-cell objective
    sigma_c^2 ||W_c||^2 / v - alpha / N log sigma_c is minimal at
    sigma_c^2 = alpha v / (2 N ||W_c||^2) (times S for mean_input)."""
    g = torch.Generator().manual_seed(0)
    channels, size, cell, m, alpha = 2, 16, 4, 32, 20.0
    grid = size // cell
    w = torch.randn(m, channels, size, size, generator=g)
    w = w * torch.exp(torch.randn(1, 1, grid, grid, generator=g)).repeat_interleave(
        cell, 2).repeat_interleave(cell, 3)  # cells of different sensitivity
    linear = nn.Linear(channels * size * size, m, bias=False)
    linear.weight.data = w.reshape(m, -1)
    model = nn.Sequential(nn.Flatten(), linear)
    x = torch.randn(3, channels, size, size, generator=g)
    explainer = PerImageKPExplainer(
        model,
        cell_size=cell,
        alpha=alpha,
        steps=500,
        lr=0.05,
        init_sigma=0.3,
        num_samples=samples,
        sample_mode=mode)
    log_sigma = explainer.fit_log_sigma(x)[:, 0]  # (B, gh, gw)
    v = (x.flatten(1) @ linear.weight.T).var(1, unbiased=False)
    w_c = w.pow(2).reshape(m, channels, grid, cell, grid, cell).sum((0, 1, 3, 5))  # (gh, gw)
    factor = samples if mode == 'mean_input' else 1
    optimum = 0.5 * torch.log(factor * alpha * v[:, None, None] / (2 * grid * grid * w_c))
    assert (optimum.max() - optimum.min()) > 1.0  # a non-trivial target
    assert torch.allclose(log_sigma, optimum, atol=tol), (log_sigma - optimum).abs().max()


def test_image_size_not_a_multiple_of_the_cell_is_an_error():
    explainer = PerImageKPExplainer(WindowModel((0, 8, 0, 8), size=60), steps=1)
    with pytest.raises(ValueError, match=r'60x60 is not a multiple of the cell size 8'):
        explainer.entropy_map(torch.zeros(1, 1, 60, 60))


def test_per_image_is_deterministic_and_not_trainable():
    explainer = PerImageKPExplainer(WindowModel((24, 40, 24, 40)), alpha=50.0, steps=5)
    x = _inputs(1)
    assert torch.equal(explainer.entropy_map(x), explainer.entropy_map(x))
    with pytest.raises(NotImplementedError):
        explainer.loss(x)
    samples = explainer.predict(x)
    assert samples[0].kp_entropy.shape == (8, 8) and samples[0].kp_cell_size == 8


# ----------------------------------------------------------------------------- frozen model
def test_frozen_extractor_stays_in_eval_and_takes_the_layer_asked():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Dropout(0.5))
    frozen = FrozenFeatureExtractor(model)
    frozen.train()
    assert not any(m.training for m in model.modules())
    assert not any(p.requires_grad for p in model.parameters())
    x = torch.randn(2, 1, 8, 8)
    assert torch.equal(frozen(x), frozen(x))  # no dropout, running BN statistics
    first = FrozenFeatureExtractor(model, feature_layer='0')
    assert torch.equal(first(x), model[0](x))
    with pytest.raises(ValueError, match="feature_layer 'layer9'"):
        FrozenFeatureExtractor(model, feature_layer='layer9')


def _classifier():
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(Config.fromfile(osp.join(ROOT, CLS_CONFIG)).model)


def test_classifier_feature_is_the_last_backbone_stage():
    clf = _classifier().eval()
    frozen = FrozenFeatureExtractor(clf)
    x = torch.randn(1, 1, 64, 64)
    assert torch.equal(frozen(x), clf.backbone(x)[-1])
    assert frozen(x).shape == (1, 512, 2, 2)
    layer3 = FrozenFeatureExtractor(clf, feature_layer='backbone.layer3')
    assert layer3(x).shape == (1, 256, 4, 4)


def test_checkpoint_of_another_architecture_names_the_file(tmp_path):
    state = _classifier().state_dict()
    state.pop('head.fc.bias')
    state['backbone.extra.weight'] = torch.zeros(1)
    path = str(tmp_path / 'other_arch.pth')
    torch.save({'state_dict': state}, path)
    explainer = PerImageKPExplainer(CLS_CONFIG, path)
    with pytest.raises(CheckpointMismatchError, match='other_arch.pth') as err:
        explainer.init_weights()
    assert 'head.fc.bias' in str(err.value) and 'backbone.extra.weight' in str(err.value)


# ----------------------------------------------------------------------------- amortised
def test_sigma_unet_output_and_logvar_normalisation():
    net = SigmaUNet(in_channels=2, cell_size=8, base_channels=4, max_channels=16, logvar_channels=6)
    out = net(torch.randn(3, 2, 48, 40))
    assert out.shape == (3, 1, 6, 5)
    z = {}
    net.norm.register_forward_hook(lambda m, i, o: z.update(z=o, raw=i[0]))
    net.train()
    net(torch.randn(4, 2, 64, 64))
    # per channel: zero mean and unit variance (up to BatchNorm's eps), no affine
    raw_var = z['raw'].var((0, 2, 3), unbiased=False)
    assert torch.allclose(z['z'].mean((0, 2, 3)), torch.zeros(6), atol=1e-4)
    assert torch.allclose(
        z['z'].var((0, 2, 3), unbiased=False), raw_var / (raw_var + 1e-5), rtol=1e-3)
    assert not hasattr(net.norm, 'weight') or net.norm.weight is None
    with pytest.raises(ValueError, match='power of 2'):
        SigmaUNet(cell_size=6)


def test_amortised_training_keeps_the_explained_model_bit_identical(tmp_path, synthetic_root):
    """Train the explainer 3 iterations through the Runner (the config of configs/explain):
    the classifier's weights and BN buffers equal its checkpoint, in memory and in the saved
    explainer checkpoint, while the sigma net changed."""
    from mmengine.runner import Runner
    clf = _classifier()
    g = torch.Generator().manual_seed(0)
    for m in clf.modules():  # non-trivial running statistics, so a drift would show
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    reference = {k: v.clone() for k, v in clf.state_dict().items()}
    ckpt = str(tmp_path / 'classifier.pth')
    torch.save({'state_dict': reference, 'meta': {}}, ckpt)

    cfg = Config.fromfile(osp.join(ROOT, KP_CONFIG))
    root = osp.join(synthetic_root, 'vehicles') + '/'
    loader = dict(
        num_workers=0, persistent_workers=False, batch_size=4, dataset=dict(data_root=root))
    cfg.merge_from_dict({
        'model.explained_checkpoint':
        ckpt,
        'model.sigma_net.base_channels':
        4,
        'model.sigma_net.max_channels':
        16,
        'model.sigma_net.logvar_channels':
        8,
        'train_dataloader':
        loader,
        'val_dataloader':
        loader,
        'test_dataloader':
        loader,
        'train_cfg':
        dict(_delete_=True, type='IterBasedTrainLoop', max_iters=3, val_interval=3),
        'default_hooks.checkpoint':
        dict(type='CheckpointHook', interval=3, by_epoch=False),
        'log_processor':
        dict(by_epoch=False),
        'work_dir':
        str(tmp_path / 'work')
    })
    cfg.param_scheduler = []
    runner = Runner.from_cfg(cfg)
    sigma_before = {k: v.clone() for k, v in runner.model.sigma_net.state_dict().items()}
    runner.train()

    model = runner.model
    assert isinstance(model, AmortisedKPExplainer)
    assert not model.explained.training and model.sigma_net.training is False  # after val
    after = model.explained.model.state_dict()
    assert after.keys() == reference.keys()
    assert all(torch.equal(after[k], reference[k]) for k in reference)
    saved = load_checkpoint_file(str(tmp_path / 'work' / 'iter_3.pth'))['state_dict']
    assert all(torch.equal(saved['explained.model.' + k], reference[k]) for k in reference)
    changed = [
        k for k, v in model.sigma_net.state_dict().items()
        if v.is_floating_point() and not torch.equal(v, sigma_before[k])
    ]
    assert changed
    # the validation ran the KP metric on the heuristic regions
    metrics = runner.message_hub.log_scalars
    assert 'val/sar_kp/b0.3/num_target' in metrics


def test_amortised_loss_terms_and_batch_scaling():
    explainer = AmortisedKPExplainer(
        WindowModel((24, 40, 24, 40)),
        alpha=10.0,
        num_samples=2,
        sigma_net=dict(type='SigmaUNet', base_channels=4, max_channels=8, logvar_channels=4))
    x = _inputs(4)
    torch.manual_seed(0)
    losses = explainer.loss(x)
    assert set(losses) == {'loss_feature', 'loss_entropy', 'mean_entropy'}
    assert losses['loss_entropy'].item() == pytest.approx(-10.0 * losses['mean_entropy'].item())
    # alpha is per image: the entropy term of a batch is the mean, not the sum, over images
    explainer.eval()
    one = explainer.loss(x[:1])['loss_entropy']
    many = explainer.loss(x[:1].repeat(4, 1, 1, 1))['loss_entropy']
    assert torch.allclose(one, many, rtol=1e-5)
    losses['loss_feature'].backward()
    assert all(p.grad is None for p in explainer.explained.parameters())
    assert any(p.grad is not None for p in explainer.sigma_net.parameters())
    assert explainer(x).shape == (4, 8, 8)
