"""Semantic checks: everything the JSON Schema cannot say.

Every check is a rule with an id (``RULES``, documented in
docs/authoring/triage-trees.md and cited by the hazard log and the tests):

* **integrity** (``I-…``): every reference names a node of the right kind, no
  dead ends, no loops, every node can be reached;
* **safety** (``S-…``): red flags, urgency order, 112 signs, raising, young
  babies, safety nets — the linter's controls in the hazard log;
* **policy** (``P-…``): house rules, such as fields that go together;
* **coverage** (``C-…``): cases, translations, keywords.

Only integrity holds anything back, and only what it must: the rules that follow
paths (red flags and their order, the cases) cannot run on a graph with a missing
node, a dead end or a loop, so they wait for those rules (``Rule.stops``). Every
other rule always runs and reports on its own, so a policy slip never hides a
red-flag error; and each rule reports every problem it finds, not just the first,
so an editor fixes a file in one pass.

``python -m portal.triage.checks`` prints the rule table kept in the authoring guide.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path

from .cases import CaseResult, covered_outcomes, prelude_probe_tree, run_cases
from .graph import EVERY_ARROW, STEPS, Via, edges, entries, reachable, successors
from .model import (
    AGE_BANDS,
    DONT_KNOW,
    EMERGENCY_SCREEN,
    GENERAL_DANGER,
    NONE,
    PRELUDE_QUESTIONS,
    PROFILE_QUESTIONS,
    RISK_QUESTIONS,
    ROUTE_URGENCIES,
    SEXES,
    SOMETHING_ELSE,
    WHO_FOR,
    YES_NO,
    Answer,
    Checklist,
    Outcome,
    Prelude,
    Question,
    Route,
    TextList,
    Tree,
    Urgency,
    ticked,
)
from .problems import Problem, Rule, RuleKind, Severity

#: Page ids the portal uses in URLs next to question ids.
RESERVED_PAGE_IDS = ("emergency", "profile", "risk", "uitkomst", "verzoek")
RED_FLAG_ROUTES = frozenset({Route.EMERGENCY, Route.URGENT, Route.APPOINTMENT})
PROFILE_VOCABULARY = {"who_for": WHO_FOR, "age_band": AGE_BANDS, "sex": SEXES}

TreeRule = Callable[[Tree], Iterable[Problem]]
OutcomeRule = Callable[[Tree, Outcome], Iterable[Problem]]

# --- the registry -------------------------------------------------------------

#: Every rule by id, in the order the authoring guide lists them.
RULES: dict[str, Rule] = {}


def _rule(
    rule_id: str,
    summary: str,
    severity: Severity = Severity.ERROR,
    *,
    stops: bool = False,
    follows_paths: bool = False,
) -> Rule:
    """Register a rule once; a second rule with the same id is a programming error."""
    assert rule_id not in RULES, rule_id
    RULES[rule_id] = Rule(rule_id, summary, severity, stops, follows_paths)
    return RULES[rule_id]


START_MISSING = _rule("I-start-missing", "A tree names its first question in `start`.", stops=True)
UNKNOWN_NODE = _rule(
    "I-unknown-node",
    "Every reference (`start`, `next`, `skip_to`, `raise_to`, `outside_audience`, an emergency sign's `next`, "
    "an emergency-screen answer) names a node of the file.",
    stops=True,
)
DEAD_END = _rule("I-dead-end", "Every answer of a tree question has `next`.", stops=True)
WHEN_AND_SKIP_TO = _rule(
    "I-when-and-skip-to",
    "A question with `when` has `skip_to`, where everyone else goes, and only such a question.",
    stops=True,
)
NOT_AN_OUTCOME = _rule(
    "I-not-an-outcome",
    "`raise_to`, an emergency sign and an answer of the prelude's emergency screen lead to an outcome, not a question.",
    stops=True,
)
UNREACHABLE = _rule(
    "I-unreachable",
    "Every node can be reached from `start`, `outside_audience` or an emergency sign.",
    follows_paths=True,
)
LOOP = _rule(
    "I-loop",
    "No path comes back to a question it has passed: every path ends in an outcome.",
    stops=True,
    follows_paths=True,
)
PRELUDE_QUESTION = _rule(
    "I-prelude-question",
    "The prelude defines the emergency screen, the profile questions and the risk questions; "
    "nothing else in the prelude is checked without them.",
    stops=True,
)

EMERGENCY_SCREEN_TARGET = _rule(
    "S-emergency-screen-target",
    "Every alarm answer on the emergency screen (the prelude's, and a tree's `emergency_signs`) leads straight "
    "to 112 or call-now (U1, U2).",
)
ASK_112_FIRST = _rule(
    "S-112-on-first-screen",
    "No tree question leads to 112: such a sign is one of the tree's `emergency_signs`, on the first screen.",
)
RED_FLAG_URGENT = _rule(
    "S-red-flag-urgent",
    "Every outcome a red-flag answer can end in is U1–U3 on the emergency, urgent or appointment route.",
    follows_paths=True,
)
RED_FLAG_ORDER = _rule(
    "S-red-flag-order", "On the main path, no red flag is asked after a less urgent one.", follows_paths=True
)
RED_FLAG_CASE = _rule(
    "S-red-flag-case",
    "Every red flag, each emergency sign included, has a passing case that chooses it.",
    follows_paths=True,
)
CONSERVATIVE_UNKNOWN = _rule(
    "S-conservative-unknown",
    "A `dont_know` or `something_else` answer leads nowhere less urgent than any sibling answer that is not a "
    "red flag (the least urgent outcome reachable from each target is compared).",
    follows_paths=True,
)
CHECKLIST_ORDER = _rule(
    "S-checklist-order",
    "A checklist lists its items most urgent first: an earlier item never leads somewhere less urgent than a later "
    "one, and no item leads somewhere less urgent than 'none of these'.",
    follows_paths=True,
)
SAFETY_NET_REPEATS = _rule(
    "S-safety-net-repeats",
    "A safety-net line does not repeat a sign the patient answered yes to (or ticked) on the way to that outcome "
    "(heuristic: the line shares at least half, and at least one, of the sign's key words).",
    Severity.WARNING,
    follows_paths=True,
)
GENERAL_DANGER_SIGNS = _rule(
    "S-general-danger",
    "Every tree runs after the prelude's general danger checklist (`general_danger`), which asks every general "
    "danger sign and sends each to 112 or call-now (U1, U2); a tree cannot skip or weaken it.",
)
FIRST_SCREEN_LENGTH = _rule(
    "S-first-screen-length",
    "Every label on the first screen (a tree's emergency signs, the prelude's screen) has at most 90 characters; "
    "the first screen shows at most 5 alarm answers (the tree's own first), the rest head the second screen.",
)
RAISE_REASON = _rule(
    "S-raise-reason",
    "An outcome that a raise leads to does not claim the person is at higher risk: a raise can come from "
    "'weet ik niet'; the outcome page says why it was raised.",
)
SAFETY_NET = _rule("S-safety-net", "Every outcome except 112 has a `safety_net`.")
RAISE_MORE_URGENT = _rule("S-raise-more-urgent", "`raise_to` leads to a more urgent outcome.")
BABY_SELF_CARE = _rule("S-baby-self-care", "A self-care outcome that a baby under 3 months can reach has `raise_to`.")
REVIEW_DUE = _rule("S-review-due", "The `review_due` date has not passed.", Severity.WARNING)

AUDIENCE_PAIR = _rule("P-audience-pair", "`audience` and `outside_audience` go together.")
CATCH_ALL_AUDIENCE = _rule("P-catch-all-audience", "The catch-all tree is for everyone: it has no `audience`.")
RESERVED_ID = _rule("P-reserved-id", "A tree does not use the prelude's question ids or the ids in the portal's URLs.")
DUPLICATE_ANSWER = _rule("P-duplicate-answer", "The answers of a question have different values.")
CHOICE_ESCAPE = _rule(
    "P-choice-escape",
    "A multiple-choice question is marked `exhaustive: true` or offers `something_else` or `dont_know`.",
)
YES_NO_DONT_KNOW = _rule(
    "P-yes-no-dont-know", "A yes/no question offers `dont_know` unless it is marked `patient_knows: true`."
)
ONE_THING = _rule(
    "P-one-thing",
    "A yes/no question without `dont_know` asks about one thing (heuristic: no clause joined by ', en' or ', of'); "
    "a list of signs is a checklist.",
    Severity.WARNING,
)
QUESTION_FLAGS = _rule(
    "P-question-flags",
    "`patient_knows` is only for a yes/no question without `dont_know`; `exhaustive` is only for a "
    "multiple-choice question.",
)
RAISES_URGENCY_IN_TREE = _rule(
    "P-raises-urgency-in-tree", "`raises_urgency` is for the prelude's risk questions, not for a tree."
)
SIGN_VALUE = _rule(
    "P-emergency-sign-value", "An emergency sign's value is not already an answer of the shared emergency screen."
)
SIGN_RED_FLAG = _rule("P-emergency-sign-red-flag", "An emergency sign is marked `red_flag: true`.")
SIGN_WHEN = _rule("P-emergency-sign-when", "An emergency sign has no `when`: the profile is not known yet.")
ROUTE_URGENCY = _rule("P-route-urgency", "An outcome's urgency is one its route allows (the table above).")
APPOINTMENT_DETAILS = _rule("P-appointment-details", "`appointment` goes with, and only with, the appointment route.")
SOCIAL_SERVICE = _rule("P-social-service", "`social_service` goes with, and only with, the social_domain route.")
SELF_CARE_PAGE = _rule("P-self-care-page", "`self_care_page` belongs to the self_care route.")
RAISE_ONCE = _rule("P-raise-once", "An outcome raises at most once: its `raise_to` outcome has no `raise_to`.")
SCREEN_NONE_ANSWER = _rule("P-screen-none-answer", "The emergency screen has a 'none of these' answer without `next`.")
PRELUDE_RAISE = _rule(
    "P-prelude-raise", "An outcome of the prelude has no `raise_to`: the emergency screen ends the triage at once."
)
PRELUDE_ANSWER_NEXT = _rule("P-prelude-answer-next", "Answers to the profile and risk questions have no `next`.")
PROFILE_VALUES = _rule(
    "P-profile-values", "The profile questions offer exactly the values the portal knows (who for, age band, sex)."
)

CASE_FAILS = _rule("C-case-fails", "Every case reaches the outcome, route and urgency it expects.", follows_paths=True)
OUTCOME_WITHOUT_CASE = _rule(
    "C-outcome-without-case", "Every outcome is reached by at least one passing case.", follows_paths=True
)
TRANSLATION_POINTS = _rule("C-translation-points", "`advice` and `safety_net` have as many Dutch as English points.")
KEYWORDS = _rule("C-keywords", "A tree has search keywords in Dutch and in English.", Severity.WARNING)


# --- entry points -------------------------------------------------------------


def check_tree(tree: Tree, today: date) -> list[Problem]:
    """All problems of a tree that has passed the schema.

    The rules that follow paths go in stages: references first (no path can be
    followed through a node that does not exist), then the graph's shape (a
    loop never ends), then red flags and cases. Every other rule looks at one
    node or field at a time and runs whatever else is wrong.
    """
    problems = _run(REFERENCE_RULES, tree)
    for stage in (SHAPE_RULES, PATH_RULES):
        if _stops(problems):
            break
        problems += _run(stage, tree)
    problems += _run(NODE_RULES, tree)
    problems += _outcome_problems(tree, tree.outcomes())
    problems += _review(tree.path, tree.lines.get("start", 1), tree.review_due, today)
    return sorted(problems)


def check_prelude(prelude: Prelude, today: date) -> list[Problem]:
    """The prelude: required questions, a safe emergency screen, covered outcomes."""
    problems = list(_prelude_questions(prelude))
    if problems:
        return problems
    probe = prelude_probe_tree(prelude)
    outcomes = tuple(n for n in prelude.nodes.values() if isinstance(n, Outcome))
    problems = list(_screen_outcomes(prelude))
    if not _stops(problems):
        flags = [(q.id, a) for q in _first_screens(prelude) for a in q.answers if a.next]
        problems += _case_problems(probe, outcomes, flags, prelude=True)
    problems += [
        *_screen_none_answer(prelude),
        *_screen_targets(prelude),
        *_general_danger_in_prelude(prelude),
        *_prelude_screen_labels(prelude),
        *_prelude_raises(prelude.path, outcomes),
        *_prelude_answer_next(prelude),
        *_profile_values(prelude),
    ]
    problems += _outcome_problems(probe, outcomes)
    problems += _review(prelude.path, 1, prelude.review_due, today)
    return sorted(problems)


def _stops(problems: Iterable[Problem]) -> bool:
    """Whether a problem found means the rules that follow paths cannot run (see ``Rule.stops``)."""
    return any(RULES[p.rule].stops for p in problems if p.rule)


def _run(rules: Iterable[TreeRule], tree: Tree) -> list[Problem]:
    return [problem for rule in rules for problem in rule(tree)]


def _outcome_problems(tree: Tree, outcomes: Iterable[Outcome]) -> list[Problem]:
    return [problem for outcome in outcomes for rule in OUTCOME_RULES for problem in rule(tree, outcome)]


# --- integrity: references ----------------------------------------------------


def _start_missing(tree: Tree) -> Iterator[Problem]:
    if not tree.start:
        yield START_MISSING.problem(tree.path, 1, "'start' is required: the id of the first question")


def _unknown_nodes(tree: Tree) -> Iterator[Problem]:
    """Each reference, with the line of the field that makes it."""
    path, nodes = tree.path, tree.nodes
    if tree.start and tree.start not in nodes:
        yield UNKNOWN_NODE.problem(path, tree.lines["start"], f"'start' names '{tree.start}', which is not a node")
    if tree.outside_audience and tree.outside_audience not in nodes:
        yield UNKNOWN_NODE.problem(path, tree.lines["audience"], f"'{tree.outside_audience}' is not a node")
    for question in tree.questions():
        if question.skip_to and question.skip_to not in nodes:
            yield UNKNOWN_NODE.problem(
                path, question.line, f"'{question.id}' skips to unknown node '{question.skip_to}'"
            )
        for answer in question.answers:
            if answer.next and answer.next not in nodes:
                yield UNKNOWN_NODE.problem(
                    path, answer.line, f"answer '{answer.value}' leads to unknown node '{answer.next}'"
                )
    for outcome in tree.outcomes():
        if outcome.raise_to and outcome.raise_to not in nodes:
            yield UNKNOWN_NODE.problem(
                path, outcome.line, f"'{outcome.id}' raises to unknown node '{outcome.raise_to}'"
            )
    for sign in tree.emergency_signs:
        if sign.next and sign.next not in nodes:
            yield UNKNOWN_NODE.problem(
                path, sign.line, f"emergency sign '{sign.value}' leads to unknown node '{sign.next}'"
            )


def _dead_ends(tree: Tree) -> Iterator[Problem]:
    for question in tree.questions():
        for answer in question.answers:
            if answer.next is None:
                yield DEAD_END.problem(
                    tree.path, answer.line, f"dead end: answer '{answer.value}' of '{question.id}' has no 'next'"
                )


def _when_and_skip_to(tree: Tree) -> Iterator[Problem]:
    """A question with ``when`` but no ``skip_to`` leaves everyone it is not for with nowhere to go."""
    for question in tree.questions():
        if (question.when is None) != (question.skip_to is None):
            yield WHEN_AND_SKIP_TO.problem(
                tree.path, question.line, f"'{question.id}': 'when' and 'skip_to' go together"
            )


def _outcome_targets(tree: Tree) -> Iterator[Problem]:
    """The engine shows a ``raise_to`` or emergency-sign target as the outcome: a question there breaks the walk.

    An unknown target is ``I-unknown-node``'s, so only existing questions are reported here.
    """
    for outcome in tree.outcomes():
        if isinstance(tree.nodes.get(outcome.raise_to or ""), Question):
            yield NOT_AN_OUTCOME.problem(tree.path, outcome.line, f"'{outcome.id}' must raise to an outcome")
    for sign in tree.emergency_signs:
        if isinstance(tree.nodes.get(sign.next or ""), Question):
            yield NOT_AN_OUTCOME.problem(
                tree.path, sign.line, f"emergency sign '{sign.value}' must lead straight to a U1 or U2 outcome"
            )


# --- integrity: the graph's shape ----------------------------------------------


def _unreachable(tree: Tree) -> Iterator[Problem]:
    seen = reachable(tree, entries(tree))
    for node_id in tree.nodes:
        if node_id not in seen:
            yield UNREACHABLE.problem(
                tree.path, tree.lines.get(node_id, 1), f"'{node_id}' cannot be reached from 'start'"
            )


def _loops(tree: Tree) -> Iterator[Problem]:
    """Depth-first search over the steps a patient takes; a back edge is a loop.

    Raises are left out: the engine raises once, at the end, and never raises a
    raised outcome (``S-raise-more-urgent`` and ``P-raise-once`` cover them).
    """
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(node_id: str) -> str | None:
        state[node_id] = 1
        for target in successors(tree.nodes[node_id], STEPS):
            if state.get(target) == 1:
                return node_id
            if target not in state and (found := visit(target)):
                return found
        state[node_id] = 2
        return None

    for node_id in tree.nodes:
        if node_id not in state and (looping := visit(node_id)):
            yield LOOP.problem(tree.path, tree.lines.get(looping, 1), f"'{looping}' is part of a loop")


# --- safety -------------------------------------------------------------------


def _sign_targets(tree: Tree) -> Iterator[Problem]:
    """A complaint's own alarm signs stop the triage on the first screen, so they may only lead to U1/U2."""
    for sign in tree.emergency_signs:
        where = (tree.path, sign.line)
        target = tree.nodes.get(sign.next or "")
        if sign.next is None:
            yield EMERGENCY_SCREEN_TARGET.problem(
                *where, f"emergency sign '{sign.value}' needs 'next': a 112 or call-now outcome"
            )
        elif isinstance(target, Outcome) and (target.urgency not in (Urgency.U1, Urgency.U2) or target.raise_to):
            yield EMERGENCY_SCREEN_TARGET.problem(
                *where, f"emergency sign '{sign.value}' must lead straight to a U1 or U2 outcome"
            )


