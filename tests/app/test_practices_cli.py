"""Operators add practices from a TOML file, without SQL."""

from __future__ import annotations

from portal.storage.practices import get_practice

GOOD = """
[[practice]]
slug = "de-eik"
name = "Huisartsenpraktijk De Eik"
phone = "030 123 4567"
municipality = "Utrecht"
hap_name = "Huisartsenpost Utrecht Stad"
hap_phone = "088 130 9670"

[practice.opening_hours]
mon = [["08:00", "17:00"]]
"""


def test_a_practice_is_imported_and_served(runner, client, db, tmp_path):
    path = tmp_path / "practices.toml"
    path.write_text(GOOD)
    result = runner.invoke(args=["practices", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["practices", "import", str(path)]).exit_code == 0
    assert get_practice(db, "de-eik").opening_hours == {"mon": [["08:00", "17:00"]]}
    assert "Huisartsenpraktijk De Eik" in client.get("/de-eik/").get_data(as_text=True)
    assert "/de-eik/" in runner.invoke(args=["practices", "list"]).output


def test_a_file_with_a_problem_is_refused_whole_and_says_why(runner, db, tmp_path):
    path = tmp_path / "practices.toml"
    path.write_text(GOOD.replace('"17:00"', '"07:00"') + GOOD.replace("de-eik", "De Beuk!"))
    result = runner.invoke(args=["practices", "import", str(path)])
    assert result.exit_code == 1
    assert "08:00 is not before 07:00" in result.output
    assert "'De Beuk!' does not match" in result.output
    assert get_practice(db, "de-eik") is None
