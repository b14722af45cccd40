"""The triage vocabulary as frozen dataclasses.

Trees are loaded once and shared by every request and every worker thread, so
everything here is immutable. Nothing in this package imports Flask or touches
a database: the engine, the checks and the cases are plain functions over
these values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import cached_property
from pathlib import Path

LOCALES = ("nl", "en")
DEFAULT_LOCALE = "nl"

#: Question ids the prelude must define; the engine asks them in this order.
EMERGENCY_SCREEN = "emergency_screen"
#: The general danger signs (NTS/MTS general discriminators), asked for every complaint
#: on the second screen: defined once in the prelude so no tree can leave them out.
GENERAL_DANGER = "general_danger"
PROFILE_QUESTIONS = ("who_for", "age_band", "sex")
RISK_QUESTIONS = ("risk_group", "second_contact")
PRELUDE_QUESTIONS = (EMERGENCY_SCREEN, GENERAL_DANGER, *PROFILE_QUESTIONS, *RISK_QUESTIONS)
#: At most this many alarm answers on the first screen (the tree's own signs first, then the shared
#: ones): measured at 375 x 667, this many fit above the fold. Shared alarm answers that do not fit
#: move to the top of the second screen (the general danger checklist), so 112 stays within 2 screens.
FIRST_SCREEN_ALARMS = 5
#: The answer value of a checklist's explicit "none of these" box.
NONE = "none"
#: Answer values for "I don't know" and "something else" (trees.md rules 1–3).
DONT_KNOW = "dont_know"
SOMETHING_ELSE = "something_else"
#: The values of a yes/no question (other than dont_know).
YES_NO = frozenset({"yes", "no"})
#: An answer as stored: one value, or the ticked values of a checklist (a list, as in JSON).
AnswerValue = str | list[str] | tuple[str, ...]


class Route(StrEnum):
    """Where a patient is sent. The order is from most to least urgent."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    APPOINTMENT = "appointment"
    ECONSULT = "econsult"
    SELF_CARE = "self_care"
    SOCIAL_DOMAIN = "social_domain"


class Urgency(StrEnum):
    """NTS-style urgency: U1 is danger to life now, U5 no chance of harm."""

    U1 = "U1"
    U2 = "U2"
    U3 = "U3"
    U4 = "U4"
    U5 = "U5"

    @property
    def rank(self) -> int:
        """1 for U1 … 5 for U5: a lower rank is more urgent."""
        return int(self.value[1])

    def at_least_as_urgent_as(self, other: Urgency) -> bool:
        return self.rank <= other.rank


#: Which urgencies each route may carry. A self-care outcome at U2 is a bug in
#: a tree, not a clinical choice, so the checker refuses it.
ROUTE_URGENCIES: Mapping[Route, frozenset[Urgency]] = {
    Route.EMERGENCY: frozenset({Urgency.U1}),
    Route.URGENT: frozenset({Urgency.U2, Urgency.U3}),
    Route.APPOINTMENT: frozenset({Urgency.U3, Urgency.U4, Urgency.U5}),
    Route.ECONSULT: frozenset({Urgency.U4, Urgency.U5}),
    Route.SELF_CARE: frozenset({Urgency.U5}),
    Route.SOCIAL_DOMAIN: frozenset({Urgency.U5}),
}

AGE_BANDS = (
    "baby_0_3m",
    "baby_3_12m",
    "child_1_4",
    "child_4_12",
    "teen_12_18",
    "adult_18_64",
    "senior_65_plus",
)
SEXES = ("female", "male", "unknown")
WHO_FOR = ("self", "child", "other")


@dataclass(frozen=True)
class Text:
    """A patient-facing string in every supported language."""

    nl: str
    en: str

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.nl


@dataclass(frozen=True)
class TextList:
    """Bullet points in every supported language, in the same order."""

    nl: tuple[str, ...]
    en: tuple[str, ...]

    def get(self, locale: str) -> tuple[str, ...]:
        return self.en if locale == "en" else self.nl


@dataclass(frozen=True)
class Profile:
    """Who the triage is for. Coarse on purpose: it is stored in the routing log."""

    who_for: str | None = None
    age_band: str | None = None
    sex: str | None = None

    def value(self, question_id: str) -> str | None:
        return getattr(self, question_id)


@dataclass(frozen=True)
class Condition:
    """Who a question, answer or tree applies to.

    An unknown sex matches every sex condition: a patient who does not tell
    must never miss a question because of it.
    """

    age_bands: frozenset[str] | None = None
    sexes: frozenset[str] | None = None

    def holds(self, profile: Profile) -> bool:
        if self.age_bands is not None and profile.age_band not in self.age_bands:
            return False
        return not (self.sexes is not None and profile.sex not in (*self.sexes, "unknown", None))


@dataclass(frozen=True)
class Answer:
    value: str
    label: Text
    next: str | None = None
    red_flag: bool = False
    raises_urgency: bool = False
    when: Condition | None = None
    line: int = 0

    def offered_to(self, profile: Profile) -> bool:
        return self.when is None or self.when.holds(profile)


@dataclass(frozen=True)
class Question:
    """A single-choice question: one answer decides where to go.

    ``exhaustive`` says the answers cover every possibility (so no "something
    else" is needed); ``patient_knows`` says every patient knows the answer to
    this yes/no question for certain (so no "I don't know" is needed).
    """

    id: str
    text: Text
    answers: tuple[Answer, ...]
    help: Text | None = None
    when: Condition | None = None
    skip_to: str | None = None
    line: int = 0
    exhaustive: bool = False
    patient_knows: bool = False

    def answer(self, value: str) -> Answer | None:
        return next((a for a in self.answers if a.value == value), None)

    def answers_for(self, profile: Profile) -> tuple[Answer, ...]:
        return tuple(a for a in self.answers if a.offered_to(profile))

    @property
    def has_red_flag(self) -> bool:
        return any(a.red_flag for a in self.answers)


