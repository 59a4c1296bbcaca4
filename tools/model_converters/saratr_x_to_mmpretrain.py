"""Convert a released SARATR-X HiViT checkpoint to mmpretrain's ``HiViT`` backbone.

    python tools/model_converters/saratr_x_to_mmpretrain.py SRC DST [--to backbone|hivit]
        [--in-channels N] [--num-heads H] [--no-check]

Source release: SARATR-X (W. Li, W. Yang, Y. Hou, L. Liu, Y. Liu, X. Li, "SARATR-X: Toward
building a foundation model for SAR target recognition", IEEE Trans. Image Process. 34:869-884,
2025, arXiv:2405.09365; github.com/waterdisappear/SARATR-X, licence CC BY-NC 4.0). Its README
links the data and checkpoints on Hugging Face (https://huggingface.co/waterdisappear/SARATR-X)
and BaiduYun (https://pan.baidu.com/s/1EuTo0WCbb69F_bGV6Iwd8A?pwd=7b3u). Two layouts are read:

* pretraining, ``checkpoint-<epoch>.pth`` of ``pre-training/main_pretrain.py``
  (``util/misc.py save_model``): ``{'model': state_dict, 'optimizer', 'epoch', 'scaler',
  'args': argparse.Namespace}``, the state dict of ``HiViTMaskedAutoencoder`` built by
  ``mae_hivit_base_dec512d6b`` (``pre-training/models/models_hivit_mae.py``): HiViT-B with
  ``embed_dim=512, depths=[2, 2, 20], num_heads=8, stem_mlp_ratio=3, mlp_ratio=4``, 16-px
  patches cut by a 4 x 4 conv into 4 x 4 inner patches, ``in_chans=3`` (its forward feeds the
  SAR band three times), 224 px, LayerNorm eps 1e-6, learnt absolute position embedding
  (initialised sin-cos), **no** relative position bias (``rpe=False``). Keys:
  ``absolute_pos_embed`` (1, 196, 512); ``patch_embed.{proj,norm}``; ``blocks.{0..29}``: 0-3
  MLP-only blocks of width 128 (``norm2``, ``mlp.fc1``, ``mlp.fc2``), 4 a ``PatchMerge``
  (``norm``, ``reduction`` without bias), 5-8 MLP-only blocks of width 256, 9 a ``PatchMerge``,
  10-29 the 20 attention blocks of width 512 (``norm1``, ``attn.qkv``, ``attn.proj``,
  ``norm2``, ``mlp.fc1``, ``mlp.fc2``); the pretraining head: ``norm`` (width 3584, over the
  concatenated 4 x 4, 2 x 2 and 1 x 1 token features), ``mask_token``, ``decoder_pos_embed``,
  ``decoder_embed``, ``decoder_blocks.{0..5}``, ``decoder_norm``, ``decoder_pred`` and the
  gradient target's kernel buffers ``sarfeature{1,2,3}.weight_{x1,x2,y1,y2}`` (radii 9, 13,
  17). This is what the release's own downstream code loads (``classification/trainers/
  MIM_linear.py``: ``checkpoint['model']``, ``module.`` stripped, ``strict=False``).
* encoder, a state dict of the release's classifier ``HiViT`` (``classification/model/
  hivit.py`` or ``pre-training/models/models_hivit.py``), bare or under ``model`` /
  ``state_dict``: the encoder keys above plus ``fc_norm`` and ``head`` (a ``Linear``, or
  ``head.0`` BatchNorm + ``head.1`` Linear after the release's linear probe); with ``rpe=True``
  also ``blocks.{i}.attn.relative_position_bias_table`` and ``relative_position_index``
  buffers.

Key map (source -> mmpretrain ``HiViT``, v1.2.0): ``absolute_pos_embed`` -> ``pos_embed``;
``patch_embed.*``, ``blocks.{i}.*`` (MLP, attention and ``PatchMerge`` blocks alike) and
``blocks.{i}.attn.relative_position_bias_table`` keep their names (mmpretrain's HiViT numbers
its ``blocks`` as the release does); the ``relative_position_index`` buffers (mmpretrain has one
per attention block and one in the backbone) are recomputed. Dropped: the pretraining head
(``norm``, ``mask_token``, ``decoder_*``, ``sarfeature*``) and the classifier's ``fc_norm`` /
``head`` (mmpretrain's HiViT has no final norm; an ``ImageClassifier`` pools it with a neck).
The patch projection is adapted to ``--in-channels`` with ``sar_mm.engine.adapt_input_channels``
(3 -> 1, the default, sums the three filters: the same response to the one SAR band the release
fed three times).

``--to backbone`` (default) writes ``backbone.*`` keys, for ``init_cfg=dict(type='Pretrained',
checkpoint=DST, prefix='backbone.')`` in mmpretrain classifiers (``configs/_base_/models/
hivit_base_p16_1ch_cls_saratr-x.py``); ``--to hivit`` writes the bare keys of the ``HiViT``
module. The architecture is read from the tensors (widths, depths, patch size, image size, MLP
ratios, channels); the number of heads cannot be (``--num-heads``, 8 in the release) unless a
relative position table gives it. Unless ``--no-check``, the result is loaded into mmpretrain's
``HiViT`` built from that config (every key, every shape). The output is
``{'state_dict', 'meta'}`` of plain tensors and builtins (``torch.load(..., weights_only=True)``
reads it); ``meta`` holds the backbone config to use. The source is read with sar_mm's safe
loader (``weights_only``); the pretraining checkpoints' ``args`` (an ``argparse.Namespace``, a
plain attribute holder) is the one global allowed on top. A file of another layout is refused,
naming the file, the keys expected and the keys found.
"""
import argparse
import re

