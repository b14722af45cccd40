"""The prelude, lexicon and social maps edited in forms: classification and edits, plain functions."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlite_utils import Database

from portal.content import shared_files as sf
from portal.content.changes import LOGIC, NONE, WORDING
from portal.pages.loader import read_social_map
from portal.storage.migrations import migrations

REPO = Path(__file__).resolve().parents[2]
LEXICON = (REPO / "triage_rules" / "_lexicon.yaml").read_text("utf-8")
PRELUDE = (REPO / "triage_rules" / "_prelude.yaml").read_text("utf-8")
MAP = REPO / "content" / "social_map" / "noordhaven-demo.yaml"


def _data(text: str):
    """``yaml.safe_load`` with libyaml's parser: the same YAML 1.1 reading (same resolvers, same
    constructors), ~10 times faster on the lexicon than the pure-Python parser."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


# --- classification ------------------------------------------------------------------------------


def test_a_new_search_word_is_wording():
    new = sf.add_term(LEXICON, "keelpijn", "nl", "schuurpapierkeel")
    assert sf.classify_lexicon(_data(LEXICON), _data(new)).kind == WORDING


def test_a_removed_search_word_is_logic_and_says_which_complaint_it_no_longer_finds():
    new = sf.remove_term(LEXICON, "keelpijn", "nl", "zere keel")
    found = sf.classify_lexicon(_data(LEXICON), _data(new))
    assert found.kind == LOGIC
    assert found.changes == ("terms.keelpijn.nl: 'zere keel' no longer leads to 'keelpijn'",)


def test_a_search_word_moved_to_another_complaint_is_logic():
    moved = sf.add_term(sf.remove_term(LEXICON, "keelpijn", "nl", "zere keel"), "hoesten", "nl", "zere keel")
    assert sf.classify_lexicon(_data(LEXICON), _data(moved)).kind == LOGIC


def test_a_complaint_taken_out_of_a_body_part_is_logic_and_a_label_is_wording():
    out = LEXICON.replace("trees: [rugpijn, flankpijn, nekpijn]", "trees: [rugpijn, flankpijn]", 1)
    assert sf.classify_lexicon(_data(LEXICON), _data(out)).changes == ("body_parts.rug: 'nekpijn' taken out",)
    label = LEXICON.replace('label: {nl: "Rug", en: "Back"}', 'label: {nl: "Rug en billen", en: "Back"}', 1)
    assert sf.classify_lexicon(_data(LEXICON), _data(label)).kind == WORDING


def test_every_prelude_change_is_logic_even_a_word():
    new = PRELUDE.replace("Eerst even checken", "Eerst een korte check", 1)
    found = sf.classify_prelude(_data(PRELUDE), _data(new))
    assert found.kind == LOGIC and found.changes == ("title.nl: 'Eerst even checken' → 'Eerst een korte check'",)
    assert sf.classify_prelude(_data(PRELUDE), _data(PRELUDE)).kind == NONE


def test_a_social_map_change_is_wording():
    assert sf.classify_social_map("a", "b").kind == WORDING
    assert sf.classify_social_map("a", "a").kind == NONE


# --- the lexicon form ------------------------------------------------------------------------------


def test_adding_a_term_changes_only_that_line():
    new = sf.add_term(LEXICON, "keelpijn", "nl", "schuurpapierkeel")
    changed = [(a, b) for a, b in zip(LEXICON.splitlines(), new.splitlines(), strict=True) if a != b]
    assert len(changed) == 1 and changed[0][1].endswith(", schuurpapierkeel]")
    assert sf.add_term(new, "keelpijn", "nl", "schuurpapierkeel") == new  # not twice


def test_a_term_for_a_complaint_without_words_starts_its_block_at_the_end():
    new = sf.add_term(LEXICON, "nieuw", "en", "brand new")
    assert new.endswith("  nieuw:\n    en: [brand new]\n")
    assert ("nieuw", "en", ("brand new",)) in sf.lexicon_terms(new)


def test_removing_a_term_that_is_not_there_changes_nothing():
    assert sf.remove_term(LEXICON, "keelpijn", "nl", "bestaat niet") == LEXICON


def test_the_form_saves_several_words_at_once_as_one_word_after_another_would():
    one_by_one = sf.add_term(
        sf.remove_term(LEXICON, "keelpijn", "nl", "zere keel"), "keelpijn", "en", "scratchy throat"
    )
    at_once = sf.change_terms(LEXICON, "keelpijn", [("nl", "zere keel")], {"nl": [], "en": ["scratchy throat"]})
    assert at_once == one_by_one
    assert sf.change_terms(LEXICON, "keelpijn", [("nl", "bestaat niet")], {"nl": ["zere keel"]}) == LEXICON


