"""What the outcome page tells a patient to do next, in order. No request, no database.

These rules used to be decided inside the outcome template, where no unit test could
reach them: the out-of-hours rule (while the practice is open the patient calls the
practice, when it is closed the huisartsenpost), when an appointment cannot wait for
the practice to open, which request a patient may send, and that a sent request
replaces the offer to send one. Here they are plain functions over an outcome, a
practice and whether it is open now; the templates only draw each step.

The same goes for the words above the steps (``outcome_heading``): whether the
heading may say "not urgent", and whether the practice being closed replaces the
tree's own title ("call the practice today") with one that names the huisartsenpost.
A patient reads the heading first and sometimes only the heading, so it must never
promise less urgency, or a different phone, than the steps below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from ..triage.model import Outcome, Route, Urgency
from ..vocabulary import REQUEST_KIND_FOR_ROUTE, RequestKind, Timeframe

if TYPE_CHECKING:
    from ..storage.practices import Practice


class Action(StrEnum):
    """One thing the outcome page asks of the patient; the template draws each its own way."""

    CALL_112 = "call_112"
    CALL_PRACTICE = "call_practice"
    CALL_HUISARTSENPOST = "call_huisartsenpost"
    CALL_FOR_APPOINTMENT = "call_for_appointment"
    APPOINTMENT_DETAILS = "appointment_details"
    HUISARTSENPOST_IF_IT_CANNOT_WAIT = "huisartsenpost_if_it_cannot_wait"
    WRITE_YOUR_QUESTION = "write_your_question"
    SOCIAL_SERVICE = "social_service"
    READ_SELF_CARE_PAGE = "read_self_care_page"
    SEND_REQUEST = "send_request"
    REQUEST_SENT = "request_sent"


@dataclass(frozen=True)
class Phone:
    """Whom to call, and the number as the patient reads it."""

    name: str
    number: str

    @property
    def href(self) -> str:
        """A ``tel:`` link: phones dial the digits, not the spaces that make them readable."""
        return "tel:" + self.number.replace(" ", "")


@dataclass(frozen=True)
class NextStep:
    action: Action
    phone: Phone | None = None  # for a step that is (or offers) a call
    request_kind: RequestKind | None = None  # for SEND_REQUEST


EMERGENCY_NUMBER = Phone("112", "112")

#: An appointment this soon cannot wait for the practice to open: outside opening hours
#: the outcome page names the huisartsenpost as well.
CANNOT_WAIT_UNTIL_OPENING = frozenset({Timeframe.TODAY, Timeframe.WITHIN_24H})


def urgent_call(practice: Practice, open_now: bool) -> NextStep:
    """The out-of-hours rule: call the practice while it is open, otherwise the huisartsenpost."""
    if open_now:
        return NextStep(Action.CALL_PRACTICE, Phone(practice.name, practice.phone))
    return NextStep(Action.CALL_HUISARTSENPOST, Phone(practice.hap_name, practice.hap_phone))


def offered_request(route: Route, open_now: bool, *, no_messages: bool = False) -> RequestKind | None:
    """The request a patient may send for this route now (None: nothing; call instead).

    A call-back is offered only while the practice is open: when it is closed nobody
    would call back, and the outcome page sends the patient to the huisartsenpost.
    An outcome marked ``no_messages`` (an unsafe home) offers nothing to send: a call
    back, a reply or a notification mail could reach the wrong person.
    """
    if no_messages:
        return None
    kind = REQUEST_KIND_FOR_ROUTE.get(route)
    if kind is RequestKind.CALLBACK and not open_now:
        return None
    return kind


def next_steps(
    outcome: Outcome,
    practice: Practice,
    open_now: bool,
    *,
    self_care_page: bool = False,
    request_sent: bool = False,
) -> tuple[NextStep, ...]:
    """The outcome page's next steps, the concrete one first.

    ``self_care_page``: the outcome's self-help page exists in the patient's language.
    ``request_sent``: a request was sent from this triage; it replaces the offer to send
    one (one triage leads to one request).
    """
    steps = _route_steps(outcome, practice, open_now, self_care_page)
    if request_sent:
        steps.append(NextStep(Action.REQUEST_SENT))
    elif (kind := offered_request(outcome.route, open_now, no_messages=outcome.no_messages)) is not None:
        steps.append(NextStep(Action.SEND_REQUEST, request_kind=kind))
    return tuple(steps)


def _route_steps(outcome: Outcome, practice: Practice, open_now: bool, self_care_page: bool) -> list[NextStep]:
    """The steps of the outcome's route, before anything to send."""
    if outcome.route is Route.EMERGENCY:
        return [NextStep(Action.CALL_112, EMERGENCY_NUMBER)]
    if outcome.route is Route.URGENT:
        return [urgent_call(practice, open_now)]
    if outcome.route is Route.APPOINTMENT:
        return _appointment_steps(outcome, practice, open_now)
    if outcome.route is Route.ECONSULT:
        return [NextStep(Action.WRITE_YOUR_QUESTION, Phone(practice.name, practice.phone))]
    if outcome.route is Route.SOCIAL_DOMAIN:
        return [NextStep(Action.SOCIAL_SERVICE)]
    if outcome.route is Route.SELF_CARE and self_care_page:
        return [NextStep(Action.READ_SELF_CARE_PAGE)]
    return []


