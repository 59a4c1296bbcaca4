"""The `make demo` job end to end, on the 'tiny' synthetic preset."""
import json
import os.path as osp

from ..conftest import run_tool


def test_run_demo_tiny(tmp_path):
    work_dir = tmp_path / 'demo'
    proc = run_tool(['tools/run_demo.py', '--preset', 'tiny', '--data-root',
                     str(tmp_path / 'data'), '--work-dir', str(work_dir)], timeout=900)
    with open(work_dir / 'summary.json') as f:
        summary = json.load(f)
    metrics = summary['metrics']
    for key in ('fewshot_scratch', 'fewshot_pretrained'):
        assert 0 <= metrics[key]['accuracy/top1'] <= 100
    assert 'coco/bbox_mAP' in metrics['fcos_pretrained']
    assert osp.isfile(summary['pretrained_backbone'])
    assert 'results:' in proc.stdout and osp.isfile(work_dir / 'summary.md')
    assert osp.getsize(work_dir / 'demo_results.png') > 10000
    # the classifier and detector really started from the SAR-JEPA backbone, all keys matching
    for stage in ('2b_fewshot_sar_jepa_init', '3_fcos_sar_jepa_init'):
        log = (work_dir / f'{stage}_train.log').read_text()
        assert f'from path: {summary["pretrained_backbone"]}' in log
        assert 'do not match exactly' not in log
