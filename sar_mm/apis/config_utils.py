"""Config helpers shared by the inferencers: what the Runner does to a config before building."""
import copy
import warnings


def merge_data_preprocessor(cfg):
    """Put a top-level ``data_preprocessor`` into ``cfg.model`` unless the model has one, as
    mmengine's Runner does (sar_mm's dataset bases keep the dB statistics there)."""
    if cfg.get('data_preprocessor') is not None and 'model' in cfg:
        cfg.model.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
    return cfg


def config_metainfo(cfg, registry):
    """``metainfo`` of the config's test dataset, built lazily (no annotation is read); when the
    data are not there (inference elsewhere), the dataset class's ``METAINFO``."""
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    dataset_cfg['lazy_init'] = True
    try:
        return dict(registry.build(dataset_cfg).metainfo)
    except Exception as err:  # noqa: BLE001  (any build failure: fall back to the class)
        cls = registry.get(dataset_cfg.get('type'))
        warnings.warn(f'could not build the test dataset for its metainfo ({err}); using '
                      f'{getattr(cls, "__name__", cls)}.METAINFO')
        return dict(getattr(cls, 'METAINFO', {}) or {})