import torch

from sar_mm.engine.checkpoint import (ReleaseLayoutError, adapt_input_channels,
                                      check_state_dict_fits, converter_arg_parser, describe_layouts,
                                      layout_error, read_release_checkpoint, save_converted)

RELEASE = ('github.com/waterdisappear/SARATR-X (Li et al., IEEE Trans. Image Process. 34, '
           '2025)')
PRETRAIN, ENCODER = 'pretrain', 'encoder'
DEFAULT_NUM_HEADS = 8
# signature of a HiViT encoder of the release (every layout has these)
_ENCODER_KEYS = ('absolute_pos_embed', 'patch_embed.proj.weight', 'patch_embed.norm.weight',
                 'blocks.0.mlp.fc1.weight')
_ENCODER_PATTERNS = {
    'blocks.N.reduction.weight (PatchMerge)': r'blocks\.\d+\.reduction\.weight',
    'blocks.N.attn.qkv.weight (main stage)': r'blocks\.\d+\.attn\.qkv\.weight',
}
_PRETRAIN_KEYS = ('mask_token', 'decoder_embed.weight', 'decoder_pred.weight', 'norm.weight')
_LAYOUTS = {
    PRETRAIN: ('pre-training/models/models_hivit_mae.py HiViTMaskedAutoencoder',
               _ENCODER_KEYS + tuple(_ENCODER_PATTERNS) + _PRETRAIN_KEYS),
    ENCODER: ('classification/model/hivit.py HiViT', _ENCODER_KEYS + tuple(_ENCODER_PATTERNS) +
              ('fc_norm.weight (optional)', 'head.weight (optional)')),
}


class SARATRXLayoutError(ReleaseLayoutError):
    """A state dict is not one of the SARATR-X release layouts."""


def has_encoder(keys):
    """Whether ``keys`` hold a HiViT encoder of the release (SARATR-X and SARATR-X-v2)."""
    return all(k in keys for k in _ENCODER_KEYS) and all(
        any(re.fullmatch(p, k) for k in keys) for p in _ENCODER_PATTERNS.values())


def match_layout(keys, pretrain_keys=_PRETRAIN_KEYS):
    """``'pretrain'`` (the encoder and ``pretrain_keys``), ``'encoder'`` (the encoder, no
    decoder) or None, for the keys of a (v1 or v2) release state dict."""
    if not has_encoder(keys):
        return None
    if all(k in keys for k in pretrain_keys):
        return PRETRAIN
    if not any(k.startswith(('decoder_', 'mask_token')) for k in keys):
        return ENCODER
    return None


def detect_layout(state_dict, source='checkpoint'):
    """``'pretrain'`` or ``'encoder'``; anything else raises naming the file and the keys."""
    layout = match_layout(set(state_dict))
    if layout is None:
        raise layout_error(
            f'a SARATR-X HiViT checkpoint of {RELEASE}',
            _LAYOUTS,
            state_dict,
            source,
            error=SARATRXLayoutError)
    return layout


