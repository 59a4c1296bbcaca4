"""Where sar_mm registers its modules, so that plain OpenMMLab configs find them by name.

OpenMMLab 2.x looks a name up in the config's ``default_scope`` registry and then in its parents up
to mmengine's root registry. Hence:

* modules every codebase must see (transforms, generic backbones/necks, hooks, optimizer
  wrappers) are registered once in **mmengine's root registries**; ``mmpretrain``, ``mmdet`` and
  ``mmseg`` configs reach them by walking up;
* modules that only make sense in one codebase (a ``CocoDataset`` subclass, a classifier) go into
  **that codebase's registry**.

``tests/test_registry.py`` checks every sar_mm name is reachable (and not shadowed) from each scope
it is meant for, and that the README's module table matches :func:`sar_mm.utils.module_table`.
"""
from mmengine.registry import HOOKS as ROOT_HOOKS
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import OPTIM_WRAPPERS as ROOT_OPTIM_WRAPPERS
from mmengine.registry import TRANSFORMS as ROOT_TRANSFORMS

# Shared by all three codebases.
TRANSFORMS = ROOT_TRANSFORMS
MODELS = ROOT_MODELS
HOOKS = ROOT_HOOKS
OPTIM_WRAPPERS = ROOT_OPTIM_WRAPPERS

# Scopes whose configs must be able to use the shared modules.
CODEBASE_SCOPES = ('mmpretrain', 'mmdet', 'mmseg')

__all__ = ['TRANSFORMS', 'MODELS', 'HOOKS', 'OPTIM_WRAPPERS', 'CODEBASE_SCOPES']
