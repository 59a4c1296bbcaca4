"""Convert a released SAR-JEPA checkpoint to sar_mm's SARJEPA model or to an mmpretrain backbone.

    python tools/model_converters/sar_jepa_to_mmpretrain.py SRC DST [--to sar_jepa|backbone]
        [--img-size N] [--keep-head]

Source release: SAR-JEPA (W. Li et al., "Predicting gradient is better: Exploring
self-supervised learning for SAR ATR with a joint-embedding predictive architecture", ISPRS J.
Photogramm. Remote Sens. 218:326-338, 2024; github.com/waterdisappear/SAR-JEPA). Its README
links the weights on Kaggle (https://www.kaggle.com/models/liweijie19/sar-jepa) and BaiduYun
(https://pan.baidu.com/s/14sRPSCygTKMelSy4ZkqRzw?pwd=jeq8, folder SAR-JEPA/weights/SAR-JEPA).
Two layouts are read:

* pretraining, ``checkpoint-<epoch>.pth`` of ``Pretraining/main_pretrain.py``
  (``util/misc.py save_model``): ``{'model': state_dict, 'optimizer', 'epoch', 'scaler',
  'args': argparse.Namespace}``, the state dict of ``MaskedAutoencoderViT``
  (``Pretraining/models_lomar.py``, ViT-B/16, 1 channel, 224 px): ``cls_token``, ``mask_token``,
  ``pos_embed`` (a frozen sin-cos table its forward never adds: dropped), ``patch_embed.proj``,
  ``blocks.{i}.{norm1,attn.qkv,attn.proj,attn.rpe_k.lookup_table_weight,norm2,mlp.fc1,mlp.fc2}``,
  ``norm``, the predictor ``encoder_pred``, ``decoder_blocks.{i}.*`` (same block keys),
  ``decoder_norm``, ``decoder_pred`` and the gradient target's kernel buffers
  ``sarfeature{1..4}.weight_{x1,x2,y1,y2}`` (dropped; their sizes give the radii);
* fine-tuned ViT-B/16 (``few_shot_classification/finetune/vision_transformer_irpe.py``
  ``VisionTransformer``, saved by Dassl as ``{'state_dict': ..., 'epoch', 'optimizer',
  'scheduler', 'val_result'}``): the encoder keys above without ``mask_token`` and
  ``pos_embed``, plus the classifier ``head``.

Key map (source -> sar_mm): ``patch_embed.proj`` -> ``patch_embed.projection``; ``blocks.{i}``
-> ``layers.{i}`` with ``norm1`` -> ``ln1``, ``norm2`` -> ``ln2``, ``mlp.fc1`` ->
``ffn.layers.0.0``, ``mlp.fc2`` -> ``ffn.layers.1``, ``attn.qkv``/``attn.proj``/``attn.rpe_*``
unchanged; ``norm`` -> ``ln1``; ``cls_token``, ``mask_token`` unchanged; ``encoder_pred`` ->
``neck.embed``, ``decoder_blocks.{i}`` -> ``neck.layers.{i}`` (same block rules),
``decoder_norm`` -> ``neck.norm``, ``decoder_pred`` -> ``neck.pred``; fine-tune ``head`` ->
``head.layers.head`` (mmpretrain's ``VisionTransformerClsHead``, with ``--keep-head``).

``--to sar_jepa`` (pretraining checkpoints) writes the whole SARJEPA state dict (``backbone.*``
with ``mask_token``, ``neck.*``) for ``configs/sar_jepa/sar_jepa_vit-base-p16-irpe_*.py``;
``--to backbone`` writes ``backbone.*`` keys of ``VisionTransformerIRPE`` (``rpe_cfg=dict()``,
``with_abs_pos_embed=False``): ``init_cfg=dict(type='Pretrained', checkpoint=DST,
prefix='backbone.')`` loads it in mmpretrain classifiers, mmdet (ViT + simple feature pyramid)
and mmseg (mmpretrain's ViT + MultiLevelNeck) configs once their backbone is that type. The
output is ``{'state_dict', 'meta'}`` of plain tensors and builtins; ``meta`` holds the model
config to use. The source is read with sar_mm's safe loader (``weights_only``); the
pretraining checkpoints' ``args`` (an ``argparse.Namespace``, a plain attribute holder) is the
one global allowed on top. A file of another layout is refused, listing the keys expected.
"""
import argparse
import re

