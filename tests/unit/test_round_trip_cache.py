"""The form editors read a text once (``portal.content.tree_texts.load_round_trip``): every later
reading is a copy of the first, and a copy must be the same reading in every respect the writer
uses (comments, quoting, layout, anchors, how a date was written), so a form saves what it saved
before. Plain functions, no Flask."""

from __future__ import annotations

from typing import Any

import pytest
from ruamel.yaml.error import YAMLError

from portal.content import page_form, tree_texts
from portal.content.tree_texts import clear_round_trip_cache, dump_round_trip, load_round_trip, round_trip_yaml
from tests.conftest import REPO

#: The prelude, the search words, the social maps and five trees that between them hold every layout
#: the tree files use (as in test_tree_cases.py); the form tests write every shipped tree back.
SHIPPED = [
    *sorted((REPO / "triage_rules").glob("_*.yaml")),
    *sorted((REPO / "content" / "social_map").glob("*.yaml")),
    *(
        REPO / "triage_rules" / name
        for name in (
            "keelpijn.yaml",
            "koorts_kind.yaml",
            "pijn_op_de_borst.yaml",
            "somber_angst.yaml",
            "zwangerschap.yaml",
        )
    ),
]

#: What the shipped files do not show: every kind of value and layout the reader makes.
TRICKY = {
    "dates-and-times": "a: 2026-12-01\nb: 2026-12-01 10:00:00\nc: 2026-12-01T10:00:00Z\n"
    "d: 2026-12-01t10:00:00.5+01:00\ne: 2001-12-14 21:59:43.10 -5\n",
    "anchors-and-merge": "x: &a {p: 1}\ny: *a\nz:\n  <<: *a\n  q: 2\n",
    "tags-and-numbers": "s: !!set {a, b}\no: !!omap [a: 1]\nt: !custom 5\nb: !!binary aGVsbG8=\n"
    "f: 1.50\ni: 0o17\nh: 0x1F\nn: 1_000\nyes: on\nnothing: ~\n",
    "recursive": "r: &r [1, *r]\n",
    "comments-everywhere": "# top\n\nkey:  # after a key\n  # before the first item\n  - one   # after\n"
    "  - 'two'\n  - \"three\"\n# between\nblock: |\n  line\n\n  more\nfolded: >-\n  a\n  b\n# at the end\n",
    "empty": "",
}


