"""What the outcome page tells a patient to do next: the rules, without a browser or a database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from portal.patient.next_steps import (
    Action,
    Heading,
    Level,
    NextStep,
    Phone,
    asks_counterfactual,
    care_level,
    is_same_day,
    next_steps,
    offered_request,
    outcome_heading,
    urgent_call,
)
from portal.storage.practices import Practice
from portal.triage.model import AppointmentDetails, Outcome, Route, Text, TextList, Urgency
from portal.vocabulary import RequestKind

PRACTICE = Practice(
    slug="de-linde",
    name="Huisartsenpraktijk De Linde",
    phone="012 345 6701",
    municipality="Zuiderdam",
    hap_name="Huisartsenpost Zuiderdam",
    hap_phone="012 345 6799",
)
THE_PRACTICE = Phone("Huisartsenpraktijk De Linde", "012 345 6701")
THE_POST = Phone("Huisartsenpost Zuiderdam", "012 345 6799")


def outcome(route: Route, urgency: Urgency = Urgency.U5, **details) -> Outcome:
    return Outcome(
        id="done",
        route=route,
        urgency=urgency,
        title=Text("Klaar", "Done"),
        advice=TextList(("-",), ("-",)),
        **details,
    )


def appointment(timeframe: str) -> Outcome:
    return outcome(Route.APPOINTMENT, Urgency.U3, appointment=AppointmentDetails(timeframe, "huisarts", 10))


def actions(steps: tuple[NextStep, ...]) -> list[Action]:
    return [step.action for step in steps]


@pytest.mark.parametrize("open_now", [True, False])
def test_an_emergency_calls_112_whatever_the_time(open_now):
    assert next_steps(outcome(Route.EMERGENCY, Urgency.U1), PRACTICE, open_now) == (
        NextStep(Action.CALL_112, Phone("112", "112")),
    )


def test_urgent_while_the_practice_is_open_calls_the_practice_and_offers_a_call_back():
    assert next_steps(outcome(Route.URGENT, Urgency.U2), PRACTICE, open_now=True) == (
        NextStep(Action.CALL_PRACTICE, THE_PRACTICE),
        NextStep(Action.SEND_REQUEST, request_kind=RequestKind.CALLBACK),
    )


def test_urgent_while_the_practice_is_closed_calls_the_huisartsenpost_and_offers_nothing_to_send():
    assert next_steps(outcome(Route.URGENT, Urgency.U2), PRACTICE, open_now=False) == (
        NextStep(Action.CALL_HUISARTSENPOST, THE_POST),
    )


def test_the_out_of_hours_rule_names_whom_to_call():
    assert urgent_call(PRACTICE, open_now=True) == NextStep(Action.CALL_PRACTICE, THE_PRACTICE)
    assert urgent_call(PRACTICE, open_now=False) == NextStep(Action.CALL_HUISARTSENPOST, THE_POST)


@pytest.mark.parametrize("timeframe", ["today", "within_24h"])
def test_an_appointment_that_cannot_wait_names_the_huisartsenpost_while_the_practice_is_closed(timeframe):
    assert actions(next_steps(appointment(timeframe), PRACTICE, open_now=False)) == [
        Action.CALL_FOR_APPOINTMENT,
        Action.APPOINTMENT_DETAILS,
        Action.HUISARTSENPOST_IF_IT_CANNOT_WAIT,
        Action.SEND_REQUEST,
    ]
    assert next_steps(appointment(timeframe), PRACTICE, open_now=False)[2].phone == THE_POST


@pytest.mark.parametrize(
    ("timeframe", "open_now"), [("today", True), ("within_3_days", False), ("within_2_weeks", True)]
)
def test_an_appointment_that_can_wait_or_a_practice_that_is_open_needs_no_huisartsenpost(timeframe, open_now):
    steps = next_steps(appointment(timeframe), PRACTICE, open_now)
    assert actions(steps) == [Action.CALL_FOR_APPOINTMENT, Action.APPOINTMENT_DETAILS, Action.SEND_REQUEST]
    assert steps[0].phone == THE_PRACTICE
    assert steps[-1].request_kind is RequestKind.APPOINTMENT


@pytest.mark.parametrize("open_now", [True, False])
def test_an_econsult_explains_writing_and_offers_the_form_whatever_the_time(open_now):
    assert next_steps(outcome(Route.ECONSULT), PRACTICE, open_now) == (
        NextStep(Action.WRITE_YOUR_QUESTION, THE_PRACTICE),
        NextStep(Action.SEND_REQUEST, request_kind=RequestKind.ECONSULT),
    )


def test_the_social_domain_shows_the_service_and_offers_a_referral():
    assert actions(next_steps(outcome(Route.SOCIAL_DOMAIN), PRACTICE, False)) == [
        Action.SOCIAL_SERVICE,
        Action.SEND_REQUEST,
    ]
    assert next_steps(outcome(Route.SOCIAL_DOMAIN), PRACTICE, False)[-1].request_kind is RequestKind.SOCIAL


def test_self_care_links_its_page_only_when_the_page_exists():
    assert actions(next_steps(outcome(Route.SELF_CARE), PRACTICE, True, self_care_page=True)) == [
        Action.READ_SELF_CARE_PAGE
    ]
    assert next_steps(outcome(Route.SELF_CARE), PRACTICE, True, self_care_page=False) == ()


@pytest.mark.parametrize("route", [Route.URGENT, Route.APPOINTMENT, Route.ECONSULT, Route.SOCIAL_DOMAIN])
def test_a_sent_request_replaces_the_offer_to_send_one(route):
    sent = next_steps(outcome(route, Urgency.U3), PRACTICE, True, request_sent=True)
    assert sent[-1] == NextStep(Action.REQUEST_SENT)
    assert Action.SEND_REQUEST not in actions(sent)


def test_a_call_back_sent_while_open_is_still_shown_after_the_practice_closed():
    sent = next_steps(outcome(Route.URGENT, Urgency.U2), PRACTICE, open_now=False, request_sent=True)
    assert actions(sent) == [Action.CALL_HUISARTSENPOST, Action.REQUEST_SENT]


@pytest.mark.parametrize(
    ("route", "open_now", "kind"),
    [
        (Route.EMERGENCY, True, None),
        (Route.URGENT, True, RequestKind.CALLBACK),
        (Route.URGENT, False, None),
        (Route.APPOINTMENT, False, RequestKind.APPOINTMENT),
        (Route.ECONSULT, False, RequestKind.ECONSULT),
        (Route.SELF_CARE, True, None),
        (Route.SOCIAL_DOMAIN, False, RequestKind.SOCIAL),
    ],
)
def test_the_request_offered_depends_on_the_route_and_only_a_call_back_on_the_time(route, open_now, kind):
    assert offered_request(route, open_now) is kind


def test_every_route_but_112_asks_what_the_patient_would_have_done_when_there_is_time():
    assert [route for route in Route if asks_counterfactual(outcome(route))] == [
        route for route in Route if route is not Route.EMERGENCY
    ]


@pytest.mark.parametrize(
    ("route", "urgency"),
    [(Route.EMERGENCY, Urgency.U1), (Route.URGENT, Urgency.U1), (Route.URGENT, Urgency.U2)],
)
def test_a_112_or_call_now_page_asks_no_survey(route, urgency):
    assert not asks_counterfactual(outcome(route, urgency))


@pytest.mark.parametrize(
    ("route", "urgency"), [(Route.URGENT, Urgency.U3), (Route.APPOINTMENT, Urgency.U3), (Route.ECONSULT, Urgency.U4)]
)
def test_a_page_with_time_to_spare_still_asks_the_survey(route, urgency):
    assert asks_counterfactual(outcome(route, urgency))


# --- the heading: urgency and the clock ----------------------------------------------------


def appointment_at(timeframe: str, urgency: Urgency) -> Outcome:
    return outcome(Route.APPOINTMENT, urgency, appointment=AppointmentDetails(timeframe, "huisarts", 10))


@pytest.mark.parametrize(
    "same_day",
    [
        outcome(Route.URGENT, Urgency.U3),
        appointment_at("today", Urgency.U3),
        appointment_at("today", Urgency.U4),
        appointment_at("within_24h", Urgency.U4),
    ],
)
def test_an_outcome_needed_today_is_never_headed_not_urgent(same_day):
    assert is_same_day(same_day)
    assert care_level(same_day) is Level.URGENT


@pytest.mark.parametrize(
    "can_wait",
    [
        appointment_at("within_3_days", Urgency.U4),
        appointment_at("within_2_weeks", Urgency.U5),
        outcome(Route.ECONSULT, Urgency.U4),
        outcome(Route.SELF_CARE, Urgency.U5),
        outcome(Route.SOCIAL_DOMAIN, Urgency.U5),
    ],
)
def test_an_outcome_that_can_wait_a_day_is_headed_not_urgent(can_wait):
    assert not is_same_day(can_wait)
    assert care_level(can_wait) is Level.NOT_URGENT


def test_112_is_an_emergency_heading():
    assert care_level(outcome(Route.EMERGENCY, Urgency.U1)) is Level.EMERGENCY


@pytest.mark.parametrize(
    "any_outcome",
    [
        outcome(Route.EMERGENCY, Urgency.U1),
        outcome(Route.URGENT, Urgency.U2),
        outcome(Route.URGENT, Urgency.U3),
        appointment_at("today", Urgency.U3),
        appointment_at("within_2_weeks", Urgency.U5),
        outcome(Route.SELF_CARE),
    ],
)
def test_while_the_practice_is_open_the_heading_is_the_trees_own_title(any_outcome):
    assert outcome_heading(any_outcome, open_now=True) is Heading.TREE_TITLE


def test_out_of_hours_call_now_is_headed_call_the_huisartsenpost_now():
    assert outcome_heading(outcome(Route.URGENT, Urgency.U2), open_now=False) is Heading.CALL_HUISARTSENPOST_NOW


@pytest.mark.parametrize(
    "same_day",
    [outcome(Route.URGENT, Urgency.U3), appointment_at("today", Urgency.U3), appointment_at("within_24h", Urgency.U4)],
)
def test_out_of_hours_help_needed_today_is_headed_huisartsenpost_if_it_cannot_wait(same_day):
    """Not "bel vandaag, het liefst in de ochtend" above a practice that is closed."""
    assert outcome_heading(same_day, open_now=False) is Heading.HUISARTSENPOST_IF_IT_CANNOT_WAIT


@pytest.mark.parametrize(
    "unchanged",
    [outcome(Route.EMERGENCY, Urgency.U1), appointment_at("within_3_days", Urgency.U4), outcome(Route.ECONSULT)],
)
def test_out_of_hours_112_and_what_can_wait_keep_their_title(unchanged):
    assert outcome_heading(unchanged, open_now=False) is Heading.TREE_TITLE


def test_a_tel_link_dials_the_digits_only():
    assert replace(THE_PRACTICE, number="012 345 67 01").href == "tel:0123456701"
