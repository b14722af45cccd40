"""Evaluation statistics against numbers worked out by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.evaluation.stats import (
    MIN_CELL,
    Change,
    avoided_contacts,
    confusion,
    median_from_histogram,
    route_mix,
    share,
    shown,
    shown_cell,
    suppress_rows,
)


@pytest.mark.parametrize(
    ("histogram", "expected"),
    [
        ({}, None),
        ({3: 1}, 3),
        ({2: 1, 4: 1}, 3),
        ({1: 2, 5: 1}, 1),
        ({1: 1, 2: 1, 9: 1}, 2),
        ({4: 10, 6: 10}, 5),
    ],
)
def test_median_from_a_histogram(histogram, expected):
    assert median_from_histogram(histogram) == expected


def test_a_count_below_the_threshold_is_hidden_and_so_is_an_empty_total():
    assert [shown(n) for n in (0, 1, MIN_CELL - 1, MIN_CELL, 250)] == [None, None, None, MIN_CELL, 250]


def test_a_table_cell_below_the_threshold_is_hidden_but_an_empty_cell_shows_zero():
    assert [shown_cell(n) for n in (0, 1, MIN_CELL - 1, MIN_CELL, 250)] == [0, None, None, MIN_CELL, 250]


def test_no_dashboard_template_has_a_threshold_of_its_own():
    templates = Path(__file__).resolve().parents[2] / "portal" / "templates" / "evaluation"
    for template in templates.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.findall(r"(?:[<>]=?|&lt;|&gt;)\s*\d+|\b\d+ triages", text), template.name


def test_shares_below_ten_are_suppressed():
    assert share(3, MIN_CELL - 1) is None
    assert share(3, MIN_CELL) == pytest.approx(0.3)
    assert route_mix({"self_care": 4, "econsult": 5}) == dict.fromkeys(route_mix({}), None)
    mix = route_mix({"self_care": 6, "econsult": 4})
    assert mix["self_care"] == pytest.approx(0.6) and mix["urgent"] == 0


def test_the_confusion_matrix_counts_over_and_under_triage():
    rows = [
        ("econsult", "U5", "econsult", "U5", 20),  # agreement
        ("urgent", "U2", "appointment", "U4", 5),  # over-triage
        ("self_care", "U5", "appointment", "U3", 2),  # under-triage
        ("econsult", "U5", "appointment", "U5", 3),  # other route, same urgency: agreement on urgency
    ]
    result = confusion(rows)
    assert (result.total, result.agreement, result.over_triage, result.under_triage) == (30, 23, 5, 2)
    assert result.routes[("econsult", "appointment")] == 3
    assert result.urgencies[("U5", "U3")] == 2
    assert result.rate(result.under_triage) == pytest.approx(2 / 30)
    assert confusion([("econsult", "U5", "econsult", "U5", 4)]).rate(4) is None


def test_avoided_contacts_count_only_would_be_calls_that_needed_no_contact():
    rows = [
        ("self_care", "practice", 7),
        ("social_domain", "huisartsenpost", 2),
        ("self_care", "nothing", 9),
        ("econsult", "practice", 5),
        ("self_care", "pharmacy", 1),
    ]
    assert avoided_contacts(rows) == 9


def test_a_change_is_relative_only_to_a_big_enough_previous_period():
    assert Change(30, 20).relative == pytest.approx(0.5)
    assert Change(30, 5).relative is None and Change(30, 5).difference == 25


def test_export_rows_keep_dimensions_but_drop_small_numbers():
    rows = suppress_rows([{"tree": "keelpijn", "n": 9}, {"tree": "hoesten", "n": 10}])
    assert rows == [
        {"tree": "keelpijn", "n": None, "suppressed": True},
        {"tree": "hoesten", "n": 10, "suppressed": False},
    ]
