"""The inferencers' SAR loading step, pipeline swap, folder listing and display pictures."""
import os

import numpy as np
import pytest
from mmengine.config import Config

from sar_mm.apis.sar_inputs import (SARInferencerLoader, display_image, expand_inputs,
                                    find_test_pipeline, list_sar_images, output_names,
                                    split_loading_step)
from sar_mm.datasets.transforms import LoadSARImage
from sar_mm.fileio import SARFileError, read_sar
from .helpers import RESNET_CLS, config_path, sar_amplitude, write_all_formats


@pytest.fixture(scope='module')
def formats(tmp_path_factory):
    return write_all_formats(str(tmp_path_factory.mktemp('formats')), sar_amplitude())


@pytest.mark.parametrize('to', ['db', 'amplitude', 'intensity'])
def test_loader_matches_load_sar_image_for_paths_and_arrays(formats, to):
    reference = LoadSARImage(to=to)
    loader = SARInferencerLoader(to=to)
    for kind, path in formats.items():
        expected = reference(dict(img_path=path))['img']
        from_path = loader(path)
        np.testing.assert_array_equal(from_path['img'], expected, err_msg=kind)
        assert from_path['img_path'] == path
        # the raster a file holds, given as an array, goes through the same conversion
        from_array = loader(read_sar(path)[0])
        np.testing.assert_array_equal(from_array['img'], expected, err_msg=kind)
        assert from_array['img_shape'] == (32, 32) and 'img_path' not in from_array
    # all four formats hold the same amplitudes (complex ones up to float rounding)
    images = [loader(p)['img'] for p in formats.values()]
    for img in images[1:]:
        np.testing.assert_allclose(img, images[0], rtol=1e-4, atol=1e-3)


def test_loader_array_checks_and_dict_input():
    loader = SARInferencerLoader(to='db', bands=[1])
    out = loader(dict(img=np.full((4, 5, 2), 10.0, np.float32), extra=1))
    assert out['img'].shape == (4, 5, 1) and out['extra'] == 1
    np.testing.assert_allclose(out['img'], 20.0)
    with pytest.raises(SARFileError, match='band index'):
        SARInferencerLoader(bands=[3])(np.ones((4, 4, 2), np.float32))
    with pytest.raises(SARFileError, match='shape'):
        loader(np.ones((2, 2, 2, 2), np.float32))
    with pytest.raises(TypeError, match='path, an np.ndarray or a dict'):
        loader(3.0)


def test_split_loading_step_keeps_the_config_pipeline():
    cfg = Config.fromfile(config_path(RESNET_CLS))
    steps = find_test_pipeline(cfg)
    loader, pipeline = split_loading_step(steps)
    assert isinstance(loader, SARInferencerLoader) and loader.to == 'db'
    assert pipeline[0] is loader and pipeline[1:] == steps[1:]

    # mmcv's LoadImageFromFile is swapped for LoadSARImage (3 channels for colour loading)
    loader, pipeline = split_loading_step([dict(type='LoadImageFromFile'), dict(type='PackInputs')])
    assert loader.to == 'amplitude' and loader.repeat_to == 3 and pipeline[0] is loader
    loader, _ = split_loading_step([dict(type='mmdet.LoadImageFromFile', color_type='grayscale')])
    assert loader.repeat_to is None
    loader, _ = split_loading_step([dict(type='LoadSARImage', to='complex', bands=[0])])
    assert (loader.to, loader.bands) == ('complex', [0])
    with pytest.raises(ValueError, match=r"my\.py: the test pipeline has no image loading"):
        split_loading_step([dict(type='PackInputs')], source='my.py')


def test_list_sar_images_recurses_and_finds_mstar(tmp_path, formats):
    root = tmp_path / 'scan'
    write_all_formats(str(root / 'a' / 'b'), sar_amplitude(8))
    (root / 'notes.txt').write_text('not an image')
    (root / '.hidden.png').write_bytes(b'x')
    found = list_sar_images(str(root))
    assert [os.path.basename(p)
            for p in found] == ['HB03787.015', 'chip16.png', 'chipc64.npy', 'chipf32.tif']
    assert list_sar_images(formats['mstar']) == [formats['mstar']]
    assert expand_inputs([str(root), formats['tiff']]) == found + [formats['tiff']]
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no SAR image in this folder'):
        list_sar_images(str(tmp_path / 'empty'))
    with pytest.raises(FileNotFoundError, match='no such image file or folder'):
        list_sar_images(str(tmp_path / 'missing'))


def test_output_names_are_unique():
    names = output_names(['a/x.png', 'b/x.tif', 'c/HB03787.015', np.zeros((2, 2))])
    assert names == ['x.png', 'x_1.png', 'HB03787.015.png', '00000003.png']


def test_display_image_is_a_db_stretch(formats):
    loader = SARInferencerLoader(to='amplitude', repeat_to=3)
    picture = display_image(formats['tiff'], loader)
    assert picture.dtype == np.uint8 and picture.shape == (32, 32, 3)
    assert picture.min() == 0 and picture.max() == 255
    # the bright target is brighter than the clutter
    assert picture[8:16, 11:21, 0].mean() > picture[20:, :, 0].mean() + 40
    np.testing.assert_array_equal(display_image(formats['png16'], loader), picture)
