import numpy as np
import pytest

from sar_mm.visualization import sar_to_display


def test_percentile_stretch_in_db():
    amp = np.geomspace(1e-3, 1e3, 101).reshape(1, 101)  # 120 dB of amplitude range
    out = sar_to_display(amp, domain='amplitude', low=0, high=100)
    assert out.dtype == np.uint8 and out.min() == 0 and out.max() == 255
    # equal ratios map to equal grey steps (log display), not a linear cast
    steps = np.diff(out[0].astype(int))
    assert steps.min() >= 2 and steps.max() <= 3


def test_constant_and_nan_images_are_defined():
    assert np.all(sar_to_display(np.full((4, 4), 3.0)) == 0)
    img = np.array([[np.nan, 1.0], [2.0, 3.0]])
    assert np.isfinite(sar_to_display(img).astype(float)).all()
    with pytest.raises(ValueError, match='domain'):
        sar_to_display(img, domain='log')
