"""List what sar_mm registered, from the registries themselves (the README table is generated)."""
import inspect


def _all_registries():
    """Every registry of mmengine's root and the three codebases, as (scope, name, registry)."""
    import mmdet.registry
    import mmengine.registry
    import mmpretrain.registry
    import mmseg.registry
    from mmengine.registry import Registry
    out = []
    for module in (mmengine.registry, mmpretrain.registry, mmdet.registry, mmseg.registry):
        for attr, value in sorted(vars(module).items()):
            if isinstance(value, Registry) and attr.isupper():
                out.append((value.scope, value.name, value))
    # the same object can be re-exported under several attribute names: keep one
    seen, unique = set(), []
    for scope, name, reg in out:
        if id(reg) not in seen:
            seen.add(id(reg))
            unique.append((scope, name, reg))
    return unique


def registered_modules():
    """Every module sar_mm registered.

    Returns:
        list[dict]: ``name``, ``registry`` (registry name), ``registry_obj`` (the registry),
        ``scope`` (``mmengine`` for the shared root registries), ``cls`` and ``module`` (import
        path), sorted by scope, registry and name.
    """
    import sar_mm  # noqa: F401  make sure everything is registered
    rows = []
    for scope, reg_name, registry in _all_registries():
        for name, cls in registry.module_dict.items():
            module = getattr(cls, '__module__', '')
            if module.split('.')[0] == 'sar_mm':
                rows.append(
                    dict(
                        name=name,
                        registry=reg_name,
                        scope=scope,
                        cls=cls,
                        module=module,
                        registry_obj=registry))
    return sorted(rows, key=lambda r: (r['scope'], r['registry'], r['name']))


def _purpose(cls):
    doc = inspect.getdoc(cls) or ''
    return doc.strip().splitlines()[0] if doc.strip() else ''


def module_table():
    """The markdown table of :func:`registered_modules` that the README shows."""
    lines = ['| name | registry | scope | where | purpose |', '| --- | --- | --- | --- | --- |']
    for row in registered_modules():
        seen_from = ('all (root)' if row['scope'] == 'mmengine' else row['scope'])
        lines.append(f"| `{row['name']}` | {row['registry']} | {seen_from} | "
                     f"`{row['module']}` | {_purpose(row['cls'])} |")
    return '\n'.join(lines)