def read_checkpoint(path):
    """Load ``path`` with sar_mm's safe loader (plus ``argparse.Namespace``): (state dict,
    layout). The state dict is under ``model`` (pretraining), ``state_dict`` or bare,
    ``module.`` prefixes of DistributedDataParallel removed."""
    state_dict = read_release_checkpoint(
        path, allowed_globals=(argparse.Namespace, ), expected=_LAYOUTS, error=SARATRXLayoutError)
    return state_dict, detect_layout(state_dict, path)


def _block_ids(state_dict, suffix):
    return sorted({
        int(m[1])
        for m in (re.fullmatch(rf'blocks\.(\d+)\.{suffix}', k) for k in state_dict) if m
    })


def infer_arch(state_dict, num_heads=None, source='checkpoint'):
    """The HiViT architecture read from the tensors.

    Returns:
        dict: ``arch`` (mmpretrain's ``embed_dims``, ``depths``, ``num_heads``), ``img_size``,
        ``patch_size``, ``inner_patches``, ``in_channels``, ``stem_mlp_ratio``, ``mlp_ratio``,
        ``qkv_bias``, ``rpe``, ``num_blocks``.
    """

    def fail(msg):
        raise SARATRXLayoutError(f'{source}: {msg}')

    blocks = _block_ids(state_dict, r'.+')
    if blocks != list(range(len(blocks))):
        fail(f'blocks.* are not numbered 0..N-1: {blocks}')
    merges = _block_ids(state_dict, r'reduction\.weight')
    attn = _block_ids(state_dict, r'attn\.qkv\.weight')
    last = merges[-1]
    if attn != list(range(last + 1, len(blocks))):
        fail(f'the attention blocks {attn} are not the blocks after the last PatchMerge '
             f'(block {last})')
    stages, start = [], 0
    for merge in merges:
        count = merge - start  # MLP-only blocks, two per HiViT block of a stem stage
        if count <= 0 or count % 2:
            fail(f'{count} MLP blocks before PatchMerge block {merge}: expected an even number')
        stages.append(count // 2)
        start = merge + 1
    proj = state_dict['patch_embed.proj.weight']  # (stem width, in_chans, k, k)
    stem = int(proj.shape[0])
    embed_dims = stem * 2**len(merges)
    pos = state_dict['absolute_pos_embed']  # (1, grid * grid, embed_dims)
    if int(pos.shape[-1]) != embed_dims:
        fail(f'absolute_pos_embed is {int(pos.shape[-1])} wide, the main stage {embed_dims}')
    side = int(round(pos.shape[1]**0.5))
    if side * side != pos.shape[1]:
        fail(f'absolute_pos_embed has {pos.shape[1]} positions: not a square grid')
    first = attn[0]
    table = state_dict.get(f'blocks.{first}.attn.relative_position_bias_table')
    if table is not None:
        if table.shape[0] != (2 * side - 1)**2:
            fail(f'relative_position_bias_table has {table.shape[0]} rows, expected '
                 f'{(2 * side - 1)**2} for a {side} x {side} grid')
        heads = int(table.shape[1])
        if num_heads is not None and num_heads != heads:
            fail(f'--num-heads {num_heads} contradicts the relative position table ({heads})')
    else:
        heads = DEFAULT_NUM_HEADS if num_heads is None else int(num_heads)
    if embed_dims % heads:
        fail(f'{heads} heads do not divide the width {embed_dims}')
    inner = 2**len(merges)
    patch = int(proj.shape[-1]) * inner
    return dict(
        arch=dict(embed_dims=embed_dims, depths=stages + [len(attn)], num_heads=heads),
        img_size=side * patch,
        patch_size=patch,
        inner_patches=inner,
        in_channels=int(proj.shape[1]),
        stem_mlp_ratio=state_dict['blocks.0.mlp.fc1.weight'].shape[0] / stem,
        mlp_ratio=state_dict[f'blocks.{first}.mlp.fc1.weight'].shape[0] / embed_dims,
        qkv_bias=f'blocks.{first}.attn.qkv.bias' in state_dict,
        rpe=table is not None,
        num_blocks=len(blocks))


def backbone_config(arch, in_channels=None):
    """mmpretrain ``HiViT`` config of the converted weights (LayerNorm eps 1e-6 as the release
    builds it: ``partial(nn.LayerNorm, eps=1e-6)``, not readable from the tensors)."""
    return dict(
        type='HiViT',
        arch=dict(arch['arch']),
        img_size=arch['img_size'],
        patch_size=arch['patch_size'],
        inner_patches=arch['inner_patches'],
        in_chans=arch['in_channels'] if in_channels is None else int(in_channels),
        stem_mlp_ratio=arch['stem_mlp_ratio'],
        mlp_ratio=arch['mlp_ratio'],
        qkv_bias=arch['qkv_bias'],
        norm_cfg=dict(type='LN', eps=1e-6),
        out_indices=[arch['arch']['depths'][-1] - 1],
        ape=True,
        rpe=arch['rpe'],
        patch_norm=True,
        drop_path_rate=0.0)


def relative_position_index(side):
    """Index into a ``((2 side - 1)^2, heads)`` bias table for every pair of tokens of a
    ``side x side`` grid (row-major): ``(dy + side - 1) * (2 side - 1) + dx + side - 1``."""
    rows, cols = torch.meshgrid(torch.arange(side), torch.arange(side), indexing='ij')
    rows, cols = rows.flatten(), cols.flatten()
    dy = rows[:, None] - rows[None, :] + side - 1
    dx = cols[:, None] - cols[None, :] + side - 1
    return dy * (2 * side - 1) + dx


# The key rules, tried in order, the first full match wins: (regex on the whole source key,
# mmpretrain HiViT name or None to drop it).
_KEY_RULES = [
    (r'absolute_pos_embed', 'pos_embed'),
    (r'patch_embed\.(proj|norm)\.(weight|bias)', r'patch_embed.\1.\2'),
    (r'blocks\.(\d+)\.(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)\.(weight|bias)',
     r'blocks.\1.\2.\3'),
    (r'blocks\.(\d+)\.attn\.relative_position_bias_table',
     r'blocks.\1.attn.relative_position_bias_table'),
    (r'blocks\.(\d+)\.norm\.(weight|bias)', r'blocks.\1.norm.\2'),  # PatchMerge
    (r'blocks\.(\d+)\.reduction\.weight', r'blocks.\1.reduction.weight'),
    (r'(blocks\.\d+\.attn\.)?relative_position_index', None),  # recomputed
    # the pretraining head: multi-scale feature norm, MAE decoder, gradient-target kernels
    (r'norm\.(weight|bias)|mask_token|decoder_pos_embed|'
     r'decoder_(embed|norm|pred)\.(weight|bias)|decoder_blocks\.\d+\..+|'
     r'sarfeature\d+\.weight_[xy][12]', None),
    # the classifier: its final norm and head (a Linear, or BatchNorm + Linear of the probe)
    (r'fc_norm\.(weight|bias)|head\.(\d+\.)?(weight|bias|running_mean|running_var|'
     r'num_batches_tracked)', None),
]


def _rename(key):
    """mmpretrain name of one source key (None: dropped); raises for a key of no known rule."""
    for pattern, name in _KEY_RULES:
        m = re.fullmatch(pattern, key)
        if m is not None:
            return None if name is None else m.expand(name)
    raise SARATRXLayoutError(
        f'key {key!r} is not part of the SARATR-X layouts ({describe_layouts(_LAYOUTS)})')


def check_against_model(state_dict, config):
    """Load ``state_dict`` (bare HiViT keys) strictly into mmpretrain's ``HiViT`` built from
    ``config`` (on the CPU: its constructor reads values, the meta device cannot build it);
    raises :class:`SARATRXLayoutError` on any difference."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(dict(config, out_indices=list(config['out_indices'])))
    check_state_dict_fits(
        state_dict,
        model.state_dict(),
        f'mmpretrain HiViT {config["arch"]}',
        error=SARATRXLayoutError)
    model.load_state_dict(state_dict, strict=True)


def convert(state_dict,
            to='backbone',
            in_channels=1,
            num_heads=None,
            check=False,
            source='checkpoint'):
    """Convert a release state dict to mmpretrain's ``HiViT``.

    Args:
        state_dict (dict): Source tensors (see the module docstring), ``module.`` removed.
        to (str): ``'backbone'`` (keys under ``backbone.``) or ``'hivit'`` (bare keys).
        in_channels (int, optional): Input channels of the converted patch projection; None
            keeps the release's 3. Defaults to 1 (one SAR band).
        num_heads (int, optional): Attention heads (not readable without a relative position
            table). Defaults to the release's 8.
        check (bool): Load the result strictly into mmpretrain's HiViT.
        source (str): Name used in errors.

    Returns:
        tuple[dict, dict]: Converted state dict and ``meta`` (release, layout, architecture,
        backbone config, dropped keys, conversions).
    """
    if to not in ('backbone', 'hivit'):
        raise ValueError(f"to must be 'backbone' or 'hivit', got {to!r}")
    layout = detect_layout(state_dict, source)
    arch = infer_arch(state_dict, num_heads, source)
    out, dropped, conversions = {}, [], []
    for key, value in state_dict.items():
        new = _rename(key)
        if new is None:
            dropped.append(key)
            continue
        out[new] = value.detach().clone().contiguous()
    src_channels = arch['in_channels']
    if in_channels is not None and int(in_channels) != src_channels:
        out['patch_embed.proj.weight'] = adapt_input_channels(out['patch_embed.proj.weight'],
                                                              int(in_channels))
        conversions.append(
            f'input channels {src_channels} -> {in_channels} (patch_embed.proj.weight: ' +
            ('sum over the channels' if int(in_channels) ==
             1 else 'adapt_input_channels, grey response kept') + ')')
    if arch['rpe']:
        side = arch['img_size'] // arch['patch_size']
        index = relative_position_index(side)
        out['relative_position_index'] = index.clone()
        for i in range(arch['num_blocks'] - arch['arch']['depths'][-1], arch['num_blocks']):
            out[f'blocks.{i}.attn.relative_position_index'] = index.clone()
        conversions.append('relative_position_index buffers recomputed')
    config = backbone_config(arch, in_channels)
    if check:
        check_against_model(out, config)
    if to == 'backbone':
        out = {f'backbone.{k}': v for k, v in out.items()}
    meta = dict(
        release=RELEASE,
        layout=layout,
        to=to,
        arch=arch,
        dropped=dropped,
        conversions=conversions,
        configs=dict(backbone=config))
    return out, meta


def build_parser(doc, src_help, num_heads_help):
    """The command line of this converter and of SARATR-X-v2's (the same options)."""
    parser = converter_arg_parser(doc, src_help)
    parser.add_argument(
        '--to',
        default='backbone',
        choices=['backbone', 'hivit'],
        help="'backbone': keys under backbone. for an ImageClassifier's init_cfg (default); "
        "'hivit': the bare keys of mmpretrain's HiViT")
    parser.add_argument(
        '--in-channels',
        type=int,
        default=1,
        help='input channels of the converted patch projection (default 1: the three '
        'release filters summed; 3 keeps them)')
    parser.add_argument('--num-heads', type=int, help=num_heads_help)
    parser.add_argument(
        '--no-check',
        action='store_true',
        help="do not load the result into mmpretrain's HiViT to check it")
    return parser


def parse_args(argv=None):
    parser = build_parser(
        __doc__, 'SARATR-X checkpoint (checkpoint-*.pth of the pretraining)',
        f'attention heads of the main stage (default {DEFAULT_NUM_HEADS}, the release)')
    return parser.parse_args(argv)


def run(args, read, convert, source_arch=None):
    """Read ``args.src``, convert it, write ``args.dst`` and print what was done: the command
    of this converter and of SARATR-X-v2's (its ``read_checkpoint`` and ``convert``; its
    ``source_arch(meta['arch'])`` opens the description of the architecture)."""
    state_dict, _ = read(args.src)
    converted, meta = convert(
        state_dict,
        to=args.to,
        in_channels=args.in_channels,
        num_heads=args.num_heads,
        check=not args.no_check,
        source=args.src)
    save_converted(converted, args.dst, meta)
    arch, dropped = meta['arch'], meta['dropped']
    print(f'{args.src}: {meta["layout"]} layout, {source_arch(arch) if source_arch else ""}'
          f'HiViT {arch["arch"]} patch {arch["patch_size"]} at {arch["img_size"]} px, '
          f'{len(converted)} tensors written to {args.dst} ({len(dropped)} dropped: '
          f'{", ".join(dropped[:6])}{" ..." if len(dropped) > 6 else ""})')
    for note in meta['conversions']:
        print(f'  {note}')
    print(f'backbone config: {meta["configs"]["backbone"]}')


def main(argv=None):
    run(parse_args(argv), read_checkpoint, convert)


if __name__ == '__main__':
    main()