def _state(value: Any) -> dict[str, Any]:
    """Every attribute of ``value``: its ``__dict__`` and its slots (where ruamel keeps comments)."""
    found = dict(getattr(value, "__dict__", {}))
    for cls in type(value).__mro__:
        slots = getattr(cls, "__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and hasattr(value, name):
                found[name] = getattr(value, name)
    return found


def _same(a: Any, b: Any, seen: dict[int, Any], where: str = "$") -> None:
    """``a`` and ``b`` are the same reading: equal types, values and attributes all the way down,
    and an object reached twice in ``a`` (an anchor) is one object in ``b`` too."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
    state_a, state_b = _state(a), _state(b)
    if isinstance(a, dict | list | set) or state_a:  # something the reader made: one object or two matters
        if id(a) in seen:
            assert seen[id(a)] is b, f"{where}: one object in the reading, two in the copy"
            return
        seen[id(a)] = b
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _same(a[key], b[key], seen, f"{where}.{key}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, seen, f"{where}[{i}]")
    elif type(a).__eq__ is not object.__eq__:  # a value (text, number, date, set); else its attributes say it all
        assert a == b, where
    assert state_a.keys() == state_b.keys(), f"{where}: attributes {sorted(state_a)} vs {sorted(state_b)}"
    for name in state_a:
        _same(state_a[name], state_b[name], seen, f"{where}<{name}>")


#: Self-help pages whose front matter the page form reads through the same cache (one of each language).
PAGES = [REPO / "content" / "pages" / name for name in ("keelpijn.nl.md", "keelpijn.en.md")]


def _texts() -> list[tuple[str, str]]:
    fronts = [(f"{path.name} front matter", page_form._split(path.read_text("utf-8"))[0]) for path in PAGES]
    return [(path.name, path.read_text("utf-8")) for path in SHIPPED] + fronts + sorted(TRICKY.items())


@pytest.mark.parametrize(("name", "text"), _texts(), ids=[name for name, _text in _texts()])
def test_a_kept_reading_is_the_fresh_reading_in_every_attribute_and_writes_back_the_same(name, text):
    fresh = round_trip_yaml().load(text)
    kept = load_round_trip(text)  # every reader gets a copy of what was kept, the first one too
    _same(fresh, kept, {})
    assert dump_round_trip(kept) == dump_round_trip(fresh)


def test_the_comparison_sees_what_a_deep_copy_loses():
    """The check above is live: ``copy.deepcopy`` drops the comment before a mapping's first key."""
    import copy

    text = (REPO / "triage_rules" / "kortademig.yaml").read_text("utf-8")
    fresh = round_trip_yaml().load(text)
    with pytest.raises(AssertionError, match="attributes"):
        _same(fresh, copy.deepcopy(fresh), {})


def test_each_reader_gets_its_own_copy_to_change():
    text = (REPO / "triage_rules" / "keelpijn.yaml").read_text("utf-8")
    first = load_round_trip(text)
    first["nodes"].clear()
    first["title"]["nl"] = "Veranderd"
    second = load_round_trip(text)
    assert second["nodes"] and second["title"]["nl"] != "Veranderd"
    assert dump_round_trip(second) == text


def test_a_text_that_cannot_be_read_fails_every_time():
    for _ in range(2):
        with pytest.raises(YAMLError):
            load_round_trip("nodes: [\n")


def test_a_changed_text_is_read_anew():
    text = (REPO / "triage_rules" / "keelpijn.yaml").read_text("utf-8")
    load_round_trip(text)
    changed = text.replace("title:", "title:  ", 1)
    assert dump_round_trip(load_round_trip(changed)) == dump_round_trip(round_trip_yaml().load(changed))


def test_what_cannot_be_copied_is_read_each_time_and_not_kept(monkeypatch):
    def refuse(data: Any) -> bytes:
        raise TypeError("cannot pickle this")

    monkeypatch.setattr(tree_texts, "_pickled", refuse)
    clear_round_trip_cache()
    text = "a: 1  # one\n"
    first, second = load_round_trip(text), load_round_trip(text)
    assert first is not second and dump_round_trip(first) == dump_round_trip(second) == text
    assert tree_texts._READ == {}


def test_the_files_compared_are_there():
    names = {path.name for path in SHIPPED}
    assert {"_prelude.yaml", "_lexicon.yaml", "keelpijn.yaml"} <= names and all(path.is_file() for path in SHIPPED)
    assert all(path.is_file() for path in PAGES)


def test_all_shipped_content_stays_kept_at_once_with_room_for_drafts():
    """An editors' worker reads every tree, page and social map (the overview, the forms): all of them
    must fit, or the oldest are read again after the others pushed them out (~0.1 s of CPU each).
    The readings this module made give how much a kept reading takes per byte of its text."""
    texts = [path.read_text("utf-8") for path in SHIPPED]
    for text in texts:
        load_round_trip(text)
    per_byte = max(len(tree_texts._READ[text]) / len(text) for text in texts)  # ~3.8
    shipped = [
        *(REPO / "triage_rules").glob("*.yaml"),
        *(REPO / "content" / "social_map").glob("*.yaml"),
        *(REPO / "content" / "pages").glob("*.md"),
    ]
    content = sum(len(path.read_text("utf-8")) for path in shipped)
    assert len(shipped) > 128  # more than the old count of kept texts
    assert (1 + per_byte) * content * 2 < tree_texts.ROUND_TRIP_CACHE_BYTES  # twice over: drafts of all of it


def test_the_oldest_reading_goes_first_when_the_kept_ones_would_not_fit(monkeypatch):
    clear_round_trip_cache()
    texts = [f"key{number}: value  # {number}\n" for number in range(6)]
    for text in texts[:3]:
        load_round_trip(text)
    one = tree_texts.round_trip_cache_bytes() // 3
    assert tree_texts.round_trip_cache_bytes() == sum(len(t) + len(k) for t, k in tree_texts._READ.items())
    monkeypatch.setattr(tree_texts, "ROUND_TRIP_CACHE_BYTES", one * 3 + one // 2)
    load_round_trip(texts[0])  # read again: now the newest
    load_round_trip(texts[3])
    assert list(tree_texts._READ) == [texts[2], texts[0], texts[3]]  # texts[1], the oldest, went
    assert tree_texts.round_trip_cache_bytes() == sum(len(t) + len(k) for t, k in tree_texts._READ.items())

    calls = []
    real = tree_texts.round_trip_yaml

    def counted():
        calls.append(1)
        return real()

    monkeypatch.setattr(tree_texts, "round_trip_yaml", counted)
    assert dump_round_trip(load_round_trip(texts[1])) == texts[1] and len(calls) == 2  # read anew, and written
    assert dump_round_trip(load_round_trip(texts[0])) == texts[0] and len(calls) == 3  # kept: only written

    monkeypatch.setattr(tree_texts, "ROUND_TRIP_CACHE_BYTES", one // 2)
    huge = "big: " + "x" * 100 + "\n"
    assert dump_round_trip(load_round_trip(huge)) == huge
    assert tree_texts._READ == {} and tree_texts.round_trip_cache_bytes() == 0  # larger than all: nothing kept
    clear_round_trip_cache()
