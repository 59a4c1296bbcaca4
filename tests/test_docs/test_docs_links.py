"""README.md, docs/*.md and configs/*/README.md: every relative link reaches a file (and its
heading, when the link names one), every config folder has a README, and the README stays a
short entry point with a table of contents into docs/."""
import glob
import os.path as osp
import re

import pytest

from ..conftest import ROOT

LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')
FENCE = re.compile(r'^```.*?^```', re.S | re.M)
MODULE_TABLE = re.compile(r'<!-- module-table:start -->.*?<!-- module-table:end -->', re.S)


def _pages():
    pages = [osp.join(ROOT, 'README.md')]
    pages += sorted(glob.glob(osp.join(ROOT, 'docs', '*.md')))
    pages += sorted(glob.glob(osp.join(ROOT, 'configs', '*', 'README.md')))
    return pages


def _read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def _slug(heading):
    """GitHub's anchor of a markdown heading."""
    text = heading.strip().lower().replace('`', '')
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def _anchors(path):
    text = FENCE.sub('', _read(path))
    return {_slug(m.group(1)) for m in re.finditer(r'^#+ (.+)$', text, re.M)}


@pytest.mark.parametrize('page', _pages(), ids=lambda p: osp.relpath(p, ROOT))
def test_relative_links_resolve(page):
    text = FENCE.sub('', _read(page))
    broken = []
    for target in LINK.findall(text):
        if re.match(r'[a-z]+:', target):  # http(s), mailto: not checked offline
            continue
        path, _, anchor = target.partition('#')
        dest = osp.normpath(osp.join(osp.dirname(page), path)) if path else page
        if not osp.exists(dest):
            broken.append(f'{target} (no file {osp.relpath(dest, ROOT)})')
        elif anchor and dest.endswith('.md') and anchor not in _anchors(dest):
            broken.append(f'{target} (no heading #{anchor} in {osp.relpath(dest, ROOT)})')
    assert not broken, f'{osp.relpath(page, ROOT)}: broken links: {broken}'


def test_every_config_folder_has_a_readme_linked_from_the_index():
    index = _read(osp.join(ROOT, 'docs', 'index.md'))
    readme = _read(osp.join(ROOT, 'README.md'))
    for folder in sorted(glob.glob(osp.join(ROOT, 'configs', '*', ''))):
        name = osp.basename(osp.dirname(folder))
        if name == '_base_':
            continue
        assert osp.exists(osp.join(folder, 'README.md')), f'configs/{name}/ has no README.md'
        link = f'configs/{name}/README.md'
        assert link in index, f'docs/index.md does not link {link}'
        assert link in readme, f'README.md does not link {link}'


def test_every_docs_page_is_in_the_index():
    index = _read(osp.join(ROOT, 'docs', 'index.md'))
    for page in sorted(glob.glob(osp.join(ROOT, 'docs', '*.md'))):
        name = osp.basename(page)
        if name != 'index.md':
            assert f']({name})' in index, f'docs/index.md does not link docs/{name}'


def test_readme_is_short():
    """About 150 lines of prose; the generated module table does not count."""
    prose = MODULE_TABLE.sub('', _read(osp.join(ROOT, 'README.md')))
    lines = prose.count('\n')
    assert lines <= 170, f'README.md has {lines} lines besides the module table (keep it ~150)'
    assert '(docs/index.md)' in prose
