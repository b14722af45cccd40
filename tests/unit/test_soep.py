"""The SOEP note an assistant copies into the HIS, for a few realistic runs (portal/inbox/summary.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from portal.inbox.summary import (
    KIND_WORDS,
    PROFESSIONAL_WORDS,
    ROUTE_WORDS,
    TIMEFRAME_WORDS,
    URGENCY_WORDS,
    SoepFacts,
    age_words,
    soep,
)
from portal.triage.model import Route, Urgency
from portal.triage.rules import RuleBook
from portal.vocabulary import Professional, RequestKind, Timeframe
from tests.conftest import RULES, TODAY

SHOWN_ON = date(2026, 12, 1)


@pytest.fixture(scope="module")
def trees():
    book = RuleBook(RULES)
    book.refresh(TODAY)
    return book.trees


#: A cough of four weeks, nothing alarming: the demo's most common e-consult.
COUGH = {
    "emergency_screen": "none",
    "general_danger": ["none"],
    "who_for": "self",
    "age_band": "adult_18_64",
    "sex": "female",
    "breath_signs": ["none"],
    "today_signs": ["none"],
    "duration": "over_3_weeks",
    "risk_group": ["none"],
    "second_contact": "no",
}


def _cough(**changes) -> SoepFacts:
    facts = {
        "reference": "VD-K7M3QA",
        "kind": "econsult",
        "urgency": "U5",
        "tree_id": "hoesten",
        "version": 2,
        "outcome": "econsult_long_cough",
        "route": "econsult",
        "message": "Ik hoest al vier weken,\nvooral 's nachts.",
        "birth_date": "1980-05-17",
        "answers": COUGH,
    }
    return SoepFacts(**(facts | changes))


def test_a_cough_econsult_reads_as_a_short_note(trees):
    note = soep(_cough(), trees["hoesten"], SHOWN_ON)
    lines = note.text.splitlines()
    assert lines[0] == "S: Ik hoest al vier weken, vooral 's nachts."
    assert lines[1] == "   Vrouw, 46 jaar."
    assert "   Hoe lang hoest de persoon al? 3 weken of langer." in lines
    assert "   Geen risicogroep." in lines
    assert lines[-3] == "O: -"
    assert lines[-2].startswith("E: Voordeur-triage hoesten v2 (demo-inhoud, niet klinisch gevalideerd): uitkomst ")
    assert lines[-2].endswith("→ e-consult, U5 (advies, geen kans op schade).")
    assert lines[-1] == "P: E-consult, U5 (voorstel triage). Verzoek: e-consult VD-K7M3QA."


def test_the_alarm_signs_answered_no_are_one_line_not_every_screen(trees):
    text = soep(_cough(), trees["hoesten"], SHOWN_ON).text
    denied = [line for line in text.splitlines() if "alarmsignalen" in line.lower()]
    assert denied == [
        "   Geen alarmsignalen: ontkend bij spoedvragen, algemene gevaartekens en 2 vragen over de klacht."
    ]
    for screen_question in ("Is er nu een van deze dingen aan de hand?", "Heeft de persoon nu een of meer"):
        assert screen_question not in text


def test_a_ticked_alarm_sign_and_an_unsure_answer_are_spelled_out(trees):
    path = {k: v for k, v in COUGH.items() if k not in ("duration", "risk_group", "second_contact")}
    answers = path | {"emergency_screen": "not_sure", "today_signs": ["coughing_blood"]}
    text = soep(
        _cough(answers=answers, outcome="urgent_today", route="urgent", urgency="U3"), trees["hoesten"], SHOWN_ON
    ).text
    assert "Alarmsignaal: Hoest bloed op (meer dan een paar rode streepjes in het slijm)." in text
    assert "Is er nu een van deze dingen aan de hand? Ik weet het niet zeker." in text


def test_a_baby_is_aged_in_months_and_the_parent_is_named(trees):
    answers = {
        "emergency_screen": "none",
        "general_danger": ["none"],
        "who_for": "child",
        "age_band": "baby_3_12m",
        "sex": "male",
        "alarm_signs": ["none"],
        "today_signs": ["drinks_half"],
    }
    facts = SoepFacts(
        reference="VD-AAAAAA",
        kind="callback",
        urgency="U3",
        tree_id="koorts_kind",
        version=1,
        outcome="urgent_today",
        route="urgent",
        birth_date="2026-04-20",
        for_whom="child",
        contact_name="Jan de Vries",
        answers=answers,
    )
    lines = soep(facts, trees["koorts_kind"], SHOWN_ON).text.splitlines()
    assert lines[0] == "S: Jongen, 7 maanden; ingevuld door een ouder of verzorger (Jan de Vries)."
    assert "   Alarmsignaal: Drinkt minder dan de helft van normaal." in lines


def test_after_the_close_p_is_the_practices_decision_beside_the_triages(trees):
    closed = _cough(final_route="appointment", final_urgency="U4", closed=True)
    plan = soep(closed, trees["hoesten"], SHOWN_ON).p
    assert plan == (
        "Afspraak, U4 (niet dringend, binnen 24 uur) (besluit praktijk bij afsluiten; triage: e-consult, U5). "
        "Verzoek: e-consult VD-K7M3QA."
    )
    still_open = soep(_cough(final_route="appointment", final_urgency="U4"), trees["hoesten"], SHOWN_ON).p
    assert still_open.startswith("E-consult, U5 (voorstel triage)")


def test_an_appointment_proposal_says_when_and_with_whom(trees):
    facts = _cough(route="appointment", kind="appointment", appointment=("within_3_days", "huisarts", 10))
    assert soep(facts, trees["hoesten"], SHOWN_ON).p.startswith("Afspraak, U5; binnen 3 dagen bij de huisarts, 10 min")


def test_the_patients_later_messages_are_part_of_s(trees):
    facts = _cough(
        patient_messages=[
            (datetime(2026, 12, 1, 10, 5), "Het slijm is nu\ngroen.", 0),
            (datetime(2026, 12, 1, 11, 30), "Hier is een foto.", 1),
        ],
        photos=2,
    )
    lines = soep(facts, trees["hoesten"], SHOWN_ON).text.splitlines()
    assert "   Reactie patiënt 01-12-2026 10:05: Het slijm is nu groen." in lines
    assert "   Reactie patiënt 01-12-2026 11:30 (1 foto): Hier is een foto." in lines
    assert "   2 foto's meegestuurd (in Voordeur)." in lines


def test_answers_that_no_longer_fit_a_changed_tree_are_still_summarised(trees):
    answers = COUGH | {"old_question_removed_since": "yes"}
    lines = soep(_cough(answers=answers), trees["hoesten"], SHOWN_ON).text.splitlines()
    assert "   Hoe lang hoest de persoon al? 3 weken of langer." in lines
    assert any(line.startswith("   Geen alarmsignalen: ontkend bij spoedvragen") for line in lines)


def test_a_removed_tree_still_gives_the_question_age_outcome_and_plan():
    text = soep(_cough(), None, SHOWN_ON).text
    assert text.startswith("S: Ik hoest al vier weken")
    assert "E: Voordeur-triage hoesten v2: econsult_long_cough → e-consult, U5" in text
    assert "P: E-consult, U5" in text


@pytest.mark.parametrize(
    ("born", "words"),
    [
        ("2026-11-20", "jonger dan 1 maand"),
        ("2026-10-31", "1 maand"),
        ("2026-04-20", "7 maanden"),
        ("2025-09-01", "1 jaar en 3 maanden"),
        ("2024-12-01", "2 jaar"),
        ("1980-12-02", "45 jaar"),
        ("1980-12-01", "46 jaar"),
    ],
)
def test_the_age_is_counted_from_the_date_of_birth(born, words):
    assert age_words(born, SHOWN_ON) == words


def test_a_missing_or_future_date_of_birth_gives_no_age():
    assert age_words(None, SHOWN_ON) is None
    assert age_words("2027-01-01", SHOWN_ON) is None
    assert age_words("17-05-1980", SHOWN_ON) is None


def test_every_route_urgency_kind_timeframe_and_professional_has_record_words():
    assert set(ROUTE_WORDS) == set(Route)
    assert set(URGENCY_WORDS) == set(Urgency)
    assert set(KIND_WORDS) == {kind.value for kind in RequestKind}
    assert set(TIMEFRAME_WORDS) == {t.value for t in Timeframe}
    assert set(PROFESSIONAL_WORDS) == {p.value for p in Professional}