def _late_112(tree: Tree) -> Iterator[Problem]:
    """A 112 sign asked after the profile page costs the patient two extra screens: ask it first."""
    for question in tree.questions():
        for edge in edges(question):
            target = tree.nodes.get(edge.target)
            if edge.answer and isinstance(target, Outcome) and target.route is Route.EMERGENCY:
                yield ASK_112_FIRST.problem(
                    tree.path,
                    edge.answer.line,
                    f"'{question.id}={edge.answer.value}' leads to 112 after the profile page: "
                    "make it one of the tree's 'emergency_signs' so it is on the first screen",
                )


def _outcomes_from(tree: Tree, node_id: str) -> list[Outcome]:
    """Every outcome reachable from a node, raise targets included, sorted by id."""
    nodes = [tree.nodes[found] for found in sorted(reachable(tree, [node_id]))]
    return [node for node in nodes if isinstance(node, Outcome)]


def _red_flag_answers(question: Question) -> Iterator[Answer]:
    """The red-flag answers of a question that lead somewhere."""
    for edge in edges(question):
        if edge.answer and edge.answer.red_flag:
            yield edge.answer


def red_flag_allows(route: Route, urgency: Urgency) -> bool:
    """Whether an outcome a red-flag answer can end in may have this route and urgency (rule S-red-flag-urgent).

    One place for the rule, so the structure forms refuse what the linter would refuse."""
    return route in RED_FLAG_ROUTES and urgency.rank <= Urgency.U3.rank


