"""The `make demo` job end to end, on the 'tiny' synthetic preset."""
import json
import os.path as osp

import pytest

from ..conftest import run_tool


def test_run_demo_tiny(tmp_path):
    work_dir = tmp_path / 'demo'
    proc = run_tool([
        'tools/run_demo.py', '--preset', 'tiny', '--data-root',
        str(tmp_path / 'data'), '--work-dir',
        str(work_dir)
    ],
                    timeout=900)
    with open(work_dir / 'summary.json') as f:
        summary = json.load(f)
    metrics = summary['metrics']
    # the frozen-feature protocol over three seeds, random init against SAR-JEPA init
    assert set(metrics['fewshot']) == {'linear', 'knn'}
    for mode, r in metrics['fewshot'].items():
        for init in ('random_init', 'sar_jepa'):
            assert 0 <= r[init]['mean'] <= 100 and r[init]['std'] >= 0
        assert r['gain'] == pytest.approx(r['sar_jepa']['mean'] - r['random_init']['mean'])
        assert r['beyond_spread'] == (r['gain'] > r['sar_jepa']['std'] + r['random_init']['std'])
        runs = (work_dir / '2a_fewshot_random_init' / 'fewshot_runs.csv').read_text()
        assert len([line for line in runs.splitlines() if line.startswith(mode + ',')]) == 3
    assert 'the seed spread' in (work_dir / 'summary.md').read_text()
    assert 'coco/bbox_mAP' in metrics['fcos_pretrained']
    assert osp.isfile(summary['pretrained_backbone'])
    assert 'results:' in proc.stdout and osp.isfile(work_dir / 'summary.md')
    assert osp.getsize(work_dir / 'demo_results.png') > 10000
    # the classifier and detector really started from the SAR-JEPA backbone, all keys matching
    for log_name in ('2b_fewshot_sar_jepa_init.log', '3_fcos_sar_jepa_init_train.log'):
        log = (work_dir / log_name).read_text()
        assert f'from path: {summary["pretrained_backbone"]}' in log
        assert 'do not match exactly' not in log