from sar_mm.engine.checkpoint import (ReleaseLayoutError, converter_arg_parser, describe_layouts,
                                      layout_error, read_release_checkpoint, save_converted)

RELEASE = ('github.com/waterdisappear/SAR-JEPA (Li et al., ISPRS J. Photogramm. Remote Sens. '
           '218, 2024)')
PRETRAIN, FINETUNE = 'pretrain', 'finetune'
_ENCODER_KEYS = ('cls_token', 'patch_embed.proj.weight', 'blocks.0.norm1.weight',
                 'blocks.0.attn.qkv.weight', 'blocks.0.mlp.fc1.weight', 'norm.weight')
_PRETRAIN_KEYS = _ENCODER_KEYS + ('mask_token', 'encoder_pred.weight',
                                  'decoder_blocks.0.attn.qkv.weight', 'decoder_norm.weight',
                                  'decoder_pred.weight')
_FINETUNE_KEYS = _ENCODER_KEYS + ('head.weight', )

# (regex on the key after ``blocks.N.`` / ``decoder_blocks.N.``, sar_mm name; ``\1`` is N)
_BLOCK_RULES = [(r'norm1\.(weight|bias)', r'ln1.\2'), (r'norm2\.(weight|bias)', r'ln2.\2'),
                (r'attn\.(qkv|proj)\.(weight|bias)', r'attn.\2.\3'),
                (r'attn\.(rpe_[qkv]\..+)', r'attn.\2'),
                (r'mlp\.fc1\.(weight|bias)', r'ffn.layers.0.0.\2'),
                (r'mlp\.fc2\.(weight|bias)', r'ffn.layers.1.\2')]
_BLOCK_STACKS = (('blocks', 'backbone.layers'), ('decoder_blocks', 'neck.layers'))


class SARJEPALayoutError(ReleaseLayoutError):
    """A state dict is not one of the SAR-JEPA release layouts."""


_LAYOUTS = {
    PRETRAIN: ('Pretraining/models_lomar.py MaskedAutoencoderViT', _PRETRAIN_KEYS),
    FINETUNE: ('few_shot_classification/finetune/vision_transformer_irpe.py VisionTransformer',
               _FINETUNE_KEYS),
}
_NECK_NAMES = dict(encoder_pred='embed', decoder_norm='norm', decoder_pred='pred')


def detect_layout(state_dict, source='checkpoint'):
    """``'pretrain'`` or ``'finetune'``; anything else raises listing the expected keys."""
    keys = set(state_dict)
    if all(k in keys for k in _PRETRAIN_KEYS):
        return PRETRAIN
    if all(k in keys for k in _FINETUNE_KEYS) and 'decoder_pred.weight' not in keys:
        return FINETUNE
    raise layout_error(
        f'a SAR-JEPA checkpoint of {RELEASE}', _LAYOUTS, keys, source, error=SARJEPALayoutError)


def read_checkpoint(path):
    """Load ``path`` with sar_mm's safe loader (plus ``argparse.Namespace``): (state dict,
    layout). The state dict is under ``model`` (pretraining), ``state_dict`` (Dassl) or bare,
    ``module.`` prefixes of DistributedDataParallel removed."""
    state_dict = read_release_checkpoint(
        path, allowed_globals=(argparse.Namespace, ), expected=_LAYOUTS, error=SARJEPALayoutError)
    return state_dict, detect_layout(state_dict, path)


def _num_layers(state_dict, prefix):
    ids = {int(m[1]) for m in (re.match(rf'{prefix}\.(\d+)\.', k) for k in state_dict) if m}
    if ids != set(range(len(ids))):
        raise SARJEPALayoutError(f'{prefix}.* blocks are not numbered 0..N-1: {sorted(ids)}')
    return len(ids)