@dataclass(frozen=True)
class AppointmentDetails:
    timeframe: str
    professional: str
    minutes: int


@dataclass(frozen=True)
class Outcome:
    id: str
    route: Route
    urgency: Urgency
    title: Text
    advice: TextList
    safety_net: TextList | None = None
    raise_to: str | None = None
    appointment: AppointmentDetails | None = None
    self_care_page: str | None = None
    social_service: str | None = None
    #: Nothing may be sent or mailed from this outcome (e.g. an unsafe home: a message could reach the wrong person).
    no_messages: bool = False
    line: int = 0


@dataclass(frozen=True)
class Checklist(Question):
    """A question where the patient ticks every item that applies, or the explicit "none of these".

    ``answers`` holds the items in listed order (most urgent first) and then the
    "none" answer (value ``none``), so everything that follows a question's
    answers (graph, red flags, cases) follows a checklist too. The first ticked
    item in listed order decides where to go: a patient who ticks more never
    goes somewhere the first sign alone would not send them.
    """

    @property
    def items(self) -> tuple[Answer, ...]:
        return self.answers[:-1]

    @property
    def none(self) -> Answer:
        return self.answers[-1]

    def decide(self, values: tuple[str, ...]) -> Answer | None:
        """The answer that decides for these ticked values: the first ticked in listed order."""
        return next((a for a in self.answers if a.value in values), None)


def ticked(value: AnswerValue | None) -> tuple[str, ...]:
    """A stored answer as a tuple of values: a checklist's list, or one single value."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


Node = Question | Outcome


@dataclass(frozen=True)
class Case:
    name: str
    profile: Profile
    answers: Mapping[str, AnswerValue]
    expect_outcome: str
    expect_route: Route
    expect_urgency: Urgency
    line: int = 0


@dataclass(frozen=True)
class Prelude:
    """The shared part every tree runs first: emergency screen, profile, risk.

    Keeping it in one file means a new red flag in the screen reaches every
    tree at once, and no tree can forget to ask it.
    """

    id: str
    version: int
    nodes: Mapping[str, Node]
    cases: tuple[Case, ...]
    path: Path
    review_due: date

    def question(self, question_id: str) -> Question:
        node = self.nodes[question_id]
        assert isinstance(node, Question)
        return node

    @property
    def emergency_screen(self) -> Question:
        return self.question(EMERGENCY_SCREEN)

    @property
    def general_danger(self) -> Question | None:
        """The general danger signs page; None only in an older prelude (the checker requires it)."""
        node = self.nodes.get(GENERAL_DANGER)
        return node if isinstance(node, Question) else None

    @property
    def profile_questions(self) -> tuple[Question, ...]:
        return tuple(self.question(q) for q in PROFILE_QUESTIONS)

    @property
    def risk_questions(self) -> tuple[Question, ...]:
        return tuple(self.question(q) for q in RISK_QUESTIONS)


@dataclass(frozen=True)
class Tree:
    id: str
    version: int
    title: Text
    keywords: Mapping[str, tuple[str, ...]]
    sources: tuple[str, ...]
    status: str
    reviewer: str
    reviewed_on: date
    review_due: date
    start: str
    nodes: Mapping[str, Node]
    cases: tuple[Case, ...]
    prelude: Prelude
    path: Path
    common: int | None = None
    catch_all: bool = False
    audience: Condition | None = None
    outside_audience: str | None = None
    emergency_signs: tuple[Answer, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict)

    @cached_property
    def emergency_screen(self) -> Question:
        """The shared emergency screen with this complaint's own alarm signs first.

        Complaint-specific 112 signs (a big burn, chest pain with sweating) belong on
        the first screen, at the top: a reader skimming a long list skipped a sign
        placed after the shared ones, so the sign that fits the complaint chosen
        is read first and reaches 112 in one answer.
        """
        shared = self.prelude.emergency_screen
        alarms, moved, rest = self._shared_alarms()
        if not self.emergency_signs and not moved:
            return shared
        return replace(shared, answers=(*self.emergency_signs, *alarms, *rest))

    @cached_property
    def general_danger(self) -> Question | None:
        """The general danger checklist, headed by the shared 112 signs that did not fit on the first screen."""
        danger = self.prelude.general_danger
        moved = self._shared_alarms()[1]
        if danger is None or not moved:
            return danger
        return replace(danger, answers=(*moved, *danger.answers))

    def _shared_alarms(self) -> tuple[tuple[Answer, ...], tuple[Answer, ...], tuple[Answer, ...]]:
        """(shared alarms on the first screen, shared alarms moved to the second, the answers that go on)."""
        shared = self.prelude.emergency_screen.answers
        alarms = tuple(a for a in shared if a.next)
        room = max(0, FIRST_SCREEN_ALARMS - len(self.emergency_signs))
        return alarms[:room], alarms[room:], tuple(a for a in shared if not a.next)

    def node(self, node_id: str) -> Node:
        """A node of this tree, or an outcome of the prelude (emergency screen)."""
        if node_id in self.nodes:
            return self.nodes[node_id]
        return self.prelude.nodes[node_id]

    def outcomes(self) -> tuple[Outcome, ...]:
        return tuple(n for n in self.nodes.values() if isinstance(n, Outcome))

    def questions(self) -> tuple[Question, ...]:
        return tuple(n for n in self.nodes.values() if isinstance(n, Question))