def red_flags_reaching(tree: Tree, node_id: str) -> list[tuple[Question, Answer]]:
    """The red-flag answers (with their question) from which a patient can end in ``node_id``, raises included:
    the paths rule S-red-flag-urgent follows, so a form can say which red flags hold an outcome to U1–U3."""
    return [
        (question, answer)
        for question in tree.questions()
        for answer in _red_flag_answers(question)
        if node_id in reachable(tree, [answer.next or ""])
    ]


def _red_flags(tree: Tree) -> Iterator[Problem]:
    """A red-flag answer must never end in self-care, an e-consult or the social domain."""
    for question in tree.questions():
        for answer in _red_flag_answers(question):
            for outcome in _outcomes_from(tree, answer.next or ""):
                if not red_flag_allows(outcome.route, outcome.urgency):
                    yield RED_FLAG_URGENT.problem(
                        tree.path,
                        answer.line,
                        f"red flag '{question.id}={answer.value}' can end in '{outcome.id}' "
                        f"({outcome.route}, {outcome.urgency}); red flags need U1–U3",
                    )


def _most_urgent_after(tree: Tree, node_id: str) -> Urgency:
    return min((o.urgency for o in _outcomes_from(tree, node_id)), key=lambda u: u.rank)


def _calm_step(question: Question) -> str | None:
    """Where the main path goes from a question: the first answer that is not a red flag, else ``skip_to``."""
    calm = next((e for e in edges(question) if e.via is Via.ANSWER and e.answer and not e.answer.red_flag), None)
    return calm.target if calm else question.skip_to


