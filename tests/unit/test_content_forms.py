"""The form editor's pure work: pages and tree texts to form fields and back, without changing what was not edited."""

from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from portal.content import page_form, tree_texts
from portal.content.changes import LOGIC, WORDING, classify_tree
from portal.content.files import reading_instead
from portal.pages.loader import read_page

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted((REPO / "content" / "pages").glob("*.md"))
TREES = sorted(p for p in (REPO / "triage_rules").glob("*.yaml") if not p.name.startswith("_"))
TODAY = date(2026, 12, 1)


def _changed(old: str, new: str) -> list[str]:
    return [line for line in difflib.ndiff(old.splitlines(), new.splitlines()) if line[:1] in "+-"]


def _safe_load(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's parser: the same YAML 1.1 reading (same resolvers, same
    constructors), ~10 times faster on a whole tree than the pure-Python parser."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _read(path: Path, text: str):
    with reading_instead({path: text.encode("utf-8")}):
        return read_page(path, TODAY)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_every_shipped_page_saved_unchanged_from_the_form_is_the_same_text(path):
    source = path.read_text("utf-8")
    fields = page_form.read_fields(source)
    assert page_form.apply(source, fields.title, fields.summary, list(fields.sections)) == source


@pytest.mark.parametrize("path", TREES, ids=lambda p: p.name)
def test_every_shipped_tree_saved_unchanged_from_the_form_is_the_same_text(path):
    source = path.read_text("utf-8")
    values = {f.key: {"nl": f.nl, "en": f.en} for group in tree_texts.text_groups(source) for f in group.fields}
    assert tree_texts.apply_texts(source, values) == source


def test_a_changed_title_and_section_change_only_their_lines_and_the_page_still_loads():
    path = REPO / "content" / "pages" / "keelpijn.nl.md"
    source = path.read_text("utf-8")
    fields = page_form.read_fields(source)
    sections = [(h, t + "\n- Slaap genoeg.") if h == "Wat kunt u zelf doen?" else (h, t) for h, t in fields.sections]
    new = page_form.apply(source, "Keelpijn: een zere keel", fields.summary, sections)
    assert _changed(source, new) == ["- title: Keelpijn", "+ title: 'Keelpijn: een zere keel'", "+ - Slaap genoeg."]
    page, problems, _links = _read(path, new)
    assert page is not None and page.title == "Keelpijn: een zere keel", problems
    assert "Slaap genoeg." in page.sections[1].html


def test_the_optional_section_is_added_only_when_it_has_text():
    path = REPO / "content" / "pages" / "keelpijn.nl.md"
    source = path.read_text("utf-8")
    fields = page_form.read_fields(source)
    assert fields.sections[-1] == ("Meer hulp", "")
    filled = [*fields.sections[:-1], ("Meer hulp", "Lees ook over [hoesten](pagina:hoesten).")]
    new = page_form.apply(source, fields.title, fields.summary, filled)
    assert new.endswith("\n\n## Meer hulp\n\nLees ook over [hoesten](pagina:hoesten).\n")
    page, problems, _links = _read(path, new)
    assert page is not None and [s.heading for s in page.sections][-1] == "Meer hulp", problems


def test_a_new_page_is_read_by_the_loader_without_errors_and_says_it_is_demo_content(tmp_path):
    headings = page_form.headings_for("en")
    new = page_form.NewPage(
        slug="warts",
        language="en",
        title="Warts",
        summary="Warts are harmless and usually go away by themselves.",
        keywords=("wart", "warts"),
        theme="skin",
        sources=("NHG guideline on warts",),
        reviewer="Ann Editor",
        sections=tuple(
            zip(headings, ["A small rough bump.", "- Leave it alone.", "Call if it bleeds.", ""], strict=True)
        ),
    )
    text = page_form.new_page(new, TODAY)
    page, problems, _links = _read(tmp_path / "warts.en.md", text)
    assert page is not None, problems
    assert page.status == "demo — requires clinical validation" and page.review_due == date(2027, 12, 1)
    assert "reviewed_on: 2026-12-01\n" in text  # written like the shipped pages, unquoted
    assert [s.heading for s in page.sections] == list(headings[:3])  # the empty optional section stays out


def test_a_text_edit_is_wording_and_touches_only_the_edited_lines():
    source = (REPO / "triage_rules" / "keelpijn.yaml").read_text("utf-8")
    new = tree_texts.apply_texts(
        source,
        {
            "nodes/alarm_signs/help": {"nl": "Vink alles aan dat klopt.", "en": "Tick everything that is true."},
            "nodes/alarm_signs/none/label": {"nl": "Nee, geen van deze dingen", "en": "No, none of these"},
        },
    )
    assert _changed(source, new) == [
        "-       nl: Vink alles aan wat klopt.",
        "+       nl: Vink alles aan dat klopt.",
        "-       label: {nl: 'Nee, geen van deze', en: 'No, none of these'}",
        "+       label: {nl: 'Nee, geen van deze dingen', en: 'No, none of these'}",
    ]
    assert classify_tree(_safe_load(source), _safe_load(new)).kind == WORDING


def test_advice_is_edited_one_point_per_line():
    source = (REPO / "triage_rules" / "keelpijn.yaml").read_text("utf-8")
    field = next(f for g in tree_texts.text_groups(source) for f in g.fields if f.key == "nodes/self_care/advice")
    assert field.is_list and field.nl.count("\n") == 3
    new = tree_texts.apply_texts(source, {field.key: {"nl": field.nl + "\nRust goed uit.", "en": field.en}})
    assert _changed(source, new) == ["+         - Rust goed uit."]
    assert classify_tree(_safe_load(source), _safe_load(new)).kind == WORDING


def test_only_texts_can_be_changed_through_the_form():
    source = (REPO / "triage_rules" / "keelpijn.yaml").read_text("utf-8")
    assert tree_texts.apply_texts(source, {"nodes/alarm_signs/none/next": {"nl": "urgent_now"}}) == source
    changed = source.replace("next: today_signs", "next: urgent_now", 1)
    assert classify_tree(_safe_load(source), _safe_load(changed)).kind == LOGIC  # raw mode can


def test_groups_name_each_screen_by_what_the_patient_reads():
    source = (REPO / "triage_rules" / "keelpijn.yaml").read_text("utf-8")
    groups = tree_texts.text_groups(source)
    assert groups[0].node == tree_texts.TREE_GROUP and groups[0].words == "Keelpijn"
    first = groups[1]
    assert (first.node, first.words) == ("alarm_signs", "Heeft de persoon een of meer van deze dingen?")
    roles = [(f.role, f.number, f.within) for f in first.fields]
    assert roles[:3] == [("text", None, ""), ("help", None, ""), ("label", 1, "items")]
    assert roles[-1] == ("label", None, "none")
