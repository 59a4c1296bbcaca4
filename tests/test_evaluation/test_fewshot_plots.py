"""sar_mm.evaluation.fewshot_protocol.plot_confusion_matrix: mmpretrain's figure, written as PNG."""
import numpy as np
import pytest
from mmpretrain.evaluation import ConfusionMatrix
from PIL import Image

from sar_mm.evaluation.fewshot_protocol import plot_confusion_matrix


def test_confusion_png_is_mmpretrains_plot(tmp_path, monkeypatch):
    calls = []
    plot = ConfusionMatrix.plot

    def spy(matrix, **kwargs):
        calls.append((matrix.clone(), kwargs))
        return plot(matrix, **kwargs)

    monkeypatch.setattr(ConfusionMatrix, 'plot', staticmethod(spy))
    confusion = np.array([[5, 1, 0], [0, 3, 2], [0, 0, 4]])
    out = tmp_path / 'best.png'
    assert plot_confusion_matrix(confusion, ['tank', 'truck'], str(out), title='best') == str(out)
    (matrix, kwargs), = calls
    assert matrix.tolist() == confusion.tolist()
    assert kwargs['classes'] == ['tank', 'truck', '2'] and kwargs['include_values']
    assert kwargs['show'] is False
    with Image.open(out) as img:
        assert img.format == 'PNG' and min(img.size) > 500


def test_many_classes_without_values_and_bad_shape(tmp_path, monkeypatch):
    seen = {}
    plot = ConfusionMatrix.plot
    monkeypatch.setattr(ConfusionMatrix, 'plot',
                        staticmethod(lambda m, **kw: seen.update(kw) or plot(m, **kw)))
    plot_confusion_matrix(np.eye(31, dtype=int), [], str(tmp_path / 'big.png'))
    assert seen['include_values'] is False and (tmp_path / 'big.png').is_file()
    with pytest.raises(ValueError, match=r'expected a \(C, C\) matrix, got shape \(2, 3\)'):
        plot_confusion_matrix(np.zeros((2, 3), int), ['a', 'b'], str(tmp_path / 'x.png'))
