"""benchmarks/sar_jepa.py: arguments, the quick run of the two sar_mm settings, the reference step
from a stand-in ``models_lomar.py`` (the real one is never needed here) and the skip message
without it. No timing is asserted."""
import re
import sys

import numpy as np
import pytest

from benchmarks import sar_jepa as bench

# a stand-in for the reference's Pretraining/models_lomar.py: same constructor and call
STAND_IN = '''
import torch
from torch import nn


class GF(nn.Module):
    def forward(self, x):
        return x.abs()


class MaskedAutoencoderViT(nn.Module):
    def __init__(self, img_size=224, patch_size=16, in_chans=1, embed_dim=1024, depth=24,
                 num_heads=16, decoder_embed_dim=512, decoder_depth=8, decoder_num_heads=16,
                 mlp_ratio=4., norm_layer=nn.LayerNorm, norm_pix_loss=False):
        super().__init__()
        self.args = (img_size, patch_size, embed_dim, depth, num_heads, decoder_embed_dim,
                     decoder_depth, decoder_num_heads)
        self.proj = nn.Conv2d(in_chans, embed_dim, patch_size, patch_size)
        self.norm = norm_layer(embed_dim)
        for i in range(1, 5):
            setattr(self, f'sarfeature{i}', GF())

    def forward(self, imgs, window_size=7, num_window=4, mask_ratio=0.8):
        assert imgs.shape[-1] == self.args[0]
        target = sum(getattr(self, f'sarfeature{i}')(imgs) for i in range(1, 5)).mean()
        pred = self.norm(self.proj(imgs).flatten(2).transpose(1, 2))
        loss = (pred.mean() - target)**2
        return loss, pred, torch.ones(1)
'''


@pytest.fixture
def clean_imports(monkeypatch):
    """Undo what importing a reference does: sys.path, the modules and numpy's alias."""
    monkeypatch.setattr(sys, 'path', list(sys.path))
    before, had_float = set(sys.modules), hasattr(np, 'float')
    yield
    for name in set(sys.modules) - before:
        if name.split('.')[0] in ('models_lomar', 'timm', 'easydict'):
            del sys.modules[name]
    if not had_float and hasattr(np, 'float'):
        del np.float


def test_arguments(capsys):
    args = bench.parse_args([])
    assert (args.size, args.arch, args.batch, args.steps, args.warmup) == (224, 's', 8, 10, 1)
    assert (args.window_size, args.num_windows, args.reference_dir) == (7, 4, None)
    quick = bench.parse_args(['--quick'])
    for key, value in bench.QUICK.items():
        assert getattr(quick, key) == value
    bad = [['--size', '100'], ['--size', '96'], ['--batch', '0'], ['--arch', 'l']]
    for argv in bad + [['--profile', 'd']]:
        with pytest.raises(SystemExit):
            bench.parse_args(argv)
        assert 'error' in capsys.readouterr().err


def test_quick_run_skips_the_reference_without_its_folder(tmp_path, capsys):
    out = bench.main(['--quick'])
    printed = capsys.readouterr().out
    assert 'QUICK smoke run' in printed
    assert re.search(r'speed-up: [0-9.]+x \(goal >= 10x\)', printed)
    assert out['target_diff'] <= 1e-4
    assert set(out['images_per_s']) == {'a', 'b'}
    assert 'no --reference-dir given' in out['skipped_reference']
    assert '(c) reference step skipped: no --reference-dir given' in printed
    assert out['ratios'] == {
        'b/a': pytest.approx(out['images_per_s']['b'] / out['images_per_s']['a'])
    }
    # (b) is the reference-faithful model: per-batch windows, truncated mask count
    assert '(b) places 2 windows per batch with 7 of 9 patches masked (per_batch, floor)' in printed
    for key in ('a', 'b'):
        assert re.search(rf'\n    {key}: [0-9.]+ GFLOP, achieved', printed)
    out = bench.main(['--quick', '--skip-target', '--reference-dir', str(tmp_path)])
    assert 'holds no models_lomar.py' in out['skipped_reference']
    assert 'speed-up:' not in capsys.readouterr().out


def test_quick_run_times_a_reference_step(tmp_path, capsys, clean_imports):
    (tmp_path / 'models_lomar.py').write_text(STAND_IN)
    out = bench.main(
        ['--quick', '--skip-target', '--reference-dir',
         str(tmp_path), '--profile', 'b'])
    printed = capsys.readouterr().out
    assert out['skipped_reference'] is None
    ips = out['images_per_s']
    assert set(ips) == {'a', 'b', 'c'}
    assert out['ratios']['b/c'] == pytest.approx(ips['b'] / ips['c'])
    assert out['ratios']['a/c'] == pytest.approx(ips['a'] / ips['c'])
    assert set(out['best_ratios']) == {'b/a', 'b/c', 'a/c'}
    line = re.search(r'\(b\)/\(c\) ([0-9.]+)x \(goal >= 1.25x\), \(a\)/\(c\) ([0-9.]+)x', printed)
    assert float(line.group(1)) == pytest.approx(out['ratios']['b/c'], abs=6e-4)
    assert '(c) reference MaskedAutoencoderViT (models_lomar.py):' in printed
    assert '--profile b: two steps of (b)' in printed
    # the stand-in was built with the benchmark's quick architecture
    ref = sys.modules['models_lomar']
    assert ref.__file__ == str(tmp_path / 'models_lomar.py')
