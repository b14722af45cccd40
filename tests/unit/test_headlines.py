"""The headline figures against numbers worked out by hand, including the small-number rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.evaluation import headlines as h
from portal.evaluation.stats import MIN_CELL


def test_without_visit_counts_self_care_social_domain_and_econsult_out_of_all_finished():
    figure = h.without_visit(
        {"emergency": 2, "urgent": 8, "appointment": 30, "econsult": 20, "self_care": 30, "social_domain": 10}
    )
    assert (figure.part, figure.whole) == (60, 100)
    assert figure.value == pytest.approx(0.60)
    assert figure.status is h.Status.SHOWN


def test_a_figure_on_fewer_than_min_cell_is_hidden_and_zero_is_no_data():
    assert h.without_visit({"self_care": MIN_CELL - 1}).status is h.Status.SUPPRESSED
    assert h.without_visit({"self_care": MIN_CELL - 1}).value is None
    assert h.without_visit({}).status is h.Status.NO_DATA
    assert h.without_visit({}).value is None
    assert h.without_visit({"self_care": MIN_CELL}).value == 1.0


def test_econsults_waiting_and_not_yet_due_are_left_out():
    due = datetime(2026, 3, 3, 17, tzinfo=UTC)
    now = datetime(2026, 3, 3, 12, tzinfo=UTC)
    assert h.econsult_state(due, datetime(2026, 3, 3, 16, tzinfo=UTC), now) is h.EconsultState.ON_TIME
    assert h.econsult_state(due, due, now) is h.EconsultState.ON_TIME
    assert h.econsult_state(due, datetime(2026, 3, 4, 9, tzinfo=UTC), now) is h.EconsultState.LATE
    assert h.econsult_state(due, None, now) is h.EconsultState.WAITING
    assert h.econsult_state(due, None, datetime(2026, 3, 4, 9, tzinfo=UTC)) is h.EconsultState.LATE
    figure = h.econsult_on_time(on_time=18, late=6)
    assert figure.value == pytest.approx(0.75) and figure.whole == 24


def test_contacts_avoided_counts_would_have_called_with_an_outcome_without_practice_contact():
    rows = [
        ("self_care", "practice", 12),  # avoided
        ("social_domain", "huisartsenpost", 3),  # avoided
        ("econsult", "practice", 5),  # an e-consult is a practice contact: not avoided
        ("self_care", "pharmacy", 4),  # would not have called: not avoided
        ("self_care", "nothing", 6),
        ("appointment", None, 70),  # did not answer: not in the denominator
    ]
    figure = h.contacts_avoided(rows, finished=300)
    assert (figure.part, figure.whole) == (15, 30)
    assert figure.value == pytest.approx(0.5)
    assert figure.estimate == 150  # half of the 300 finished triages


def test_contacts_avoided_hides_the_estimate_with_too_few_answers():
    figure = h.contacts_avoided([("self_care", "practice", 3)], finished=500)
    assert figure.status is h.Status.SUPPRESSED and figure.estimate is None


def test_selfhelp_helped_is_the_share_of_helped_answers():
    assert h.selfhelp_helped(helped=33, answered=44).value == pytest.approx(0.75)
    assert h.selfhelp_helped(helped=3, answered=4).status is h.Status.SUPPRESSED
    assert h.selfhelp_helped(0, 0).status is h.Status.NO_DATA


def test_selfhelp_held_is_the_share_of_self_care_triages_not_returned():
    # 40 self-care triages at least 14 days old, 6 of them marked returned: 34 held, 85 %.
    figure = h.selfhelp_held(self_care=40, returned=6)
    assert (figure.part, figure.whole) == (34, 40)
    assert figure.value == pytest.approx(0.85)
    assert figure.status is h.Status.SHOWN


def test_selfhelp_held_hides_small_numbers_and_says_when_nothing_is_countable_yet():
    # 9 self-care triages, none returned: a share of 100 % over fewer than MIN_CELL is still hidden.
    assert h.selfhelp_held(self_care=MIN_CELL - 1, returned=0).status is h.Status.SUPPRESSED
    assert h.selfhelp_held(self_care=MIN_CELL - 1, returned=0).value is None
    assert h.selfhelp_held(self_care=MIN_CELL, returned=MIN_CELL).value == 0
    assert h.selfhelp_held(0, 0).status is h.Status.NO_DATA
    not_yet = h.selfhelp_held(0, 0, countable=False)
    assert not_yet.status is h.Status.NOT_YET and not_yet.value is None
    # Not yet countable is never compared with an earlier period.
    assert h.change(not_yet, h.selfhelp_held(40, 6)).direction is None


def test_change_is_in_percentage_points_with_a_direction_in_words():
    now, before = h.Figure(60, 100), h.Figure(50, 100)
    assert h.change(now, before).difference == pytest.approx(0.10)
    assert h.change(now, before).direction is h.Direction.UP
    assert h.change(before, now).direction is h.Direction.DOWN
    assert h.change(h.Figure(502, 1000), h.Figure(50, 100)).direction is h.Direction.UNCHANGED
    assert h.change(now, h.Figure(5, 9)).difference is None  # the earlier one is hidden
    assert h.change(now, h.Figure(0, 0)).direction is None  # no earlier data


def test_the_comparison_periods():
    assert h.previous_period(date(2026, 3, 1), date(2026, 3, 31)) == (date(2026, 1, 29), date(2026, 2, 28))
    assert h.same_period_last_year(date(2026, 3, 1), date(2026, 3, 31)) == (date(2025, 3, 1), date(2025, 3, 31))
    assert h.same_period_last_year(date(2028, 2, 1), date(2028, 2, 29)) == (date(2027, 2, 1), date(2027, 2, 28))