def _red_flag_order(tree: Tree) -> Iterator[Problem]:
    """Ask the most dangerous signs first: a U2 sign asked after a U3 sign is asked too late.

    Follows the main path (the first answer that is not a red flag) from 'start' and
    compares each red-flag question with the ones asked before it.
    """
    node_id: str | None = tree.start
    seen: set[str] = set()
    earlier: list[tuple[Question, Urgency]] = []
    while node_id and node_id not in seen and isinstance(question := tree.nodes.get(node_id), Question):
        seen.add(node_id)
        flags = list(_red_flag_answers(question))
        if flags:
            urgency = min((_most_urgent_after(tree, a.next or "") for a in flags), key=lambda u: u.rank)
            for before, before_urgency in earlier:
                if urgency.rank < before_urgency.rank:
                    yield RED_FLAG_ORDER.problem(
                        tree.path,
                        question.line,
                        f"red flag '{question.id}' ({urgency}) is asked after '{before.id}' ({before_urgency}): "
                        "ask the most urgent signs first",
                    )
                    break
            earlier.append((question, urgency))
        node_id = _calm_step(question)


def _safety_net(tree: Tree, outcome: Outcome) -> Iterator[Problem]:
    if outcome.route is not Route.EMERGENCY and outcome.safety_net is None:
        yield SAFETY_NET.problem(
            tree.path, outcome.line, f"'{outcome.id}' has no safety_net: say when to call the practice after all"
        )


def _raise_more_urgent(tree: Tree, outcome: Outcome) -> Iterator[Problem]:
    target = tree.nodes.get(outcome.raise_to or "")
    if isinstance(target, Outcome) and target.urgency.rank >= outcome.urgency.rank:
        yield RAISE_MORE_URGENT.problem(
            tree.path, outcome.line, f"'{outcome.id}' raises to '{target.id}', which is not more urgent"
        )


def _babies_allowed(tree: Tree) -> bool:
    ages = tree.audience.age_bands if tree.audience else None
    return ages is None or "baby_0_3m" in ages


def _baby_self_care(tree: Tree, outcome: Outcome) -> Iterator[Problem]:
    if outcome.route is Route.SELF_CARE and not outcome.raise_to and _babies_allowed(tree):
        yield BABY_SELF_CARE.problem(
            tree.path,
            outcome.line,
            f"'{outcome.id}': a baby under 3 months can end in self-care here; "
            "add 'raise_to' (the young-baby answer raises it) or an 'audience' without babies",
        )


def _review(path: Path, line: int, due: date, today: date) -> list[Problem]:
    if due < today:
        return [REVIEW_DUE.problem(path, line, f"review was due on {due.isoformat()}")]
    return []


# --- policy -------------------------------------------------------------------


def _audience_pair(tree: Tree) -> Iterator[Problem]:
    if (tree.audience is None) != (tree.outside_audience is None):
        yield AUDIENCE_PAIR.problem(tree.path, tree.lines["audience"], "'audience' and 'outside_audience' go together")


def _catch_all_audience(tree: Tree) -> Iterator[Problem]:
    if tree.catch_all and tree.audience is not None:
        yield CATCH_ALL_AUDIENCE.problem(
            tree.path, tree.lines["audience"], "the catch-all tree is for everyone: it cannot have an 'audience'"
        )


