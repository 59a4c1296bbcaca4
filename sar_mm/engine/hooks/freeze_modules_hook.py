"""Freeze parts of a model for linear probing: no gradients and, optionally, eval mode."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from sar_mm.registry import HOOKS


@HOOKS.register_module()
class FreezeModulesHook(Hook):
    """Freeze named sub-modules (no gradients) and keep them in eval mode (BN statistics fixed).

    The linear-probe protocol trains only the classification head on top of a frozen, pretrained
    backbone (and neck): its weights must not change, and neither may its normalisation
    statistics, so BatchNorm layers must run with their running statistics rather than update
    them. This works for any model whose parts are attributes, e.g. mmpretrain's
    ``ImageClassifier``::

        custom_hooks = [dict(type='FreezeModulesHook', modules=('backbone', 'neck'))]

    ``before_train`` sets ``requires_grad=False`` on every parameter of the listed modules (the
    optimizer then skips them: they never receive a gradient). mmengine's train loops call
    ``model.train()`` at the start of every epoch (epoch-based loop) or iteration (iteration-based
    loop), after ``before_train_epoch``, and validation leaves the model in train mode again, so
    with ``eval_mode=True`` the modules are put back into eval mode in ``before_train_iter``,
    which runs right before every forward pass.

    Under ``MMDistributedDataParallel`` the wrapper registered the parameters before this hook
    froze them, so the config needs ``find_unused_parameters = True`` (``tools/fewshot_eval.py``
    sets it); without it the hook raises an error instead of letting DDP hang.

    Args:
        modules (Sequence[str]): Names of the sub-modules to freeze, dotted for nested ones
            (``'backbone'``, ``'neck'``, ``'backbone.layer1'``). Defaults to ``('backbone',)``.
        eval_mode (bool): Keep the frozen modules in eval mode during training (BatchNorm uses
            and keeps its running statistics, dropout is off). Defaults to True.
        strict (bool): Raise an error when a listed module does not exist; otherwise skip it
            with a warning. Defaults to True.
    """
    priority = 'VERY_HIGH'

    def __init__(self, modules=('backbone', ), eval_mode=True, strict=True):
        if isinstance(modules, str):
            modules = (modules, )
        if not modules:
            raise ValueError('FreezeModulesHook: `modules` is empty')
        self.modules = tuple(modules)
        self.eval_mode = eval_mode
        self.strict = strict
        self._frozen = []

    @staticmethod
    def _unwrap(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _find(self, model, runner):
        found = []
        for name in self.modules:
            try:
                module = model.get_submodule(name)
            except AttributeError:
                children = ', '.join(n for n, _ in model.named_children())
                msg = (f'FreezeModulesHook: {type(model).__name__} has no module {name!r} '
                       f'(its modules: {children})')
                if self.strict:
                    raise AttributeError(msg) from None
                runner.logger.warning(msg + '; skipped')
                continue
            found.append((name, module))
        return found

    def before_train(self, runner):
        model = self._unwrap(runner)
        self._frozen = self._find(model, runner)
        frozen_params = 0
        for _, module in self._frozen:
            for param in module.parameters():
                param.requires_grad_(False)
                frozen_params += param.numel()
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        if trainable == 0:
            raise ValueError(f'FreezeModulesHook: freezing {self.modules} leaves no trainable '
                             'parameter in the model')
        wrapper = runner.model
        if is_model_wrapper(wrapper) and hasattr(wrapper, 'find_unused_parameters') and \
                frozen_params and not wrapper.find_unused_parameters:
            raise RuntimeError(
                'FreezeModulesHook: the model is wrapped by DistributedDataParallel with '
                'find_unused_parameters=False, which fails on parameters frozen after wrapping; '
                'set `find_unused_parameters = True` in the config')
        names = ', '.join(name for name, _ in self._frozen)
        runner.logger.info(
            f'FreezeModulesHook: froze {names} ({frozen_params} parameters'
            f'{", eval mode" if self.eval_mode else ""}); {trainable} parameters train')
        self._set_eval()

    def _set_eval(self):
        if self.eval_mode:
            for _, module in self._frozen:
                module.eval()

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._set_eval()
