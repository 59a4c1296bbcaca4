"""Convert a released SARATR-X-v2 iTPN checkpoint to mmpretrain's ``HiViT`` backbone.

    python tools/model_converters/saratr_x_v2_to_mmpretrain.py SRC DST [--to backbone|hivit]
        [--in-channels N] [--num-heads H] [--no-check]

Source release: SARATR-X-v2 (W. Li et al., "SARATR-X-v2: Scale-aware structural pre-training
for SAR foundation models", arXiv:2607.23238; github.com/waterdisappear/SARATR-X-v2, MIT
licence). Its ``weights/README.md`` names the checkpoints (GitHub releases of the repository):
``weights/base/jiaquan_simple/checkpoint-1200.pth`` (iTPN-B, the main model) and
``weights/large/jiaquan_simple/checkpoint-1200.pth`` (iTPN-L). The layout below was
established from the published code (commit 0041e6c), not from a downloaded file:

* pretraining, ``checkpoint-<epoch>.pth`` of ``pre-training/main_pretrain.py``
  (``util/misc.py save_model``): ``{'model': state_dict, 'optimizer', 'epoch', 'scaler',
  'args': argparse.Namespace}``, the state dict of ``iTPNMaskedAutoencoder``
  (``pre-training/models/models_itpn_mim.py``), built by ``itpn_base_dec512d8b`` (iTPN-B:
  ``embed_dim=512, mlp_depth=3, depth=24, num_heads=8``) or ``itpn_large_dec512d8b`` (iTPN-L:
  ``embed_dim=768, mlp_depth=2, depth=40, num_heads=12``), both with ``bridge_mlp_ratio=3,
  mlp_ratio=4``, 16-px patches cut by a 4 x 4 conv into 4 x 4 inner patches, ``in_chans=3``
  (the forward feeds the SAR band three times), 224 px, LayerNorm eps 1e-6, an absolute
  position embedding initialised sin-cos, **no** relative position bias (``rpe=False``). Keys:
  ``absolute_pos_embed``; ``patch_embed.{proj,norm}``; ``blocks.*``: ``mlp_depth`` MLP-only
  blocks of width ``embed_dim / 4`` (``norm2``, ``mlp.fc1``, ``mlp.fc2``), a ``PatchMerge``
  (``norm``, bias-free ``reduction``), ``mlp_depth`` MLP-only blocks of width ``embed_dim / 2``,
  a ``PatchMerge``, then ``depth`` attention blocks (``norm1``, ``attn.qkv``, ``attn.proj``,
  ``norm2``, ``mlp.fc1``, ``mlp.fc2``): iTPN-B ``blocks.0-2``, ``3``, ``4-6``, ``7``,
  ``8-31``; iTPN-L ``blocks.0-1``, ``2``, ``3-4``, ``5``, ``6-45``. Then the integrated
  feature pyramid (``align_dim_16tofpn``, ``align_dim_16to8``, ``split_16to8``,
  ``block_16to8.{0,1}``, ``align_dim_8to4``, ``split_8to4``, ``block_8to4.{0,1}``,
  ``fpn_modules.{0,1,2}``), the MAE decoder (``mask_token``, ``decoder_pos_embed``,
  ``decoder_embed.{0,1,2}.{0,1}``, ``decoder_blocks.0-7``, ``decoder_norm``, ``decoder_pred``)
  and the structure target ``hogs.*`` (``simple_weights`` and kernel buffers). 524 tensors for
  iTPN-B, 704 for iTPN-L (``tests/data/manifests/saratr_x_v2_pretrain_itpn-{base,large}.json``).
  The release's downstream code loads this file into its classifier ``iTPN(num_outs=1)``
  (``classification/fewshot/trainers/MIM_linear_itpn.py``, ``classification/linear_eval/model/
  models_itpn.py``: ``checkpoint['model']``, ``module.`` stripped, ``strict=False``), i.e. it
  keeps the encoder keys above only.
* encoder, a state dict of that classifier (bare or under ``model`` / ``state_dict``): the
  encoder keys plus ``fc_norm`` and ``head`` (a ``Linear``, or ``head.0`` BatchNorm +
  ``head.1`` Linear after the release's linear probe); with ``rpe=True`` (the default of
  ``models_itpn.py``'s ``itpn_base`` / ``itpn_large``) also
  ``blocks.{i}.attn.relative_position_bias_table`` and a ``relative_position_index`` buffer.

mmpretrain's ``HiViT`` (v1.2.0) builds **two** MLP blocks per unit of a stem stage's depth, so
it cannot hold iTPN-B's three. A stem stage with an odd number ``n`` of MLP blocks is therefore
converted to ``(n + 1) / 2`` units by appending one **identity block**: an MLP block whose
``fc1`` and ``fc2`` weights and biases are zero (``norm2`` weight 1, bias 0), which returns its
input exactly (``x + fc2(GELU(fc1(LN(x)))) = x + 0``). Frozen (the release's linear probe) it
stays so; fine-tuned, only its ``fc2.bias`` receives a gradient (every other gradient of the
block is zero), so it can learn at most a per-channel offset. iTPN-B then becomes mmpretrain's
HiViT arch ``'base'`` (``depths [2, 2, 24]``, the arch of mmpretrain's own ``iTPNHiViT``):
release blocks 0-2 -> 0-2, identity 3, 3 -> 4, 4-6 -> 5-7, identity 8, 7 -> 9, 8-31 -> 10-33.
iTPN-L needs no identity block: ``depths [1, 1, 40]``, release block numbers kept
(mmpretrain's arch ``'large'`` is ``[2, 2, 40]``, another network). Only the drop-path rates
of a fine-tuning differ from the release (spread over 32 instead of 30 blocks for iTPN-B); they
are 0 in its linear probe.

Key map, after that renumbering, as :mod:`saratr_x_to_mmpretrain` (SARATR-X v1, whose code this
tool imports): ``absolute_pos_embed`` -> ``pos_embed``; ``patch_embed.*``, ``blocks.{i}.*`` and
the relative position tables keep their names; the ``relative_position_index`` buffers are
recomputed; the patch projection is adapted to ``--in-channels`` (3 -> 1, the default, sums the
three filters). Dropped: the feature pyramid, the decoder, the target (``hogs.*``: the keys of
any target variant are dropped, only the prefix is checked) and the classifier's ``fc_norm`` /
``head``. mmpretrain's ``iTPNPretrainDecoder`` neck names its pyramid and decoder like the
release, but its pixel target is not the release's structure target, so they are not converted.

``--to backbone`` (default) writes ``backbone.*`` keys for an ``ImageClassifier``'s
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')``; ``--to hivit``
writes the bare keys of the ``HiViT`` module (they also load into mmpretrain's ``iTPNHiViT``).
The number of heads cannot be read from the tensors without a relative position table: it
defaults to the release's (8 for width 512, 12 for width 768), ``--num-heads`` otherwise.
Unless ``--no-check``, the result is loaded strictly into mmpretrain's ``HiViT`` built from
the config the output names (``meta['configs']['backbone']``). The output is ``{'state_dict',
'meta'}`` of plain tensors and builtins. The source is read with sar_mm's safe loader
(``weights_only``, plus ``argparse.Namespace`` for the checkpoints' ``args``). A file of
another layout is refused, naming the file, the keys expected and the keys found; a SARATR-X
v1 HiViT checkpoint is sent to ``saratr_x_to_mmpretrain.py``.
"""
import argparse
import importlib.util
import os.path as osp
import re