def _reserved_ids(tree: Tree) -> Iterator[Problem]:
    for node_id in PRELUDE_QUESTIONS:
        if node_id in tree.nodes:
            yield RESERVED_ID.problem(tree.path, tree.lines.get(node_id, 1), f"'{node_id}' is reserved for the prelude")
    for node_id in RESERVED_PAGE_IDS:
        if node_id in tree.nodes:
            yield RESERVED_ID.problem(
                tree.path, tree.lines.get(node_id, 1), f"'{node_id}' is reserved: it is part of the portal's URLs"
            )


def _duplicate_answers(tree: Tree) -> Iterator[Problem]:
    for question in tree.questions():
        values = [a.value for a in question.answers]
        for value in {v for v in values if values.count(v) > 1}:
            yield DUPLICATE_ANSWER.problem(tree.path, question.line, f"'{question.id}' has the answer '{value}' twice")


def _raises_urgency_in_tree(tree: Tree) -> Iterator[Problem]:
    for question in tree.questions():
        for answer in question.answers:
            if answer.raises_urgency:
                yield RAISES_URGENCY_IN_TREE.problem(
                    tree.path, answer.line, "'raises_urgency' belongs in the prelude, not in a tree"
                )


def _sign_fields(tree: Tree) -> Iterator[Problem]:
    """How a tree's own alarm sign is written; where it leads is ``_sign_targets``."""
    danger = tree.prelude.general_danger
    shared = {a.value for a in (*tree.prelude.emergency_screen.answers, *(danger.answers if danger else ()))}
    for sign in tree.emergency_signs:
        where = (tree.path, sign.line)
        if sign.value in shared:
            yield SIGN_VALUE.problem(
                *where, f"emergency sign '{sign.value}' is already an answer of the shared emergency screen"
            )
        if not sign.red_flag:
            yield SIGN_RED_FLAG.problem(*where, f"emergency sign '{sign.value}' must be marked red_flag: true")
        if sign.when is not None:
            yield SIGN_WHEN.problem(
                *where, f"emergency sign '{sign.value}' cannot have 'when': the profile is not known yet"
            )


def _route_urgency(tree: Tree, outcome: Outcome) -> Iterator[Problem]:
    if outcome.urgency not in ROUTE_URGENCIES[outcome.route]:
        allowed = ", ".join(sorted(ROUTE_URGENCIES[outcome.route]))
        yield ROUTE_URGENCY.problem(
            tree.path, outcome.line, f"'{outcome.id}': route {outcome.route} needs urgency {allowed}"
        )


def _route_fields(tree: Tree, outcome: Outcome) -> Iterator[Problem]:
    """Details that only one route shows, so they are wrong (and unseen) on any other."""
    where = (tree.path, outcome.line)
    if (outcome.route is Route.APPOINTMENT) != (outcome.appointment is not None):
        yield APPOINTMENT_DETAILS.problem(
            *where, f"'{outcome.id}': 'appointment' details go with, and only with, the appointment route"
        )
    if (outcome.route is Route.SOCIAL_DOMAIN) != (outcome.social_service is not None):
        yield SOCIAL_SERVICE.problem(
            *where, f"'{outcome.id}': 'social_service' goes with, and only with, the social_domain route"
        )
    if outcome.self_care_page and outcome.route is not Route.SELF_CARE:
        yield SELF_CARE_PAGE.problem(*where, f"'{outcome.id}': 'self_care_page' belongs to the self_care route")


def _raise_once(tree: Tree, outcome: Outcome) -> Iterator[Problem]:
    target = tree.nodes.get(outcome.raise_to or "")
    if isinstance(target, Outcome) and target.raise_to:
        yield RAISE_ONCE.problem(
            tree.path, outcome.line, f"'{outcome.id}' raises to '{target.id}', which raises again: raise once"
        )


# --- coverage -----------------------------------------------------------------


def _advice_points(tree: Tree) -> Iterator[Problem]:
    for outcome in tree.outcomes():
        for name in ("advice", "safety_net"):
            texts = getattr(outcome, name)
            if isinstance(texts, TextList) and len(texts.nl) != len(texts.en):
                yield TRANSLATION_POINTS.problem(
                    tree.path,
                    outcome.line,
                    f"'{outcome.id}.{name}' has {len(texts.nl)} Dutch and {len(texts.en)} English points: "
                    "translate every point",
                )


def _keywords(tree: Tree) -> Iterator[Problem]:
    for lang in ("nl", "en"):
        if not tree.keywords.get(lang):
            yield KEYWORDS.problem(tree.path, 1, f"no search keywords in '{lang}'")


def _tree_cases(tree: Tree) -> list[Problem]:
    return _case_problems(tree, tree.outcomes(), _tree_red_flags(tree))


def _tree_red_flags(tree: Tree) -> list[tuple[str, Answer]]:
    """(question id, answer) of every red flag a case must choose: the tree's emergency signs first."""
    flags = [(EMERGENCY_SCREEN, a) for a in tree.emergency_signs]
    return flags + [(q.id, a) for q in tree.questions() for a in q.answers if a.red_flag]


def _case_problems(
    tree: Tree,
    outcomes: Iterable[Outcome],
    flags: list[tuple[str, Answer]],
    *,
    prelude: bool = False,
) -> list[Problem]:
    """The three rules about cases, over one run of the cases.

    A tree's red flag counts as chosen only by a passing case. The prelude
    counts every case that names the emergency-screen answer (a failing one is
    reported by ``C-case-fails``) and names its red flags by value alone.
    """
    results = run_cases(tree)
    counted = results if prelude else [r for r in results if r.passed]
    return [
        *_failed_cases(tree.path, results),
        *_uncovered_outcomes(tree.path, outcomes, results),
        *_red_flags_without_case(tree.path, flags, counted, qualified=not prelude),
    ]


def _failed_cases(path: Path, results: list[CaseResult]) -> Iterator[Problem]:
    for result in results:
        if not result.passed:
            yield CASE_FAILS.problem(path, result.case.line, f"case '{result.case.name}': {result.problem}")