# --- the social-map form ------------------------------------------------------------------------------


def _read(tmp_path: Path, text: str):
    path = tmp_path / MAP.name
    path.write_text(text, "utf-8")
    return read_social_map(path, date(2026, 12, 1))


def test_changing_a_phone_number_keeps_every_other_line_and_the_quotes(tmp_path):
    old = MAP.read_text("utf-8")
    fields = sf.services(old)[2] | {"phone": "0123456789"}
    new = sf.put_service(old, fields, "schuldhulp")
    changed = [(a, b) for a, b in zip(old.splitlines(), new.splitlines(), strict=True) if a != b]
    assert changed == [('    phone: "012 345 68 13"', '    phone: "0123456789"')]  # quoted: never read as a number
    municipality, problems = _read(tmp_path, new)
    assert problems == [] and municipality.service("schuldhulp").phone == "0123456789"


def test_a_text_yaml_would_misread_is_quoted(tmp_path):
    old = MAP.read_text("utf-8")
    new = sf.put_service(old, sf.services(old)[0] | {"how_nl": "yes", "how_en": "Call: now #1"}, "welzijn_op_recept")
    municipality, problems = _read(tmp_path, new)
    assert problems == []
    assert (municipality.services[0].how.nl, municipality.services[0].how.en) == ("yes", "Call: now #1")


def test_a_service_is_added_at_the_end_and_removed(tmp_path):
    old = MAP.read_text("utf-8")
    fields = sf.services(old)[0] | {"type": "taalhulp", "web": "https://example.nl"}
    added = sf.put_service(sf.drop_service(old, "taalhulp"), fields, None)
    assert [s["type"] for s in sf.services(added)][-1] == "taalhulp"
    assert _read(tmp_path, added)[0].service("taalhulp").web == "https://example.nl"
    assert sf.drop_service(old, "not_there") == old


def test_a_new_social_map_is_read_like_a_file(tmp_path):
    fields = sf.services(MAP.read_text("utf-8"))[0]
    text = sf.new_social_map("Zuiderdam (demo)", fields, date(2026, 12, 1))
    path = tmp_path / "zuiderdam-demo.yaml"
    path.write_text(text, "utf-8")
    municipality, problems = read_social_map(path, date(2026, 12, 1))
    assert problems == [] and municipality.name == "Zuiderdam (demo)"
    assert municipality.checked_on == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("name", "slug"), [("Zuiderdam (demo)", "zuiderdam-demo"), ("'s-Hertogenbosch", "s-hertogenbosch"), ("Ede", "ede")]
)
def test_a_new_maps_slug_comes_from_the_municipalitys_name(name, slug):
    assert sf.slug_for(name) == slug


def test_a_service_is_checked_with_the_schema_and_each_reason_is_named_by_field():
    fields = {
        "type": "nonsense",
        "name": "",
        "what_nl": "x",
        "what_en": "",
        "how_nl": "y",
        "how_en": "z",
        "phone": "bel ons",
        "address": "",
        "web": "http://example.nl",
    }
    assert sf.service_errors(fields) == {
        "type": sf.TYPE,
        "name": sf.REQUIRED,
        "what_en": sf.REQUIRED,
        "phone": sf.PHONE,
        "web": sf.WEB,
    }
    good = sf.services(MAP.read_text("utf-8"))[0]
    assert sf.service_errors(good) == {}
    assert sf.service_errors(good, other_types=[good["type"]]) == {"type": sf.DUPLICATE}


# --- migration 0016 ------------------------------------------------------------------------------


def test_migration_0016_keeps_every_version_and_lets_the_shared_files_in(tmp_path):
    db = Database(tmp_path / "old.db")
    # Every migration before 0016 (what a running instance had), with a tree version in the table.
    migrations.apply(db, stop_before="0016_content_versions_for_prelude_lexicon_and_social_maps")
    row = ["tree", "keelpijn", "", "published", "file", "x", "2026-11-01", "2026-11-01"]
    insert = (
        "INSERT INTO content_versions (content_kind, key, language, version_status, origin, source, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    db.execute(insert, row)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(insert, ["social_map", *row[1:]])
    migrations.apply(db)
    assert [r["key"] for r in db.query("SELECT key FROM content_versions")] == ["keelpijn"]
    db.execute(insert, ["social_map", "zuiderdam-demo", *row[2:]])
    indexes = {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"content_versions_key", "content_versions_status"} <= indexes
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
