"""Walk a tree: answers in, the next page or the outcome out.

The order is fixed here, not in the trees, because it is a safety property:

1. the shared emergency screen, with the tree's own ``emergency_signs`` added
   (any alarm answer ends the triage at once);
2. the profile page (who it is for, age band, sex) unless the context knows it;
3. the complaint tree from its ``start`` (or ``outside_audience``);
4. the risk page, only when the provisional outcome can be raised (``raise_to``).

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
    PROFILE_QUESTIONS,
    Answer,
    Outcome,
    Profile,
    Question,
    Tree,
)


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


class CycleError(TriageError):
    """The tree loops. The checker reports this too; the engine refuses to spin."""


@dataclass(frozen=True)
class Page:
    """What the patient sees next: one question, or the profile/risk questions together."""

    id: str
    kind: str  # "emergency", "profile", "question" or "risk"
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

    @property
    def finished(self) -> bool:
        return isinstance(self.step, Outcome)


EMERGENCY_PAGE_ID = "emergency"
PROFILE_PAGE_ID = "profile"
RISK_PAGE_ID = "risk"


def next_step(tree: Tree, answers: Mapping[str, str], context: Profile | None = None) -> Page | Outcome:
    """The next page to show, or the outcome when the path is complete."""
    return walk(tree, answers, context).step


WALKS_PER_TREE = 256  # answer sets remembered per tree and worker


def walk(tree: Tree, answers: Mapping[str, str], context: Profile | None = None) -> Walk:
    """Follow the answers through prelude and tree. See the module docstring for the order.

    Each set of answers is walked by several requests (the POST that gives the
    answer, the page it leads to, the next POST), and a walk depends on nothing
    but the tree and the answers; so the last walks of each tree are kept with
    it (trees are immutable, a ``Walk`` is frozen). Answers that do not fit are
    walked, and refused, every time.
    """
    profile = context or Profile()
    try:
        key = (frozenset(answers.items()), profile)
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
    def __init__(self, tree: Tree, answers: Mapping[str, str], context: Profile) -> None:
        self.tree = tree
        self.prelude = tree.prelude
        self.answers = answers
        self.profile = context
        self.pages: list[Page] = []
        self.asked: list[str] = []

    def run(self) -> Walk:
        screen = self.tree.emergency_screen
        page = Page(EMERGENCY_PAGE_ID, "emergency", (screen,))
        if screen.id not in self.answers:
            return self._stop(page)
        answer = self._take(screen, page)
        if answer.next:
            return self._stop(self._outcome(answer.next))

        profile_page = self._profile_page()
        if profile_page is not None:
            if any(q.id not in self.answers for q in profile_page.questions):
                return self._stop(profile_page)
            for question in profile_page.questions:
                self._take(question, profile_page, record=False)
            self.profile = Profile(**{q: self.answers.get(q) or self.profile.value(q) for q in PROFILE_QUESTIONS})
            self.pages.append(profile_page)

        step = self._walk_tree()
        if isinstance(step, Page):
            return self._stop(step)
        return self._finish(step)

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
        raised_by_profile = any(
            self._answer_raises(q.id, self.profile.value(q.id)) for q in self.prelude.profile_questions
        )
        if raised_by_profile:
            return self._stop(self._outcome(provisional.raise_to), provisional, raised=True)
        risk = Page(RISK_PAGE_ID, "risk", self.prelude.risk_questions)
        if any(q.id not in self.answers for q in risk.questions):
            return self._stop(risk, provisional)
        taken = [self._take(q, risk, record=False) for q in risk.questions]
        self.pages.append(risk)
        if any(a.raises_urgency for a in taken):
            return self._stop(self._outcome(provisional.raise_to), provisional, raised=True)
        return self._stop(provisional, provisional)

    def _answer_raises(self, question_id: str, value: str | None) -> bool:
        answer = self.prelude.question(question_id).answer(value or "")
        return bool(answer and answer.raises_urgency)

    def _take(self, question: Question, page: Page, *, record: bool = True) -> Answer:
        value = self.answers[question.id]
        answer = question.answer(value)
        if answer is None or not answer.offered_to(self.profile):
            raise UnknownAnswer(question.id, value)
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
        )

    @staticmethod
    def _on_page(question_id: str, step: Page | Outcome) -> bool:
        """Part of a multi-question page may be answered already (a failed submit)."""
        return isinstance(step, Page) and any(q.id == question_id for q in step.questions)


def with_answers(answers: Mapping[str, str], page: Page, values: Mapping[str, str]) -> dict[str, str]:
    """The answers after answering ``page`` with ``values``.

    Answers are kept in the order they were given. When an answer changes, every
    later answer is dropped, because it may no longer apply: the patient is
    asked again rather than routed on stale answers.
    """
    page_ids = {q.id for q in page.questions}
    kept: dict[str, str] = {}
    for question_id, value in answers.items():
        if question_id in page_ids:
            break
        kept[question_id] = value
    changed = any(answers.get(q) != v for q, v in values.items())
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


def answer_labels(tree: Tree, walk_result: Walk, answers: Mapping[str, str], locale: str) -> list[tuple[str, str]]:
    """(question text, answer label) for every answered question, in order."""
    rows = []
    for page in walk_result.pages:
        for question in page.questions:
            value = answers.get(question.id)
            answer = question.answer(value or "")
            if answer is not None:
                rows.append((question.text.get(locale), answer.label.get(locale)))
    return rows