def _uncovered_outcomes(path: Path, outcomes: Iterable[Outcome], results: list[CaseResult]) -> Iterator[Problem]:
    covered = covered_outcomes(results)
    for outcome in outcomes:
        if outcome.id not in covered:
            yield OUTCOME_WITHOUT_CASE.problem(path, outcome.line, f"outcome '{outcome.id}' is not covered by any case")


def _red_flags_without_case(
    path: Path, flags: list[tuple[str, Answer]], counted: list[CaseResult], *, qualified: bool
) -> Iterator[Problem]:
    chosen = {(q, one) for r in counted for q, value in r.case.answers.items() for one in ticked(value)}
    for question_id, answer in flags:
        if (question_id, answer.value) not in chosen:
            name = f"{question_id}={answer.value}" if qualified else answer.value
            yield RED_FLAG_CASE.problem(path, answer.line, f"red flag '{name}' has no case")


# --- the prelude ----------------------------------------------------------------


def _prelude_questions(prelude: Prelude) -> Iterator[Problem]:
    for question_id in PRELUDE_QUESTIONS:
        if not isinstance(prelude.nodes.get(question_id), Question):
            yield PRELUDE_QUESTION.problem(prelude.path, 1, f"the prelude must define the question '{question_id}'")


def _first_screens(prelude: Prelude) -> tuple[Question, ...]:
    """The emergency screen and the general danger checklist: an answer with ``next`` there ends the triage."""
    danger = prelude.general_danger
    return (prelude.emergency_screen, *((danger,) if danger is not None else ()))


def _prelude_screen_labels(prelude: Prelude) -> Iterator[Problem]:
    """The shared first-screen answers are read on a small phone too (``S-first-screen-length``)."""
    for answer in prelude.emergency_screen.answers:
        for locale in ("nl", "en"):
            if len(answer.label.get(locale)) > FIRST_SCREEN_MAX_LABEL:
                yield FIRST_SCREEN_LENGTH.problem(
                    prelude.path,
                    answer.line,
                    f"emergency-screen answer '{answer.value}' ({locale}) is longer than "
                    f"{FIRST_SCREEN_MAX_LABEL} characters",
                )


def _general_danger_in_prelude(prelude: Prelude) -> Iterator[Problem]:
    """Every general danger sign is asked, as a checklist, and each one sends the patient to 112 or call-now."""
    danger = prelude.general_danger
    if not isinstance(danger, Checklist):
        yield GENERAL_DANGER_SIGNS.problem(
            prelude.path, 1, f"'{GENERAL_DANGER}' must be a checklist of the general danger signs"
        )
        return
    for value in GENERAL_DANGER_VALUES:
        answer = danger.answer(value)
        if answer is None:
            yield GENERAL_DANGER_SIGNS.problem(
                prelude.path, danger.line, f"the general danger sign '{value}' is missing from '{GENERAL_DANGER}'"
            )
            continue
        target = prelude.nodes.get(answer.next or "")
        if not isinstance(target, Outcome) or target.urgency not in (Urgency.U1, Urgency.U2) or answer.when:
            yield GENERAL_DANGER_SIGNS.problem(
                prelude.path,
                answer.line,
                f"the general danger sign '{value}' must lead to 112 or call-now, for everyone",
            )
    if danger.none.next:
        yield GENERAL_DANGER_SIGNS.problem(
            prelude.path, danger.none.line, "'none of these' on the general danger screen goes on into the tree"
        )


def _screen_outcomes(prelude: Prelude) -> Iterator[Problem]:
    """An alarm answer ends the triage at once, so it must name an outcome of the prelude."""
    for answer in (a for q in _first_screens(prelude) for a in q.answers):
        if answer.next and not isinstance(target := prelude.nodes.get(answer.next), Outcome):
            rule = UNKNOWN_NODE if target is None else NOT_AN_OUTCOME
            yield rule.problem(prelude.path, answer.line, f"'{answer.next}' is not an outcome of the prelude")


def _prelude_raises(path: Path, outcomes: Iterable[Outcome]) -> Iterator[Problem]:
    """The engine never raises an emergency-screen outcome: a ``raise_to`` there promises what never happens."""
    for outcome in outcomes:
        if outcome.raise_to:
            yield PRELUDE_RAISE.problem(
                path,
                outcome.line,
                f"'{outcome.id}' cannot have 'raise_to': the emergency screen ends the triage at once",
            )


def _screen_none_answer(prelude: Prelude) -> Iterator[Problem]:
    screen = prelude.emergency_screen
    if not any(a.next is None and a.value == NONE for a in screen.answers):
        yield SCREEN_NONE_ANSWER.problem(
            prelude.path, screen.line, "the emergency screen needs a 'none of these' answer without 'next'"
        )


def _screen_targets(prelude: Prelude) -> Iterator[Problem]:
    for answer in (a for q in _first_screens(prelude) for a in q.answers):
        target = prelude.nodes.get(answer.next or "")
        if isinstance(target, Outcome) and target.route not in (Route.EMERGENCY, Route.URGENT):
            yield EMERGENCY_SCREEN_TARGET.problem(
                prelude.path, answer.line, "an emergency-screen answer may only lead to 112 or call-now"
            )


def _prelude_answer_next(prelude: Prelude) -> Iterator[Problem]:
    for question_id in (*PROFILE_QUESTIONS, *RISK_QUESTIONS):
        for answer in prelude.question(question_id).answers:
            if answer.next:
                yield PRELUDE_ANSWER_NEXT.problem(
                    prelude.path, answer.line, f"answers to '{question_id}' cannot have 'next'"
                )


def _profile_values(prelude: Prelude) -> Iterator[Problem]:
    for question_id, allowed in PROFILE_VOCABULARY.items():
        question = prelude.question(question_id)
        if {a.value for a in question.answers} != set(allowed):
            yield PROFILE_VALUES.problem(
                prelude.path, question.line, f"'{question_id}' must offer exactly {', '.join(allowed)}"
            )


# --- question design (trees.md rules 1–5 and 9) -----------------------------------

#: Values that mean "I cannot say" or "none of the above": they must be routed conservatively.
ESCAPE_VALUES = frozenset({DONT_KNOW, SOMETHING_ELSE})


def _is_yes_no(question: Question) -> bool:
    values = {a.value for a in question.answers}
    return not isinstance(question, Checklist) and YES_NO <= values <= YES_NO | {DONT_KNOW}