def _appointment_steps(outcome: Outcome, practice: Practice, open_now: bool) -> list[NextStep]:
    steps = [NextStep(Action.CALL_FOR_APPOINTMENT, Phone(practice.name, practice.phone))]
    if outcome.appointment is None:  # the checks refuse such a tree; show what can be shown
        return steps
    steps.append(NextStep(Action.APPOINTMENT_DETAILS))
    if not open_now and outcome.appointment.timeframe in CANNOT_WAIT_UNTIL_OPENING:
        steps.append(NextStep(Action.HUISARTSENPOST_IF_IT_CANNOT_WAIT, Phone(practice.hap_name, practice.hap_phone)))
    return steps


#: Urgencies that need a doctor (or 112) within hours: NTS U1 to U3.
SAME_DAY_URGENCIES = frozenset({Urgency.U1, Urgency.U2, Urgency.U3})

#: Urgencies that mean "call now": 112, or the practice or huisartsenpost right away.
CALL_NOW_URGENCIES = frozenset({Urgency.U1, Urgency.U2})


def is_same_day(outcome: Outcome) -> bool:
    """U3 or more urgent, or an appointment within 24 hours: help is needed today.

    Readers saw "Niet dringend" (the screen-reader prefix of every appointment) above
    "make an appointment for today"; such a page must read as urgent.
    """
    if outcome.route in (Route.EMERGENCY, Route.URGENT) or outcome.urgency in SAME_DAY_URGENCIES:
        return True
    return outcome.appointment is not None and outcome.appointment.timeframe in CANNOT_WAIT_UNTIL_OPENING


class Level(StrEnum):
    """How urgent the outcome page looks and is read out: the care card's colour and prefix."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    NOT_URGENT = "not_urgent"


def care_level(outcome: Outcome) -> Level:
    """112 is an emergency; anything else needed today is urgent, whatever its route."""
    if outcome.route is Route.EMERGENCY:
        return Level.EMERGENCY
    return Level.URGENT if is_same_day(outcome) else Level.NOT_URGENT


class Heading(StrEnum):
    """Which words the outcome page's heading uses; the template holds the sentences."""

    TREE_TITLE = "tree_title"  # the outcome's own title, from the tree
    CALL_HUISARTSENPOST_NOW = "call_huisartsenpost_now"  # closed, and it cannot wait at all
    HUISARTSENPOST_IF_IT_CANNOT_WAIT = "huisartsenpost_if_it_cannot_wait"  # closed, needed today


def outcome_heading(outcome: Outcome, open_now: bool) -> Heading:
    """The tree's title while the practice is open; out of hours, words that name the huisartsenpost.

    A tree's title is written for opening hours ("Bel vandaag de praktijk", "Maak een
    afspraak voor vandaag"). Read at night or at the weekend it sends the patient to
    a closed practice, or lets them wait for the morning with something that cannot
    wait. 112 is the same at any hour, and what can wait a day keeps its title.
    """
    if open_now or outcome.route is Route.EMERGENCY or not is_same_day(outcome):
        return Heading.TREE_TITLE
    if outcome.route is Route.URGENT and outcome.urgency in CALL_NOW_URGENCIES:
        return Heading.CALL_HUISARTSENPOST_NOW
    return Heading.HUISARTSENPOST_IF_IT_CANNOT_WAIT


def asks_counterfactual(outcome: Outcome) -> bool:
    """Ask "what would you have done without this website?" — never someone who must call now.

    On a 112 or call-now page (U1, U2) every second counts: a survey there delays the
    call, and the answer is of no use to the evaluation (the route was not a choice).
    """
    return outcome.route is not Route.EMERGENCY and outcome.urgency not in CALL_NOW_URGENCIES
