"""Walk a tree: answers in, the next page or the outcome out.

The order is fixed here, not in the trees, because it is a safety property:

1. the emergency screen: the tree's own ``emergency_signs`` first, then the
   shared 112 signs (any alarm answer ends the triage at once; "not sure" goes on);
2. the general danger signs (a checklist in the prelude, the same for every tree:
   a ticked sign with ``next`` ends the triage at 112 or call-now);
3. the profile page (who it is for, age band, sex) unless the context knows it;
4. the complaint tree from its ``start`` (or ``outside_audience``);
5. the risk page, only when the provisional outcome can be raised (``raise_to``).

A prelude answer with ``raises_urgency`` raises the outcome (when it has
``raise_to``): a known risk (age, illness, second contact) or an honest "not
sure" / "don't know". ``Walk.raised_by`` says which, so the outcome page never
presents an unknown as a known risk.

A patient's place is computed from their answers every time, so the browser's
back button, "vorige vraag" and changing an earlier answer need no server-side
pointer. Answers must form a prefix of the path: an answer to a question that
is not on the path is an error, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .graph import successors
from .memo import per_tree
from .model import (
    DONT_KNOW,
    GENERAL_DANGER,
    NONE,
    PROFILE_QUESTIONS,
    Answer,
    AnswerValue,
    Checklist,
    Outcome,
    Profile,
    Question,
    Text,
    Tree,
    ticked,
)

#: Answer values that say "I cannot tell": they raise like a risk, but are never called a known risk.
UNSURE_VALUES = frozenset({DONT_KNOW, "not_sure"})


class TriageError(ValueError):
    """The answers do not fit the tree. The message is safe to show to a developer."""


class UnknownAnswer(TriageError):
    def __init__(self, question_id: str, value: str) -> None:
        super().__init__(f"'{value}' is not an answer to question '{question_id}'")
        self.question_id = question_id
        self.value = value


class AnswerNotOnPath(TriageError):
    def __init__(self, question_ids: list[str]) -> None:
        names = ", ".join(sorted(question_ids))
        super().__init__(f"answers given to questions that are not on the path: {names}")
        self.question_ids = question_ids


class EmptyChecklist(TriageError):
    """Nothing was ticked: the patient must tick an item or "none of these"."""

    def __init__(self, question_id: str) -> None:
        super().__init__(f"nothing ticked for checklist '{question_id}'")
        self.question_id = question_id


class NoneWithItems(TriageError):
    """ "None of these" was ticked together with an item: the answer contradicts itself."""

    def __init__(self, question_id: str) -> None:
        super().__init__(f"'none' ticked together with an item for checklist '{question_id}'")
        self.question_id = question_id


class CycleError(TriageError):
    """The tree loops. The checker reports this too; the engine refuses to spin."""


@dataclass(frozen=True)
class Page:
    """What the patient sees next: one question, or the profile/risk questions together."""

    id: str
    kind: str  # "emergency", "danger", "profile", "question" or "risk"
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Walk:
    """Everything the engine learned from the answers: the pages answered so far
    (for "vorige vraag" and progress), the profile, and the next step."""

    pages: tuple[Page, ...]
    profile: Profile
    step: Page | Outcome
    provisional: Outcome | None = None
    raised: bool = False
    asked: tuple[str, ...] = field(default=())
    #: (question id, answer value) of every prelude answer that raised the outcome.
    raised_by: tuple[tuple[str, str], ...] = field(default=())

    @property
    def finished(self) -> bool:
        return isinstance(self.step, Outcome)

    @property
    def raised_for_unknown_only(self) -> bool:
        """Raised only because the patient could not tell, not because a risk is known to apply."""
        return self.raised and all(value in UNSURE_VALUES for _, value in self.raised_by)


EMERGENCY_PAGE_ID = "emergency"
DANGER_PAGE_ID = GENERAL_DANGER  # its URL names the question, as a tree question's does
PROFILE_PAGE_ID = "profile"
RISK_PAGE_ID = "risk"


def next_step(tree: Tree, answers: Mapping[str, AnswerValue], context: Profile | None = None) -> Page | Outcome:
    """The next page to show, or the outcome when the path is complete."""
    return walk(tree, answers, context).step


WALKS_PER_TREE = 256  # answer sets remembered per tree and worker


def walk(tree: Tree, answers: Mapping[str, AnswerValue], context: Profile | None = None) -> Walk:
    """Follow the answers through prelude and tree. See the module docstring for the order.

    Each set of answers is walked by several requests (the POST that gives the
    answer, the page it leads to, the next POST), and a walk depends on nothing
    but the tree and the answers; so the last walks of each tree are kept with
    it (trees are immutable, a ``Walk`` is frozen). Answers that do not fit are
    walked, and refused, every time.
    """
    profile = context or Profile()
    try:
        key = (frozenset((q, v if isinstance(v, str) else tuple(v)) for q, v in answers.items()), profile)
        walks = per_tree(tree).setdefault("walks", {})
        found = walks.get(key)
    except TypeError:  # an unhashable answer value: nothing to remember it by
        return _Walker(tree, answers, profile).run()
    if found is None:
        found = _Walker(tree, answers, profile).run()
        if len(walks) >= WALKS_PER_TREE:
            walks.pop(next(iter(walks), None), None)
        walks[key] = found
    return found


class _Walker:
    def __init__(self, tree: Tree, answers: Mapping[str, AnswerValue], context: Profile) -> None:
        self.tree = tree
        self.prelude = tree.prelude
        self.answers = answers
        self.profile = context
        self.pages: list[Page] = []
        self.asked: list[str] = []
        self.raisers: list[tuple[str, str]] = []

    def run(self) -> Walk:
        for page in self._screens():
            question = page.questions[0]
            if question.id not in self.answers:
                return self._stop(page)
            answer = self._take(question, page)
            if answer.raises_urgency:
                self.raisers.append((question.id, answer.value))
            if answer.next:
                return self._stop(self._outcome(answer.next))

        profile_page = self._profile_page()
        if profile_page is not None:
            if any(q.id not in self.answers for q in profile_page.questions):
                return self._stop(profile_page)
            for question in profile_page.questions:
                self._take(question, profile_page, record=False)
            self.profile = Profile(
                **{q: _single(self.answers.get(q)) or self.profile.value(q) for q in PROFILE_QUESTIONS}
            )
            self.pages.append(profile_page)

        step = self._walk_tree()
        if isinstance(step, Page):
            return self._stop(step)
        return self._finish(step)

    def _screens(self) -> tuple[Page, ...]:
        """The first two screens: the emergency screen, then the general danger signs."""
        screens = [Page(EMERGENCY_PAGE_ID, "emergency", (self.tree.emergency_screen,))]
        danger = self.tree.general_danger
        if danger is not None:
            screens.append(Page(DANGER_PAGE_ID, "danger", (danger,)))
        return tuple(screens)

    def _profile_page(self) -> Page | None:
        missing = tuple(q for q in self.prelude.profile_questions if not self.profile.value(q.id))
        return Page(PROFILE_PAGE_ID, "profile", missing) if missing else None

    def _walk_tree(self) -> Page | Outcome:
        tree = self.tree
        node_id = tree.start
        if tree.audience is not None and not tree.audience.holds(self.profile):
            node_id = tree.outside_audience or tree.start
        for _ in range(len(tree.nodes) + 1):
            node = tree.node(node_id)
            if isinstance(node, Outcome):
                return node
            if node.when is not None and not node.when.holds(self.profile):
                node_id = node.skip_to or ""
                continue
            page = Page(node.id, "question", (node,))
            if node.id not in self.answers:
                return page
            answer = self._take(node, page)
            node_id = answer.next or ""
        raise CycleError(f"tree '{tree.id}' loops around '{node_id}'")

    def _finish(self, provisional: Outcome) -> Walk:
        if not provisional.raise_to:
            return self._stop(provisional)
        raisers = self.raisers + [
            (q.id, value)
            for q in self.prelude.profile_questions
            if (value := self.profile.value(q.id)) and self._answer_raises(q.id, value)
        ]
        if raisers:
            # Already raised by the first screens or the profile: the risk page cannot change it.
            self.raisers = raisers
            return self._stop(self._outcome(provisional.raise_to), provisional, raised=True)
        risk = Page(RISK_PAGE_ID, "risk", self.prelude.risk_questions)
        if any(q.id not in self.answers for q in risk.questions):
            return self._stop(risk, provisional)
        for question in risk.questions:
            self._take(question, risk, record=False)
            self.raisers += [(question.id, a.value) for a in self._ticked(question) if a.raises_urgency]
        self.pages.append(risk)
        if self.raisers:
            return self._stop(self._outcome(provisional.raise_to), provisional, raised=True)
        return self._stop(provisional, provisional)

    def _answer_raises(self, question_id: str, value: str | None) -> bool:
        answer = self.prelude.question(question_id).answer(value or "")
        return bool(answer and answer.raises_urgency)

    def _ticked(self, question: Question) -> tuple[Answer, ...]:
        """Every answer given to a question (several for a checklist), in listed order."""
        values = ticked(self.answers.get(question.id))
        return tuple(a for a in question.answers if a.value in values)

    def _take(self, question: Question, page: Page, *, record: bool = True) -> Answer:
        """The answer that decides where to go; for a checklist the first ticked item in listed order."""
        value = self.answers[question.id]
        answer = _decide(question, value, self.profile)
        self.asked.append(question.id)
        if record:
            self.pages.append(page)
        return answer

    def _outcome(self, node_id: str) -> Outcome:
        node = self.tree.node(node_id)
        assert isinstance(node, Outcome), f"'{node_id}' is not an outcome"
        return node

    def _stop(self, step: Page | Outcome, provisional: Outcome | None = None, *, raised: bool = False) -> Walk:
        stray = [q for q in self.answers if q not in self.asked and not self._on_page(q, step)]
        if stray:
            raise AnswerNotOnPath(stray)
        return Walk(
            pages=tuple(self.pages),
            profile=self.profile,
            step=step,
            provisional=provisional,
            raised=raised,
            asked=tuple(self.asked),
            raised_by=tuple(self.raisers) if raised else (),
        )

    @staticmethod
    def _on_page(question_id: str, step: Page | Outcome) -> bool:
        """Part of a multi-question page may be answered already (a failed submit)."""
        return isinstance(step, Page) and any(q.id == question_id for q in step.questions)


def _single(value: AnswerValue | None) -> str | None:
    """A single-choice answer as a string (the profile questions are single-choice)."""
    return value if isinstance(value, str) else None


def _decide(question: Question, value: AnswerValue, profile: Profile) -> Answer:
    """The answer that decides, refusing what the patient could not have sent.

    A single-choice question takes one offered value. A checklist takes a list of
    offered values (one value alone counts as a list of one): nothing ticked, or
    "none" together with an item, is refused rather than guessed at.
    """
    if not isinstance(question, Checklist):
        answer = question.answer(value) if isinstance(value, str) else None
        if answer is None or not answer.offered_to(profile):
            raise UnknownAnswer(question.id, str(value))
        return answer
    values = ticked(value)
    if not values:
        raise EmptyChecklist(question.id)
    offered = {a.value for a in question.answers_for(profile)}
    for one in values:
        if one not in offered:
            raise UnknownAnswer(question.id, one)
    if NONE in values and len(values) > 1:
        raise NoneWithItems(question.id)
    decided = question.decide(values)
    assert decided is not None  # every value is offered, so one of them is listed
    return decided


def with_answers(
    answers: Mapping[str, AnswerValue], page: Page, values: Mapping[str, AnswerValue]
) -> dict[str, AnswerValue]:
    """The answers after answering ``page`` with ``values``.

    Answers are kept in the order they were given. When an answer changes, every
    later answer is dropped, because it may no longer apply: the patient is
    asked again rather than routed on stale answers.
    """
    page_ids = {q.id for q in page.questions}
    kept: dict[str, AnswerValue] = {}
    for question_id, value in answers.items():
        if question_id in page_ids:
            break
        kept[question_id] = value
    changed = any(ticked(answers.get(q)) != ticked(v) for q, v in values.items())
    kept.update(values)
    if not changed:
        for question_id, value in answers.items():
            kept.setdefault(question_id, value)
    return kept


def progress(tree: Tree, walk_result: Walk) -> tuple[int, int]:
    """(pages done, estimated pages in total) for the progress bar.

    The estimate assumes the longest remaining route, so the bar never runs
    backwards on a patient.
    """
    done = len(walk_result.pages)
    step = walk_result.step
    if isinstance(step, Outcome):
        return done, done
    remaining = 1
    if step.kind == "emergency":
        remaining = 3 + _longest_from(tree, tree.start)
    elif step.kind == "danger":
        remaining = 2 + _longest_from(tree, tree.start)
    elif step.kind == "profile":
        remaining = 1 + _longest_from(tree, tree.start)
    elif step.kind == "question":
        remaining = _longest_from(tree, step.id)
    return done, done + remaining


def _longest_from(tree: Tree, node_id: str) -> int:
    """Computed once per tree and node: the tree is immutable, and every progress bar asks again."""
    store = per_tree(tree).setdefault("longest-path", {})
    found = store.get(node_id)
    if found is None:
        found = store[node_id] = _longest(tree, node_id, frozenset())
    return found


def _longest(tree: Tree, node_id: str, seen: frozenset[str]) -> int:
    """Pages on the longest path from ``node_id`` to an outcome, the risk page included."""
    if node_id in seen or (node_id not in tree.nodes and node_id not in tree.prelude.nodes):
        return 0
    node = tree.node(node_id)
    if isinstance(node, Outcome):
        return 1 if node.raise_to else 0
    seen = seen | {node_id}
    return 1 + max((_longest(tree, t, seen) for t in successors(node)), default=0)


def answer_labels(
    tree: Tree, walk_result: Walk, answers: Mapping[str, AnswerValue], locale: str
) -> list[tuple[str, str]]:
    """(question text, answer label) for every answered question, in order; a checklist's ticks joined."""
    rows = []
    for page in walk_result.pages:
        for question in page.questions:
            values = ticked(answers.get(question.id))
            labels = [a.label.get(locale) for a in question.answers if a.value in values]
            if labels:
                rows.append((question.text.get(locale), "; ".join(labels)))
    return rows


def raise_reasons(tree: Tree, walk_result: Walk, locale: str) -> list[str]:
    """The labels of the known risks that raised the outcome; unsure answers are left out on purpose."""
    labels = []
    for question_id, value in walk_result.raised_by:
        if value in UNSURE_VALUES:
            continue
        if question_id == "second_contact":
            labels.append(SECOND_CONTACT_REASON.get(locale))
            continue
        node = tree.prelude.nodes.get(question_id)
        answer = node.answer(value) if isinstance(node, Question) else None
        if answer is not None:
            labels.append(answer.label.get(locale))
    return labels


#: A "yes" label says nothing on its own: the reason for a raise by a second contact, in words.
SECOND_CONTACT_REASON = Text("al eerder contact over deze klacht", "an earlier contact about this complaint")