def _num_heads(state_dict, prefix, width, default):
    table = state_dict.get(f'{prefix}.0.attn.rpe_k.lookup_table_weight')
    if table is None:
        return default
    return width // int(table.shape[1])  # (1, head_dim, buckets) with shared_head=True


def infer_arch(state_dict, layout, img_size=None):
    """Architecture read from the tensors: widths, depths, heads (from the iRPE tables), patch
    size, channels, image size (from ``pos_embed``, else ``img_size`` or 224), target radii."""
    width = int(state_dict['cls_token'].shape[-1])
    proj = state_dict['patch_embed.proj.weight']  # (C, in, p, p)
    arch = dict(
        embed_dims=width,
        num_layers=_num_layers(state_dict, 'blocks'),
        num_heads=_num_heads(state_dict, 'blocks', width, 12),
        feedforward_channels=int(state_dict['blocks.0.mlp.fc1.weight'].shape[0]))
    patch = int(proj.shape[-1])
    if img_size is None and 'pos_embed' in state_dict:
        side = int(round((state_dict['pos_embed'].shape[1] - 1)**0.5))
        img_size = side * patch
    out = dict(
        arch=arch,
        patch_size=patch,
        in_channels=int(proj.shape[1]),
        img_size=int(img_size or 224),
        rpe=any('.rpe_' in k for k in state_dict))
    if layout == PRETRAIN:
        dec_width = int(state_dict['encoder_pred.weight'].shape[0])
        out['predictor'] = dict(
            embed_dims=dec_width,
            num_layers=_num_layers(state_dict, 'decoder_blocks'),
            num_heads=_num_heads(state_dict, 'decoder_blocks', dec_width, 16),
            mlp_ratio=state_dict['decoder_blocks.0.mlp.fc1.weight'].shape[0] / dec_width,
            out_channels=int(state_dict['decoder_pred.weight'].shape[0]))
        radii = sorted((int(v.shape[-1]) - 1) // 2 for k, v in state_dict.items()
                       if re.fullmatch(r'sarfeature\d+\.weight_x1', k))
        out['radii'] = radii
    elif 'head.weight' in state_dict:
        out['num_classes'] = int(state_dict['head.weight'].shape[0])
    return out


# The key rules, tried in order, the first full match wins: (regex on the whole source key,
# sar_mm name). The name is a template of the match (``\1``), None (the key is dropped) or a
# function ``(match, mask_token) -> name or None``.
_KEY_RULES = [
    (r'cls_token', 'backbone.cls_token'),
    (r'mask_token', lambda m, mask_token: 'backbone.mask_token' if mask_token else None),
    (r'pos_embed|sarfeature\d+\.weight_[xy][12]', None),  # fixed sin-cos / fixed SAR filters
    (r'patch_embed\.proj\.(weight|bias)', r'backbone.patch_embed.projection.\1'),
    (r'norm\.(weight|bias)', r'backbone.ln1.\1'),
] + [(rf'{stack}\.(\d+)\.{inner}', rf'{where}.\1.{name}') for stack, where in _BLOCK_STACKS
     for inner, name in _BLOCK_RULES] + [
         (r'(encoder_pred|decoder_norm|decoder_pred)\.(weight|bias)',
          lambda m, mask_token: f'neck.{_NECK_NAMES[m[1]]}.{m[2]}'),
         (r'head\.(weight|bias)', r'head.layers.head.\1'),
     ]


def _rename(key, mask_token):
    """sar_mm name of one source key (None: dropped); raises for a key of no known rule."""
    for pattern, name in _KEY_RULES:
        m = re.fullmatch(pattern, key)
        if m is None:
            continue
        if callable(name):
            return name(m, mask_token)
        return None if name is None else m.expand(name)
    raise SARJEPALayoutError(
        f'key {key!r} is not part of the SAR-JEPA layouts ({describe_layouts(_LAYOUTS)})')