def _choice_escape(tree: Tree) -> Iterator[Problem]:
    """Rule 1: a patient whose answer is not listed must not have to pick a false one."""
    for question in tree.questions():
        if isinstance(question, Checklist) or _is_yes_no(question) or question.exhaustive:
            continue
        if not ESCAPE_VALUES & {a.value for a in question.answers}:
            yield CHOICE_ESCAPE.problem(
                tree.path,
                question.line,
                f"'{question.id}' is multiple-choice: mark it 'exhaustive: true' if its answers cover every "
                "possibility, or add an answer 'something_else' or 'dont_know'",
            )


def _yes_no_dont_know(tree: Tree) -> Iterator[Problem]:
    """Rule 2: a yes/no question a patient may not know the answer to offers 'weet ik niet'."""
    for question in tree.questions():
        if _is_yes_no(question) and not question.patient_knows and question.answer(DONT_KNOW) is None:
            yield YES_NO_DONT_KNOW.problem(
                tree.path,
                question.line,
                f"yes/no question '{question.id}' has no 'dont_know': add one, or mark it 'patient_knows: true' "
                "if every patient or carer knows the answer for certain",
            )


_JOINED = re.compile(r",\s+(en|of)\s", re.IGNORECASE)


def _one_thing(tree: Tree) -> Iterator[Problem]:
    """Rule 4: "A, of B?" forces a guess on a patient who knows only one half.

    A heuristic, so a warning: a comma before "en" or "of" (outside brackets) usually starts a second
    clause, while "38 °C of hoger" or "hij of zij" has no comma. A question that offers "weet ik niet"
    lets a patient who knows only one half answer honestly, so only ``patient_knows`` questions are
    looked at: there a join forces the guess.
    """
    for question in tree.questions():
        if isinstance(question, Checklist) or not _is_yes_no(question) or question.answer(DONT_KNOW):
            continue
        if _JOINED.search(re.sub(r"\([^)]*\)", "", question.text.nl)):
            yield ONE_THING.problem(
                tree.path,
                question.line,
                f"'{question.id}' may ask two things at once ('{question.text.nl}'): ask them separately, "
                "or make the signs a checklist",
            )


def _question_flags(tree: Tree) -> Iterator[Problem]:
    """The two new fields say something only where they apply; elsewhere they would hide a missing answer."""
    for question in tree.questions():
        if isinstance(question, Checklist):
            continue
        if question.patient_knows and (not _is_yes_no(question) or question.answer(DONT_KNOW) is not None):
            yield QUESTION_FLAGS.problem(
                tree.path,
                question.line,
                f"'{question.id}': 'patient_knows' is only for a yes/no question without 'dont_know'",
            )
        if question.exhaustive and _is_yes_no(question):
            yield QUESTION_FLAGS.problem(
                tree.path,
                question.line,
                f"'{question.id}': a yes/no question is not 'exhaustive'; use 'dont_know' or 'patient_knows'",
            )


def _least_urgent(tree: Tree, node_id: str) -> Urgency | None:
    """The least urgent outcome a patient can end at from a node, raises left out (they only raise)."""
    found = [tree.nodes[n] for n in reachable(tree, [node_id], STEPS)]
    urgencies = [n.urgency for n in found if isinstance(n, Outcome)]
    return max(urgencies, key=lambda u: u.rank) if urgencies else None


def _conservative_unknown(tree: Tree) -> Iterator[Problem]:
    """Rule 3: not knowing never sends a patient somewhere calmer than a plain answer would."""
    for question in tree.questions():
        siblings = [a for a in question.answers if a.next and not a.red_flag and a.value not in ESCAPE_VALUES]
        for escape in (a for a in question.answers if a.value in ESCAPE_VALUES and a.next):
            mine = _least_urgent(tree, escape.next or "")
            for sibling in siblings:
                theirs = _least_urgent(tree, sibling.next or "")
                if mine and theirs and mine.rank > theirs.rank:
                    yield CONSERVATIVE_UNKNOWN.problem(
                        tree.path,
                        escape.line,
                        f"'{question.id}={escape.value}' can end at {mine}, less urgent than "
                        f"'{question.id}={sibling.value}' ({theirs}): route it like the most cautious answer",
                    )
                    break


def _checklist_order(tree: Tree) -> Iterator[Problem]:
    """Rule 9: the first ticked item decides, so an item listed later must not be more urgent."""
    for question in tree.questions():
        if not isinstance(question, Checklist):
            continue
        listed = [(a, _least_urgent(tree, a.next or "")) for a in question.answers if a.next]
        for index, (later, later_urgency) in enumerate(listed):
            for earlier, earlier_urgency in listed[:index]:
                if earlier_urgency and later_urgency and earlier_urgency.rank > later_urgency.rank:
                    yield CHECKLIST_ORDER.problem(
                        tree.path,
                        later.line,
                        f"checklist '{question.id}': '{later.value}' ({later_urgency}) is listed after "
                        f"'{earlier.value}' ({earlier_urgency}): list the most urgent items first",
                    )
                    break


#: Words too common to say what a sign is about (Dutch, lower case, at least 5 letters).
_COMMON_WORDS = frozenset(
    {
        "heeft",
        "hebben",
        "wordt",
        "worden",
        "persoon",
        "klacht",
        "klachten",
        "afgelopen",
        "minder",
        "meer",
        "dagen",
        "langer",
        "korter",
        "ineens",
        "steeds",
        "zijn",
        "haar",
        "welke",
        "wanneer",
        "waardoor",
        "nog",
        "niet",
        "ook",
        "even",
        "andere",
        "iemand",
        "bijvoorbeeld",
        "dingen",
        "gaat",
        "komen",
        "krijgt",
        "krijgen",
        "kunnen",
        "voelt",
    }
)


def _key_words(text: str) -> set[str]:
    """The words of a sign that say what it is: lower case, at least 5 letters, not common."""
    words = {w.strip(".,;:?!()'\"").lower() for w in text.split()}
    return {w for w in words if len(w) >= 5 and w.isalpha() and w not in _COMMON_WORDS}


