"""A page read in a test process gives what reading it in full gives, also in another directory.

tests/conftest.py shares ``read_page`` between the apps of a test process (``_pages_read_once``),
and a page with the same name and bytes in another directory (a test's private copy) gets what
the first read gave, with its own path put in. These tests read every shipped page, and a few
broken ones, in one directory and then in another, and compare each with a read in full
(``conftest.PAGES_READ``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from portal.pages import library
from tests import conftest
from tests.conftest import REPO, TODAY

BROKEN = {
    "kapot.nl.md": "geen front matter\n",
    "open.nl.md": "---\nslug: open\n",
    "fout-slug.nl.md": "---\nslug: andere\nlanguage: nl\n---\n# Kop\n",
    "geen_naam.md": "---\n---\n",
    "bytes.nl.md": b"---\nslug: bytes\n\xff\xfe\n---\n",
}


def _pages(folder: Path) -> Path:
    pages = folder / "pages"
    shutil.copytree(REPO / "content" / "pages", pages)
    for name, text in BROKEN.items():
        (pages / name).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return pages


def test_a_page_in_another_directory_reads_as_in_full(tmp_path):
    first, second = _pages(tmp_path / "first"), _pages(tmp_path / "second")
    names = sorted(path.name for path in first.iterdir())
    assert len(names) >= 100
    for name in names:
        library.read_page(first / name, TODAY)
    for name in names:
        shared = library.read_page(second / name, TODAY)
        in_full = conftest.PAGES_READ["read_page"](second / name, TODAY)
        assert shared == in_full, name
        page, problems, _references = shared
        assert page is None or page.path == second / name
        assert all(problem.path == second / name for problem in problems), name
    assert any(library.read_page(second / name, TODAY)[1] for name in BROKEN), "the broken pages have problems"


def test_a_page_changed_in_the_other_directory_is_read_in_full(tmp_path):
    first, second = _pages(tmp_path / "first"), _pages(tmp_path / "second")
    library.read_page(first / "hoesten.nl.md", TODAY)
    path = second / "hoesten.nl.md"
    path.write_text(path.read_text("utf-8").replace("---\n", "---\nextra: ja\n", 1), "utf-8")
    shared = library.read_page(path, TODAY)
    assert shared == conftest.PAGES_READ["read_page"](path, TODAY)
    assert shared != library.read_page(first / "hoesten.nl.md", TODAY)
