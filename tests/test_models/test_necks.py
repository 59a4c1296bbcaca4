"""SimpleFeaturePyramid: shapes, and a SAR-JEPA ViT + pyramid inside mmdet's FCOS."""
import pytest
import torch
from mmengine.registry import DefaultScope

import sar_mm  # noqa: F401
from sar_mm.models.necks import SimpleFeaturePyramid


def test_pyramid_strides_and_channels():
    neck = SimpleFeaturePyramid(
        in_channels=32, out_channels=16, scale_factors=(4.0, 2.0, 1.0, 0.5, 0.25), num_outs=6)
    outs = neck((torch.randn(2, 32, 8, 8), ))
    assert [tuple(o.shape[-2:]) for o in outs] == [(32, 32), (16, 16), (8, 8), (4, 4), (2, 2),
                                                   (1, 1)]
    assert all(o.shape[:2] == (2, 16) for o in outs)
    with pytest.raises(ValueError, match='decreasing'):
        SimpleFeaturePyramid(8, 8, scale_factors=(0.5, 1.0))
    with pytest.raises(ValueError, match='unsupported scale'):
        SimpleFeaturePyramid(8, 8, scale_factors=(3.0, ))


def test_sar_jepa_vit_in_fcos_trains_and_loads_pretrained(tmp_path):
    """A SAR-JEPA checkpoint (64 px grid) initialises the FCOS ViT (256 px grid) by config."""
    from mmdet.registry import MODELS as DET_MODELS
    from mmdet.structures import DetDataSample
    from mmengine.config import Config
    from mmengine.structures import InstanceData
    from mmpretrain.registry import MODELS as CLS_MODELS

    jepa_cfg = Config.fromfile(
        'configs/sar_jepa/sar_jepa_vit-tiny-p8_1xb32-20e_synthetic-sar-64px.py')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        jepa = CLS_MODELS.build(jepa_cfg.model)
    jepa.init_weights()
    ckpt = tmp_path / 'jepa.pth'
    torch.save({'state_dict': jepa.state_dict(), 'meta': {}}, ckpt)

    cfg = Config.fromfile(
        'configs/fcos/fcos_vit-tiny-p8-sar-jepa_sfp_gn-head_1xb4-12e_synthetic-sar-ships.py')
    cfg.model.backbone.img_size = 128
    cfg.model.backbone.init_cfg.checkpoint = str(ckpt)
    model_cfg = dict(cfg.model, data_preprocessor=cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope('mmdet'):
        fcos = DET_MODELS.build(model_cfg)
    fcos.init_weights()
    # the pretrained blocks arrived (the position embeddings were resized 8x8 -> 16x16)
    src = jepa.backbone.state_dict()
    dst = fcos.backbone.state_dict()
    assert torch.equal(dst['layers.0.attn.qkv.weight'], src['layers.0.attn.qkv.weight'])
    assert dst['pos_embed'].shape[1] == 1 + 16 * 16
    sample = DetDataSample(
        metainfo=dict(img_shape=(128, 128), pad_shape=(128, 128), scale_factor=(1.0, 1.0)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[20., 30., 50., 45.]]), labels=torch.tensor([0]))
    data = fcos.data_preprocessor(
        dict(inputs=[torch.rand(1, 128, 128)], data_samples=[sample]), True)
    losses = fcos.loss(data['inputs'], data['data_samples'])
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert fcos.backbone.layers[0].attn.qkv.weight.grad.abs().sum() > 0
    assert fcos.neck.stages[0][0].conv.weight.grad.abs().sum() > 0


def test_sequential_neck_chains_necks_in_the_current_scope():
    import pytest
    import torch
    from mmengine.registry import DefaultScope

    from sar_mm.models.necks import SequentialNeck
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        neck = SequentialNeck(
            [dict(type='GlobalAveragePooling'),
             dict(type='ClsBatchNormNeck', input_features=4)])
    x = torch.arange(2 * 4 * 3 * 3, dtype=torch.float32).view(2, 4, 3, 3)
    out = neck((x, ))
    pooled = x.mean(dim=(2, 3))
    expected = (pooled - pooled.mean(0)) / torch.sqrt(pooled.var(0, unbiased=False) + 1e-6)
    torch.testing.assert_close(out[0], expected)
    with pytest.raises(ValueError, match='at least one neck'):
        SequentialNeck([])
