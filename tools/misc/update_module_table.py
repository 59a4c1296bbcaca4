"""Regenerate the module table in README.md from the registries (checked by the tests).

    python tools/misc/update_module_table.py [--check]
"""
import argparse
import os.path as osp
import re

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PATTERN = re.compile(r'(<!-- module-table:start -->)(.*?)(<!-- module-table:end -->)', re.S)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true', help='exit 1 if the table is stale')
    args = parser.parse_args(argv)
    from sar_mm.utils import module_table
    path = osp.join(ROOT, 'README.md')
    with open(path, encoding='utf-8') as f:
        readme = f.read()
    if not PATTERN.search(readme):
        raise SystemExit(f'{path}: module-table markers not found')
    updated = PATTERN.sub(lambda m: f'{m.group(1)}\n{module_table()}\n{m.group(3)}', readme)
    if args.check:
        raise SystemExit(0 if updated == readme else 1)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(updated)
    print(f'updated the module table in {path}')


if __name__ == '__main__':
    main()
