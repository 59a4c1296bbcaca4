"""benchmarks/channels_last.py: both layouts step on the same batches and it prints the figures
and the ratio (no timing is asserted)."""
import re

import pytest

from benchmarks import channels_last as bench


def test_arguments(capsys):
    args = bench.parse_args([])
    assert (args.cases, args.steps, args.warmup) == (['simclr', 'finetune'], 5, 1)
    with pytest.raises(SystemExit):
        bench.parse_args(['--cases', 'mae'])
    assert 'invalid choice' in capsys.readouterr().err


def test_quick_run_prints_both_layouts_and_the_ratio(capsys):
    bench.main(['--quick', '--cases', 'finetune', 'simclr'])
    out = capsys.readouterr().out
    for case, images in (('finetune', 8), ('simclr', 16)):
        assert f'[{case}]' in out
        assert f'{images} images per step, 20 conv weights converted' in out
        assert re.search(rf'\[{case}\]\s+nchw:\s+[\d.]+ img/s', out)
        assert re.search(rf'\[{case}\]\s+channels_last:\s+[\d.]+ img/s', out)
        first = re.search(
            rf'\[{case}\]   channels-last speed-up: [\d.]+x .*\|loss difference\| '
            r'([\d.e+-]+) at the first step', out)
        assert first, out
        assert float(first.group(1)) < 1e-4  # same weights, same batch: the same loss