import torch

from sar_mm.engine.checkpoint import describe_layouts, layout_error, read_release_checkpoint
from sar_mm.engine.checkpoint import unwrap_state_dict as _unwrap


def _load_v1():
    """The SARATR-X v1 converter beside this file (scripts are no package)."""
    path = osp.join(osp.dirname(osp.abspath(__file__)), 'saratr_x_to_mmpretrain.py')
    spec = importlib.util.spec_from_file_location('saratr_x_to_mmpretrain', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


v1 = _load_v1()

RELEASE = ('github.com/waterdisappear/SARATR-X-v2 (Li et al., arXiv:2607.23238), iTPN '
           'pretraining (pre-training/models/models_itpn_mim.py)')
PRETRAIN, ENCODER = 'pretrain', 'encoder'
#: The release's heads per main-stage width (itpn_base_dec512d8b / itpn_large_dec512d8b).
RELEASE_NUM_HEADS = {512: 8, 768: 12}
_ENCODER_KEYS = v1._ENCODER_KEYS
_ENCODER_PATTERNS = v1._ENCODER_PATTERNS
_PRETRAIN_KEYS = ('mask_token', 'decoder_embed.0.1.weight', 'decoder_pred.weight',
                  'split_16to8.reduction.weight', 'fpn_modules.0.mlp.fc1.weight')
_LAYOUTS = {
    PRETRAIN:
    ('pre-training/models/models_itpn_mim.py iTPNMaskedAutoencoder',
     _ENCODER_KEYS + tuple(_ENCODER_PATTERNS) + _PRETRAIN_KEYS + ('hogs.* (the target)', )),
    ENCODER: ('classification/*/model/models_itpn.py iTPN(num_outs=1)', _ENCODER_KEYS +
              tuple(_ENCODER_PATTERNS) + ('fc_norm.weight (optional)', 'head.weight (optional)')),
}
# Keys of the release that no mmpretrain HiViT key takes: the target, the feature pyramid and
# the MAE decoder (full match).
_DROP = re.compile(r'hogs\..+|'
                   r'align_dim_(16tofpn|16to8|8to4)\.(weight|bias)|'
                   r'split_(16to8|8to4)\.(norm\.(weight|bias)|reduction\.weight)|'
                   r'(block_16to8|block_8to4|fpn_modules)\.\d+\.'
                   r'(norm[12]|mlp\.fc[12]|attn\.(qkv|proj))\.(weight|bias)|'
                   r'(block_16to8|block_8to4|fpn_modules)\.\d+\.attn\.relative_position_bias_table|'
                   r'mask_token|decoder_pos_embed|decoder_embed\.\d+\.[01]\.(weight|bias)|'
                   r'decoder_blocks\.\d+\..+|decoder_(norm|pred)\.(weight|bias)')
# Keys of the SARATR-X (v1) HiViT MAE that v2 does not have.
_V1_ONLY = re.compile(r'decoder_embed\.(weight|bias)|sarfeature\d+\.weight_[xy][12]')


class SARATRXv2LayoutError(v1.SARATRXLayoutError):
    """A state dict is not one of the SARATR-X-v2 release layouts."""


def unwrap_state_dict(checkpoint, source='checkpoint'):
    """The state dict under ``model`` / ``state_dict`` or bare, ``module.`` removed (as the
    SARATR-X v1 converter reads it)."""
    return _unwrap(checkpoint, source, expected=_LAYOUTS, error=SARATRXv2LayoutError)


def detect_layout(state_dict, source='checkpoint'):
    """``'pretrain'`` or ``'encoder'``; anything else raises naming the file and the keys."""
    keys = set(state_dict)
    v1_only = sorted(k for k in keys if _V1_ONLY.fullmatch(k))
    if v1_only and v1.has_encoder(keys):
        raise SARATRXv2LayoutError(
            f'{source}: a SARATR-X (v1) HiViT MAE checkpoint (keys {", ".join(v1_only[:4])}), '
            'not SARATR-X-v2: convert it with tools/model_converters/saratr_x_to_mmpretrain.py')
    layout = v1.match_layout(keys, _PRETRAIN_KEYS)
    if layout is None:
        raise layout_error(
            f'a SARATR-X-v2 iTPN checkpoint of {RELEASE}',
            _LAYOUTS,
            keys,
            source,
            error=SARATRXv2LayoutError)
    return layout


def read_checkpoint(path):
    """Load ``path`` with sar_mm's safe loader (plus ``argparse.Namespace``): (state dict,
    layout)."""
    state_dict = read_release_checkpoint(
        path, allowed_globals=(argparse.Namespace, ), expected=_LAYOUTS, error=SARATRXv2LayoutError)
    return state_dict, detect_layout(state_dict, path)


def _identity_block(state_dict, like):
    """The tensors of an MLP block shaped as release block ``like`` that returns its input."""
    prefix = f'blocks.{like}.'
    dim = state_dict[prefix + 'norm2.weight'].shape[0]
    hidden = state_dict[prefix + 'mlp.fc1.weight'].shape[0]
    dtype = state_dict[prefix + 'mlp.fc1.weight'].dtype
    return {
        'norm2.weight': torch.ones(dim, dtype=dtype),
        'norm2.bias': torch.zeros(dim, dtype=dtype),
        'mlp.fc1.weight': torch.zeros(hidden, dim, dtype=dtype),
        'mlp.fc1.bias': torch.zeros(hidden, dtype=dtype),
        'mlp.fc2.weight': torch.zeros(dim, hidden, dtype=dtype),
        'mlp.fc2.bias': torch.zeros(dim, dtype=dtype),
    }


def pad_stem(state_dict, source='checkpoint'):
    """Renumber the encoder's ``blocks`` for mmpretrain's HiViT, appending an identity MLP
    block to every stem stage with an odd number of MLP blocks.

    Args:
        state_dict (dict): Encoder keys of the release (no pyramid, decoder or target).
        source (str): Name used in errors.

    Returns:
        tuple[dict, dict, list[int], list[int]]: The renumbered state dict (release key names),
        the block map ``{release index: new index}``, the new indices of the identity blocks
        and the release's MLP blocks per stem stage.
    """
    blocks = v1._block_ids(state_dict, r'.+')
    if blocks != list(range(len(blocks))):
        raise SARATRXv2LayoutError(f'{source}: blocks.* are not numbered 0..N-1: {blocks}')
    merges = v1._block_ids(state_dict, r'reduction\.weight')
    stem_counts, block_map, identities, start, new = [], {}, [], 0, 0
    for merge in merges:
        count = merge - start
        if count <= 0:
            raise SARATRXv2LayoutError(f'{source}: no MLP block before PatchMerge block {merge}')
        stem_counts.append(count)
        for i in range(start, merge):
            block_map[i] = new
            new += 1
        if count % 2:
            identities.append(new)
            new += 1
        block_map[merge] = new
        new += 1
        start = merge + 1
    for i in range(start, len(blocks)):
        block_map[i] = new
        new += 1
    out = {}
    for key, value in state_dict.items():
        m = re.match(r'blocks\.(\d+)\.(.+)', key)
        out[f'blocks.{block_map[int(m[1])]}.{m[2]}' if m else key] = value
    for index in identities:
        like = max(i for i, j in block_map.items() if j < index)  # the stage's last MLP block
        for name, value in _identity_block(state_dict, like).items():
            out[f'blocks.{index}.{name}'] = value
    return out, block_map, identities, stem_counts


def convert(state_dict,
            to='backbone',
            in_channels=1,
            num_heads=None,
            check=False,
            source='checkpoint'):
    """Convert a SARATR-X-v2 state dict to mmpretrain's ``HiViT``.

    Args:
        state_dict (dict): Source tensors (see the module docstring), ``module.`` removed.
        to (str): ``'backbone'`` (keys under ``backbone.``) or ``'hivit'`` (bare keys).
        in_channels (int, optional): Input channels of the converted patch projection; None
            keeps the release's 3. Defaults to 1 (one SAR band).
        num_heads (int, optional): Attention heads; by default read from a relative position
            table, else the release's for the width (:data:`RELEASE_NUM_HEADS`).
        check (bool): Load the result strictly into mmpretrain's HiViT.
        source (str): Name used in errors.

    Returns:
        tuple[dict, dict]: Converted state dict and ``meta`` (release, layout, architecture,
        backbone config, block map, identity blocks, dropped keys, conversions).
    """
    if to not in ('backbone', 'hivit'):
        raise ValueError(f"to must be 'backbone' or 'hivit', got {to!r}")
    layout = detect_layout(state_dict, source)
    encoder, dropped = {}, []
    for key, value in state_dict.items():
        if _DROP.fullmatch(key):
            dropped.append(key)
            continue
        known = key in ('absolute_pos_embed', 'relative_position_index') or key.startswith(
            ('patch_embed.', 'blocks.', 'fc_norm.', 'head.'))
        if known:
            try:
                v1._rename(key)  # the encoder's and the classifier's names are v1's
            except v1.SARATRXLayoutError:
                known = False
        if not known:
            raise SARATRXv2LayoutError(
                f'{source}: key {key!r} is not part of the SARATR-X-v2 layouts '
                f'({describe_layouts(_LAYOUTS)})')
        encoder[key] = value
    padded, block_map, identities, stem_counts = pad_stem(encoder, source)
    has_table = any(k.endswith('relative_position_bias_table') for k in padded)
    if num_heads is None and not has_table:
        width = int(padded['absolute_pos_embed'].shape[-1])
        if width not in RELEASE_NUM_HEADS:
            raise SARATRXv2LayoutError(
                f'{source}: main-stage width {width} is neither iTPN-B (512) nor iTPN-L '
                f'(768), and no relative position table gives the heads: pass --num-heads')
        num_heads = RELEASE_NUM_HEADS[width]
    try:
        converted, meta = v1.convert(
            padded, to=to, in_channels=in_channels, num_heads=num_heads, check=check, source=source)
    except v1.SARATRXLayoutError as err:
        raise SARATRXv2LayoutError(str(err)) from err
    conversions = list(meta['conversions'])
    if identities:
        conversions.insert(
            0, f'identity MLP blocks inserted as blocks {identities} (stem stages of '
            f'{stem_counts} MLP blocks -> depths {meta["arch"]["arch"]["depths"][:-1]} of '
            'mmpretrain HiViT, two blocks each)')
    arch = dict(meta['arch'], release_stem_mlp_blocks=stem_counts)
    meta.update(
        release=RELEASE,
        layout=layout,
        arch=arch,
        block_map=block_map,
        identity_blocks=identities,
        dropped=dropped + meta['dropped'],
        conversions=conversions)
    return converted, meta


def parse_args(argv=None):
    parser = v1.build_parser(
        __doc__, 'SARATR-X-v2 checkpoint (checkpoint-*.pth of the pretraining)',
        'attention heads of the main stage (default: the release\'s, 8 for iTPN-B, 12 for '
        'iTPN-L)')
    return parser.parse_args(argv)


def main(argv=None):
    v1.run(
        parse_args(argv),
        read_checkpoint,
        convert,
        source_arch=lambda arch: f'iTPN stem {arch["release_stem_mlp_blocks"]} MLP blocks -> ')


if __name__ == '__main__':
    main()
