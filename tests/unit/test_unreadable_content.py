"""A character YAML cannot read refuses that one file, with its line; it never raises.

Before: a control character (a ``\\x07`` pasted in from a word processor) raised
``yaml.reader.ReaderError``, which is not a MarkedYAMLError and escaped every loader.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from portal.content.files import parse_yaml
from portal.pages.loader import read_page, read_social_map
from portal.triage.loader import read_file
from tests.conftest import REPO, RULES, TODAY

BELL = "\x07"


def _with_bell(text: str, line: int) -> str:
    """``text`` with a bell character at the end of the given (1-based) line."""
    lines = text.split("\n")
    lines[line - 1] += BELL
    return "\n".join(lines)


def test_a_control_character_in_a_tree_is_one_problem_on_its_line():
    text = _with_bell((RULES / "keelpijn.yaml").read_text("utf-8"), 12)
    data, problems = parse_yaml(Path("keelpijn.yaml"), text)
    assert data is None
    assert [(p.line, p.is_error) for p in problems] == [(12, True)]
    assert "control character U+0007 is not allowed" in problems[0].message


def test_the_line_is_right_after_accented_text():
    # libyaml counts its position in UTF-8 bytes: 'é' and '€' must not shift the line.
    text = "title:\n  nl: Keelpijn é€é€é€é€é€é€é€é€é€é€\n  en: Sore throat\nid: x" + BELL + "\n"
    _data, problems = parse_yaml(Path("x.yaml"), text)
    assert [p.line for p in problems] == [4]


@pytest.mark.parametrize(
    ("character", "name"), [("\x00", "U+0000"), ("\x1b", "U+001B"), ("\x7f", "U+007F"), ("\ufffe", "U+FFFE")]
)
def test_other_refused_characters_are_named(character, name):
    _data, problems = parse_yaml(Path("x.yaml"), f"id: x\nversion: 1{character}\n")
    assert [p.line for p in problems] == [2]
    assert name in problems[0].message


def test_read_file_refuses_the_tree(tmp_path):
    path = tmp_path / "keelpijn.yaml"
    path.write_text(_with_bell((RULES / "keelpijn.yaml").read_text("utf-8"), 5), "utf-8")
    data, problems = read_file(path)
    assert data is None and [(p.path, p.line) for p in problems] == [(path, 5)]


def test_a_control_character_in_a_pages_front_matter_is_refused_with_its_line(tmp_path):
    path = tmp_path / "brandwond.nl.md"
    path.write_text(_with_bell((REPO / "content/pages/brandwond.nl.md").read_text("utf-8"), 3), "utf-8")
    page, problems, _links = read_page(path, TODAY)
    assert page is None
    assert [p.line for p in problems] == [3]
    assert "U+0007" in problems[0].message


def test_a_control_character_in_a_social_map_is_refused_with_its_line(tmp_path):
    path = tmp_path / "noordhaven-demo.yaml"
    path.write_text(_with_bell((REPO / "content/social_map/noordhaven-demo.yaml").read_text("utf-8"), 4), "utf-8")
    municipality, problems = read_social_map(path, date(2026, 11, 22))
    assert municipality is None
    assert [p.line for p in problems] == [4]


def test_a_file_that_is_not_utf8_is_refused_on_the_line_of_the_bad_byte(tmp_path):
    path = tmp_path / "keelpijn.yaml"
    path.write_bytes("id: keelpijn\ntitle:\n  nl: Keelpijn\n  en: Sore throat caf\xe9\n".encode("latin-1"))
    data, problems = read_file(path)
    assert data is None
    assert [(p.line, p.message) for p in problems] == [
        (4, "this is not UTF-8 text (byte 0xE9); save the file as UTF-8")
    ]