def _repeats(line: str, sign: set[str]) -> bool:
    """The heuristic of S-safety-net-repeats: the line shares at least half (and one) of the sign's key words."""
    shared = sign & _key_words(line)
    return bool(sign) and len(shared) >= max(1, (len(sign) + 1) // 2)


def _signs_answered_yes(question: Question, answer: Answer) -> set[str]:
    """The key words of what a patient says they have by this answer: a 'yes', a red flag or a ticked item."""
    if isinstance(question, Checklist):
        return _key_words(answer.label.nl) if answer.value not in (NONE, DONT_KNOW) else set()
    if answer.value == "yes":
        return _key_words(question.text.nl)
    if answer.red_flag:
        return _key_words(answer.label.nl)
    return set()


def _safety_net_repeats(tree: Tree) -> Iterator[Problem]:
    """Rule 5: "does it get worse? call" reads as a mistake to someone who just said it is getting worse."""
    for question in tree.questions():
        for answer in question.answers:
            sign = _signs_answered_yes(question, answer)
            if not sign or not answer.next:
                continue
            for node_id in sorted(reachable(tree, [answer.next], EVERY_ARROW)):
                outcome = tree.nodes[node_id]
                if not isinstance(outcome, Outcome) or outcome.safety_net is None:
                    continue
                for line in outcome.safety_net.nl:
                    if _repeats(line, sign):
                        yield SAFETY_NET_REPEATS.problem(
                            tree.path,
                            outcome.line,
                            f"'{outcome.id}': safety-net line '{line}' repeats '{question.id}={answer.value}', "
                            "which the patient already answered on the way here",
                        )


# --- the first two screens ----------------------------------------------------------

FIRST_SCREEN_MAX_LABEL = 90
#: The general danger signs every prelude must ask (values), and the most urgent each may lead to.
GENERAL_DANGER_VALUES = (
    "breathless_speech",
    "pale_clammy",
    "drowsy_confused",
    "breathless_rest",
    "fainted",
    "getting_worse_fast",
    "severe_pain",
    "came_and_went",
)


def _first_screen_length(tree: Tree) -> Iterator[Problem]:
    """A 112 sign below the fold of a small phone is a sign skipped: keep every label on the first screen short.

    How many alarm answers the first screen shows is fixed by the model (``FIRST_SCREEN_ALARMS``); a long
    label would still push the last of them below the fold.
    """
    for sign in tree.emergency_signs:
        for locale in ("nl", "en"):
            if len(sign.label.get(locale)) > FIRST_SCREEN_MAX_LABEL:
                yield FIRST_SCREEN_LENGTH.problem(
                    tree.path,
                    sign.line,
                    f"emergency sign '{sign.value}' ({locale}) is longer than {FIRST_SCREEN_MAX_LABEL} characters",
                )


def _general_danger_in_tree(tree: Tree) -> Iterator[Problem]:
    """The danger screen lives in the prelude: a tree without it would skip every general danger sign."""
    if not isinstance(tree.prelude.general_danger, Checklist):
        yield GENERAL_DANGER_SIGNS.problem(
            tree.path, 1, "this tree would run without the general danger signs: the prelude needs 'general_danger'"
        )


def _raise_reason(tree: Tree) -> Iterator[Problem]:
    """'Weet ik niet' raises too, so a raised outcome must not tell the patient they are at higher risk."""
    targets = {o.raise_to for o in tree.outcomes() if o.raise_to}
    for target in (n for n in tree.outcomes() if n.id in targets):
        for line in (*target.advice.nl, *target.advice.en, target.title.nl, target.title.en):
            lowered = line.lower()
            if "meer risico" in lowered or "higher risk" in lowered:
                yield RAISE_REASON.problem(
                    tree.path,
                    target.line,
                    f"'{target.id}' is a raise_to outcome and says '{line}': a raise can come from 'weet ik niet'; "
                    "leave the reason out (the outcome page says why it was raised)",
                )
                break


# --- which rules run when -------------------------------------------------------

#: Every reference names a node of the right kind, so paths can be followed.
REFERENCE_RULES: tuple[TreeRule, ...] = (
    _start_missing,
    _unknown_nodes,
    _dead_ends,
    _when_and_skip_to,
    _outcome_targets,
)
#: The graph's shape, once the references hold: a loop stops the next stage, an unreachable node does not.
SHAPE_RULES: tuple[TreeRule, ...] = (_unreachable, _loops)
#: Rules that follow paths: they run once the two stages above found nothing that stops them.
PATH_RULES: tuple[TreeRule, ...] = (
    _red_flags,
    _red_flag_order,
    _tree_cases,
    _conservative_unknown,
    _checklist_order,
    _safety_net_repeats,
)
#: Rules that look at one node or field at a time: they always run, whatever else is wrong.
NODE_RULES: tuple[TreeRule, ...] = (
    _sign_targets,
    _late_112,
    _audience_pair,
    _catch_all_audience,
    _reserved_ids,
    _duplicate_answers,
    _raises_urgency_in_tree,
    _sign_fields,
    _advice_points,
    _keywords,
    _choice_escape,
    _yes_no_dont_know,
    _question_flags,
    _one_thing,
    _first_screen_length,
    _general_danger_in_tree,
    _raise_reason,
)
#: Rules about one outcome, for the trees and the prelude alike: they always run.
OUTCOME_RULES: tuple[OutcomeRule, ...] = (
    _safety_net,
    _raise_more_urgent,
    _baby_self_care,
    _route_urgency,
    _route_fields,
    _raise_once,
)


# --- the documentation ------------------------------------------------------------


def rules_markdown() -> str:
    """The rule table kept in docs/authoring/triage-trees.md, grouped by kind."""
    lines = ["| rule | kind | severity | stops | follows paths | what it checks |", "|---|---|---|---|---|---|"]
    for kind in RuleKind:
        lines += [_row(r) for r in RULES.values() if r.kind is kind]
    return "\n".join(lines) + "\n"


def _row(rule: Rule) -> str:
    stops, follows = ("yes" if flag else "" for flag in (rule.stops, rule.follows_paths))
    summary = rule.summary.replace("|", "\\|")
    return f"| `{rule.id}` | {rule.kind.label} | {rule.severity} | {stops} | {follows} | {summary} |"


if __name__ == "__main__":
    import sys

    sys.stdout.write(rules_markdown())
