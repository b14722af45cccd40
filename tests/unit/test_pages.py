"""Self-help pages and social maps: checks with file:line, sanitising, search, last good version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal.pages.library import ContentLibrary
from portal.pages.loader import read_page, render_markdown
from portal.pages.search import search_pages
from tests.conftest import REPO, RULES, TODAY

CONTENT = REPO / "content"
TREES = tuple(path.stem for path in RULES.glob("*.yaml") if not path.name.startswith("_"))
VALID = (CONTENT / "pages" / "keelpijn.nl.md").read_text("utf-8")


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def _library(directory: Path) -> ContentLibrary:
    library = ContentLibrary(directory)
    library.refresh(TODAY, TREES)
    return library


def _line(path: Path, marker: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if marker in line)


def test_the_demo_content_has_no_problems():
    library = _library(CONTENT)
    assert library.all_problems() == []
    assert len(library.pages) == 2 * len(list((CONTENT / "pages").glob("*.nl.md"))) >= 46
    assert set(library.municipalities) == {"zuiderdam-demo", "noordhaven-demo"}


def test_every_self_care_outcome_has_a_page_in_both_languages():
    from portal.triage.rules import RuleBook

    book = RuleBook(REPO / "triage_rules")
    book.refresh(TODAY)
    library = _library(CONTENT)
    pages = [o.self_care_page for t in book.trees.values() for o in t.outcomes() if o.route.value == "self_care"]
    assert pages and all(p for p in pages)
    for slug in pages:
        assert (slug, "nl") in library.pages and (slug, "en") in library.pages, slug


BROKEN = [
    pytest.param(
        "## Wanneer contact opnemen met de praktijk?",
        "## Wanneer bellen?",
        "## Wanneer bellen?",
        "unknown section",
        id="renamed-safety-net",
    ),
    pytest.param("theme: head_and_neck", "theme: keel", "theme: keel", "'keel' is not allowed here", id="bad-theme"),
    pytest.param(
        "title: Keelpijn",
        "title: Keelpijn\ncolour: red",
        "colour: red",
        "'colour' was unexpected",
        id="unknown-field",
    ),
    pytest.param("slug: keelpijn", "slug: keel_pijn", "slug: keel_pijn", "the file name says", id="wrong-slug"),
    # PyYAML notices the unclosed list where the next key starts.
    pytest.param(
        "keywords: [keelpijn, keel, slikken, amandelen]",
        "keywords: [keelpijn, keel",
        "synonyms:",
        "not valid YAML",
        id="yaml-syntax",
    ),
    pytest.param(
        "(triage:keelpijn)",
        "(triage:bestaat_niet)",
        "(triage:bestaat_niet)",
        "the link to triage 'bestaat_niet' leads nowhere",
        id="dead-tree-link",
    ),
]


@pytest.mark.parametrize(("old", "new", "marker", "message"), BROKEN)
def test_each_kind_of_broken_page_is_reported_with_file_and_line(content_dir, old, new, marker, message):
    path = content_dir / "pages" / "keelpijn.nl.md"
    assert old in VALID
    path.write_text(VALID.replace(old, new), "utf-8")
    problems = [p for p in _library(content_dir).all_problems() if p.path == path and p.is_error]
    matching = [p for p in problems if message in p.message]
    assert matching, "\n".join(map(str, problems))
    assert matching[0].line == _line(path, marker.splitlines()[0]), str(matching[0])


def test_a_page_without_the_safety_net_is_refused(content_dir):
    path = content_dir / "pages" / "keelpijn.nl.md"
    path.write_text(VALID.split("## Wanneer contact opnemen")[0], "utf-8")
    problems = _library(content_dir).refused()[path]
    assert any("'## Wanneer contact opnemen met de praktijk?' is missing" in p.message for p in problems)


def test_an_english_page_without_its_dutch_original_is_refused(content_dir):
    (content_dir / "pages" / "oorpijn.nl.md").unlink()
    library = _library(content_dir)
    assert ("oorpijn", "en") not in library.pages
    assert any(
        "there is no nl version" in p.message for p in library.refused()[content_dir / "pages" / "oorpijn.en.md"]
    )


def test_a_dutch_page_goes_live_before_its_english_version_and_english_readers_get_it(content_dir):
    """Issue 14: a Dutch page may go live first; the editor is warned, English readers get the Dutch page."""
    (content_dir / "pages" / "oorpijn.en.md").unlink()
    library = _library(content_dir)
    assert ("oorpijn", "nl") in library.pages
    assert library.page("oorpijn", "en").language == "nl"
    assert library.pages[("oorpijn", "nl")] in library.in_language("en")  # listed for English readers too
    assert library.pages[("keelpijn", "nl")] not in library.in_language("en")  # it has its English version
    warnings = library.problems[content_dir / "pages" / "oorpijn.nl.md"]
    assert any("there is no en version yet" in p.message and not p.is_error for p in warnings)


def test_a_broken_change_keeps_the_last_good_version(content_dir):
    library = _library(content_dir)
    good = library.pages[("keelpijn", "nl")]
    path = content_dir / "pages" / "keelpijn.nl.md"
    path.write_text(VALID.replace("theme: head_and_neck", "theme: nope"), "utf-8")
    library.refresh(TODAY, TREES)
    assert library.pages[("keelpijn", "nl")] is good
    path.write_text(VALID.replace("Keelpijn komt bijna altijd", "Een zere keel komt bijna altijd"), "utf-8")
    library.refresh(TODAY, TREES)
    assert library.pages[("keelpijn", "nl")] is not good


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[klik](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<p onclick="alert(1)">tekst</p>',
    "<svg onload=alert(1)></svg>",
    "<style>body{display:none}</style>",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<object data="x"></object><embed src="x">',
    '<form action="https://evil.example"><input name=x></form>',
    "[x](vbscript:msgbox(1))",
]


@pytest.mark.parametrize("markdown_text", HOSTILE)
def test_hostile_markdown_is_made_harmless(markdown_text):
    html = render_markdown(markdown_text).lower()
    for forbidden in (
        "<script",
        "onerror",
        "onclick",
        "onload",
        "javascript:",
        "vbscript:",
        "<iframe",
        "<style",
        "data:text",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<svg",
    ):
        assert forbidden not in html, (markdown_text, html)


def test_internal_links_become_relative_and_safe_links_stay():
    html = render_markdown("[a](pagina:hoesten) [b](triage:keelpijn) [c](https://thuisarts.nl) [d](tel:112)")
    assert 'href="hoesten"' in html and 'href="../triage/keelpijn"' in html
    assert 'href="https://thuisarts.nl"' in html and 'href="tel:112"' in html
    assert 'rel="noopener noreferrer"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("keel", "keelpijn"),
        ("oorpijn kind", "oorpijn"),
        ("schulden", "geldzorgen"),
        ("benauwd", "hoesten"),
        ("Hoofd", "hoofdpijn"),
        ("maag", "buikpijn"),
        ("slikken", "keelpijn"),
        ("oor", "oorpijn"),
        ("geld", "geldzorgen"),
        ("zere keel", "keelpijn"),
        ("deurwaarder", "geldzorgen"),
    ],
)
def test_lay_queries_find_the_right_page_first(query, expected):
    pages = _library(CONTENT).in_language("nl")
    found = search_pages(pages, query)
    assert found and found[0].slug == expected, [p.slug for p in found]


def test_english_queries_search_english_pages():
    found = search_pages(_library(CONTENT).in_language("en"), "earache")
    assert found[0].slug == "oorpijn" and found[0].language == "en"


def test_a_social_map_with_a_bad_phone_number_is_reported_with_its_line(content_dir):
    path = content_dir / "social_map" / "zuiderdam-demo.yaml"
    path.write_text(path.read_text("utf-8").replace('    phone: "012 345 67 11"', '    phone: "bel ons"'), "utf-8")
    problems = _library(content_dir).refused()[path]
    bad_phone = [p for p in problems if "'bel ons' does not match" in p.message]
    assert bad_phone and bad_phone[0].line == _line(path, 'phone: "bel ons"'), problems


def test_a_social_map_listing_a_service_twice_is_reported_with_its_line(content_dir):
    path = content_dir / "social_map" / "zuiderdam-demo.yaml"
    path.write_text(path.read_text("utf-8").replace("  - type: taalhulp", "  - type: welzijn_op_recept"), "utf-8")
    problems = _library(content_dir).refused()[path]
    twice = [p for p in problems if "service type 'welzijn_op_recept' appears twice" in p.message]
    lines = path.read_text("utf-8").splitlines()
    second = [i for i, line in enumerate(lines, 1) if line == "  - type: welzijn_op_recept"][1]
    assert twice and twice[0].line == second, problems


def test_a_page_file_with_a_bad_name_is_reported(content_dir):
    (content_dir / "pages" / "Keelpijn.md").write_text(VALID, "utf-8")
    page, problems, _links = read_page(content_dir / "pages" / "Keelpijn.md", TODAY)
    assert page is None and "named <slug>.<nl|en>.md" in problems[0].message
