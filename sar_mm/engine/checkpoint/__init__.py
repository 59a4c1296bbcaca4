"""Checkpoints, one job per module.

* :mod:`.io`: safe loading under ``weights_only=True`` with an allow-list
  (:func:`load_checkpoint_file`, :func:`allow_checkpoint_globals`), corrupt-file detection,
  atomic saving for mmengine's Runner and the auto-resume lookup;
* :mod:`.surgery`: input channels and position embeddings of a state dict made to fit a model
  (:func:`adapt_state_dict_to_model`);
* :mod:`.layouts`: where the weights are in a checkpoint and what the codebases call them
  (:func:`extract_backbone`, :func:`match_key_layout`);
* :mod:`.loader`: :func:`load_weights_strictly`, the one way sar_mm loads weights into a model;
* :mod:`.pretrained_init`: the ``Pretrained`` weight initialiser of every config, through it;
* :mod:`.release`: the steps the release-checkpoint converters share (read a release file's
  state dict safely, refuse another layout naming the file, check the converted keys against
  the model, save the output), their key mappings staying in each converter.

Converting a checkpoint file for another model (extract the backbone, change its channels or
grid, rename for mmseg) is a tool: ``tools/model_converters/extract_backbone.py``; converting
another codebase's released weights too (``tools/model_converters/*_to_mmpretrain.py``).
"""
from .io import (CorruptCheckpointError, UnsafeCheckpointError, allow_checkpoint_globals,
                 allowed_checkpoint_globals, atomic_save_checkpoint, find_resumable_checkpoint,
                 load_checkpoint_file)
from .layouts import (checkpoint_state_dict, extract_backbone, match_key_layout,
                      mmpretrain_vit_to_mmseg, mmseg_vit_to_mmpretrain, strip_module_prefix)
from .loader import load_weights_strictly
from .pretrained_init import AdaptivePretrainedInit
from .release import (ReleaseLayoutError, check_layout, check_state_dict_fits, converter_arg_parser,
                      describe_keys, describe_layouts, layout_error, read_release_checkpoint,
                      save_converted, unwrap_state_dict)
from .surgery import (FIRST_LAYER_KEYS, CheckpointMismatchError, adapt_input_channels,
                      adapt_state_dict_to_model, compare_state_dicts, find_first_layer_key,
                      interpolate_pos_embed, pos_embed_grid)

__all__ = [
    'CorruptCheckpointError', 'UnsafeCheckpointError', 'allow_checkpoint_globals',
    'allowed_checkpoint_globals', 'atomic_save_checkpoint', 'find_resumable_checkpoint',
    'load_checkpoint_file', 'checkpoint_state_dict', 'extract_backbone', 'match_key_layout',
    'mmpretrain_vit_to_mmseg', 'mmseg_vit_to_mmpretrain', 'strip_module_prefix',
    'load_weights_strictly', 'AdaptivePretrainedInit', 'FIRST_LAYER_KEYS',
    'CheckpointMismatchError', 'adapt_input_channels', 'adapt_state_dict_to_model',
    'find_first_layer_key', 'interpolate_pos_embed', 'pos_embed_grid', 'compare_state_dicts',
    'ReleaseLayoutError', 'check_layout', 'check_state_dict_fits', 'converter_arg_parser',
    'describe_keys', 'describe_layouts', 'layout_error', 'read_release_checkpoint',
    'save_converted', 'unwrap_state_dict'
]
