"""CAM glue: method names, target layers per backbone family, ViT token grids, categories."""
import logging

import numpy as np
import pytest
import torch

from sar_mm.apis import SARImageClassificationInferencer, init_sar_classifier
from sar_mm.apis.cam import (CAM_METHODS, TokenGridReshape, check_categories, compute_cams,
                             default_target_layers, get_target_layers, method_column_title,
                             prepare_cam_input, resolve_cam_method)
from .helpers import (CLASSES, RESNET_CLS, VIT_CLS, config_path, sar_amplitude,
                      save_random_checkpoint)


@pytest.fixture(scope='module')
def models(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('cam')
    out = {}
    for name, config in (('resnet', RESNET_CLS), ('vit', VIT_CLS)):
        ckpt = save_random_checkpoint(
            config, tmp / f'{name}.pth', dataset_meta=dict(classes=CLASSES))
        out[name] = init_sar_classifier(config_path(config), ckpt)
    return out


def test_method_names():
    assert resolve_cam_method('GradCAM++') is CAM_METHODS['gradcam++']
    assert resolve_cam_method('gradcam_pp') is resolve_cam_method('GradCAMPlusPlus')
    assert resolve_cam_method('Eigen-CAM').cls_name == 'EigenCAM'
    assert resolve_cam_method('KPCA_CAM').class_discriminative is False
    with pytest.raises(ValueError, match=r"unknown CAM method 'GradCAN'; supported: Grad-CAM"):
        resolve_cam_method('GradCAN')
    import pytorch_grad_cam
    for method in CAM_METHODS.values():  # every listed method exists in the package
        assert hasattr(pytorch_grad_cam, method.cls_name)
    assert method_column_title(resolve_cam_method('EigenCAM'), 'tank') == \
        'Eigen-CAM (class-agnostic)'
    assert method_column_title(resolve_cam_method('XGradCAM'), 'tank') == 'XGrad-CAM: tank'


def test_categories():
    assert check_categories(['1', 'van', 0], CLASSES) == [1, 4, 0]
    with pytest.raises(
            ValueError,
            match=r'target category 5 is out of range: the model has 5 '
            r'classes \(0..4: tank, truck'):
        check_categories([5], CLASSES)
    with pytest.raises(ValueError, match="target category 'ship' is not a class"):
        check_categories(['ship'], CLASSES)


def test_default_target_layers(models):
    assert [n for n, _ in default_target_layers(models['resnet'])] == ['backbone.layer4']
    name, layer = default_target_layers(models['vit'])[0]
    assert name == 'backbone.layers.5.ln1' and layer is models['vit'].backbone.layers[5].ln1
    assert get_target_layers(models['resnet'], ['backbone.layer3.1'])[0][0] == \
        'backbone.layer3.1'
    with pytest.raises(ValueError, match="no module 'backbone.layer9'.*backbone.layer4"):
        get_target_layers(models['resnet'], ['backbone.layer9'])


def test_token_grid_reshape_follows_the_input(models):
    backbone = models['vit'].backbone
    reshape = TokenGridReshape(backbone)
    tokens = {}
    hook = backbone.layers[5].ln1.register_forward_hook(
        lambda m, a, out: tokens.setdefault('out', out))
    with torch.no_grad():
        backbone(torch.randn(1, 1, 48, 80))  # a 6 x 10 patch grid, plus the class token
    hook.remove()
    reshape.release()
    assert tokens['out'].shape == (1, 61, 192) and reshape.grid == (6, 10)
    grid = reshape(tokens['out'])
    assert grid.shape == (1, 192, 6, 10)
    # patch token k is grid cell (k // 10, k % 10); the class token is dropped
    torch.testing.assert_close(grid[0, :, 2, 3], tokens['out'][0, 1 + 23])


@pytest.mark.parametrize('name', ['resnet', 'vit'])
def test_cams_are_per_class_except_eigen_cam(models, name, tmp_path):
    model = models[name]
    import tifffile
    path = str(tmp_path / 'chip.tif')
    tifffile.imwrite(path, sar_amplitude(64))
    inferencer = SARImageClassificationInferencer(model)
    inputs, picture = prepare_cam_input(model, inferencer.pipeline, inferencer.loader, path)
    assert inputs.shape == (1, 1, 64, 64) and picture.shape == (64, 64, 3)
    assert 0 <= picture.min() and picture.max() <= 1
    grad = compute_cams(model, inputs, [0, 3], 'GradCAM')
    assert grad['cams'].shape == (2, 64, 64) and grad['categories'] == [0, 3]
    assert grad['cams'].min() >= 0 and grad['cams'].max() <= 1
    assert grad['probs'].sum() == pytest.approx(1, abs=1e-5)
    assert not np.allclose(grad['cams'][0], grad['cams'][1])  # class-discriminative
    eigen = compute_cams(model, inputs, [0, 3], 'EigenCAM')
    assert eigen['cams'].shape == (1, 64, 64)  # one map whatever the classes asked
    assert eigen['categories'] == [int(grad['probs'].argmax())]
    assert eigen['cams'].max() == pytest.approx(1, abs=1e-5)
    # no hook is left on the model
    layer = default_target_layers(model)[0][1]
    assert not layer._forward_hooks


def test_gradcam_on_a_frozen_backbone(tmp_path):
    """A linear probe (every backbone stage frozen) still gets class-specific maps."""
    frozen = {'model.backbone.frozen_stages': 4}
    model = init_sar_classifier(config_path(RESNET_CLS), cfg_options=frozen)
    assert not any(p.requires_grad for p in model.backbone.parameters())
    inputs = torch.randn(1, 1, 96, 96)  # a 3 x 3 map at layer4
    out = compute_cams(model, inputs, [0, 1], 'GradCAM')
    assert out['cams'].shape == (2, 96, 96)
    assert out['cams'].max() == pytest.approx(1, abs=1e-5)  # maps normalised to [0, 1]


class CollectMessages(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_a_one_pixel_target_map_is_reported(models):
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    handler = CollectMessages()
    logger.addHandler(handler)
    try:
        out = compute_cams(models['resnet'], torch.randn(1, 1, 32, 32), [0], 'GradCAM')
    finally:
        logger.removeHandler(handler)
    assert out['cams'].max() == 0  # a 1 x 1 map at layer4 of a 32 px chip: blank
    assert any('backbone.layer4 gives a 1x1 map for a 32x32 input' in m for m in handler.messages)


def test_vit_default_layer_is_the_last_one_patch_tokens_reach_the_class_token(models):
    """Patch tokens reach the class token (read by the head) only through attention, so their
    gradients are zero after the last attention (ln2) and not before it (the default, ln1)."""
    model = models['vit']
    block = model.backbone.layers[-1]
    outputs, handles = {}, []
    for name in ('ln1', 'ln2'):

        def keep(module, args, out, name=name):
            out.retain_grad()
            outputs[name] = out

        handles.append(getattr(block, name).register_forward_hook(keep))
    model(torch.randn(1, 1, 64, 64))[0, 0].backward()
    for handle in handles:
        handle.remove()
    assert outputs['ln1'].grad[0, 1:].abs().sum() > 0  # patch tokens at the default layer
    assert outputs['ln2'].grad[0, 1:].abs().sum() == 0
    assert default_target_layers(model)[0][1] is block.ln1