def model_configs(arch):
    """Configs of the sar_mm models the converted weights load into."""
    backbone = dict(
        type='VisionTransformerIRPE',
        arch=dict(arch['arch']),
        img_size=arch['img_size'],
        patch_size=arch['patch_size'],
        in_channels=arch['in_channels'],
        norm_cfg=dict(type='LN', eps=1e-6),
        final_norm=True,
        with_abs_pos_embed=False,
        rpe_cfg=dict() if arch['rpe'] else None)
    out = dict(backbone=backbone)
    if 'predictor' in arch:
        out['sar_jepa'] = dict(
            type='SARJEPA',
            backbone=dict(backbone, type='SARJEPAViT'),
            neck=dict(
                type='SARJEPAPredictor',
                **arch['predictor'],
                rpe_cfg=dict() if arch['rpe'] else None),
            target_generator=dict(
                type='SARGradientTarget',
                radii=tuple(arch['radii']),
                window='box',
                eps=0.01,
                patch_size=arch['patch_size']),
            window_sampling='per_batch',
            mask_count_rounding='floor')
    return out


def convert(state_dict, to='backbone', keep_head=False, img_size=None, source='checkpoint'):
    """Convert a release state dict.

    Args:
        state_dict (dict): Source tensors (see the module docstring).
        to (str): ``'sar_jepa'`` (pretraining layout only) or ``'backbone'``.
        keep_head (bool): Keep a fine-tuned classifier as ``head.layers.head.*``.
        img_size (int, optional): Image size for the backbone config when the source has no
            ``pos_embed`` (the fine-tuned ViT). Defaults to the pretraining size, else 224.
        source (str): Name used in errors.

    Returns:
        tuple[dict, dict]: Converted state dict and ``meta`` (release, layout, architecture,
        model configs, dropped keys).
    """
    layout = detect_layout(state_dict, source)
    if to not in ('sar_jepa', 'backbone'):
        raise ValueError(f"--to must be 'sar_jepa' or 'backbone', got {to!r}")
    if to == 'sar_jepa' and layout != PRETRAIN:
        raise SARJEPALayoutError(f'{source}: --to sar_jepa needs a pretraining checkpoint '
                                 f'(with the predictor); this is the {layout} layout')
    arch = infer_arch(state_dict, layout, img_size)
    out, dropped = {}, []
    for key, value in state_dict.items():
        new = _rename(key, mask_token=(to == 'sar_jepa'))
        if new is not None and to == 'backbone' and new.startswith('neck.'):
            new = None
        if new is not None and new.startswith('head.') and not keep_head:
            new = None
        if new is None:
            dropped.append(key)
            continue
        out[new] = value.detach().clone().contiguous()
    meta = dict(
        release=RELEASE,
        layout=layout,
        to=to,
        arch=arch,
        dropped=dropped,
        configs=model_configs(arch))
    return out, meta


def parse_args(argv=None):
    parser = converter_arg_parser(__doc__,
                                  'SAR-JEPA checkpoint (checkpoint-*.pth or a fine-tuned ViT)')
    parser.add_argument(
        '--to',
        default='backbone',
        choices=['sar_jepa', 'backbone'],
        help="'sar_jepa': the whole SARJEPA model; 'backbone': backbone.* of "
        'VisionTransformerIRPE (default)')
    parser.add_argument(
        '--img-size',
        type=int,
        help='image size of the backbone config when '
        'the source has no pos_embed (default 224)')
    parser.add_argument(
        '--keep-head',
        action='store_true',
        help='keep the fine-tuned classifier as head.layers.head.*')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    state_dict, _ = read_checkpoint(args.src)
    converted, meta = convert(
        state_dict, to=args.to, keep_head=args.keep_head, img_size=args.img_size, source=args.src)
    save_converted(converted, args.dst, meta)
    arch = meta['arch']
    print(f'{args.src}: {meta["layout"]} layout, ViT {arch["arch"]} patch {arch["patch_size"]}, '
          f'{len(converted)} tensors written to {args.dst} ({len(meta["dropped"])} dropped: '
          f'{", ".join(meta["dropped"][:6])}{" ..." if len(meta["dropped"]) > 6 else ""})')
    key = 'sar_jepa' if args.to == 'sar_jepa' else 'backbone'
    print(f'model config: {meta["configs"][key]}')


if __name__ == '__main__':
    main()
