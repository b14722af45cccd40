"""Semantic checks: everything the JSON Schema cannot say.

Each check returns every problem it finds, not just the first, so an editor
fixes a file in one pass. Patient-safety rules live here: red flags never lead
to self-care, raising urgency never lowers it, every outcome has a scenario.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from .cases import covered_outcomes, prelude_probe_tree, run_cases
from .model import (
    AGE_BANDS,
    EMERGENCY_SCREEN,
    PRELUDE_QUESTIONS,
    PROFILE_QUESTIONS,
    RISK_QUESTIONS,
    ROUTE_URGENCIES,
    SEXES,
    WHO_FOR,
    Outcome,
    Prelude,
    Question,
    Route,
    TextList,
    Tree,
    Urgency,
)
from .problems import Problem, Severity

#: Page ids the portal uses in URLs next to question ids.
RESERVED_PAGE_IDS = ("emergency", "profile", "risk", "uitkomst", "verzoek")
RED_FLAG_ROUTES = frozenset({Route.EMERGENCY, Route.URGENT, Route.APPOINTMENT})
PROFILE_VOCABULARY = {"who_for": WHO_FOR, "age_band": AGE_BANDS, "sex": SEXES}


def check_tree(tree: Tree, today: date) -> list[Problem]:
    """All problems of a tree that has passed the schema."""
    problems = list(_references(tree))
    if problems:
        # Reachability, cycles and cases would only repeat broken references.
        return problems
    problems += _reachability(tree)
    problems += _cycles(tree)
    problems += _outcome_rules(tree, tree.outcomes())
    problems += _red_flags(tree)
    problems += _red_flag_order(tree)
    problems += _texts(tree)
    problems += _case_results(tree)
    problems += _review(tree.path, tree.lines.get("start", 1), tree.review_due, today)
    return sorted(problems)


def check_prelude(prelude: Prelude, today: date) -> list[Problem]:
    """The prelude: required questions, a safe emergency screen, covered outcomes."""
    problems: list[Problem] = []
    path = prelude.path
    for question_id in PRELUDE_QUESTIONS:
        node = prelude.nodes.get(question_id)
        if not isinstance(node, Question):
            problems.append(Problem(path, 1, f"the prelude must define the question '{question_id}'"))
    if problems:
        return problems
    screen = prelude.emergency_screen
    if not any(a.next is None for a in screen.answers):
        problems.append(
            Problem(path, screen.line, "the emergency screen needs a 'none of these' answer without 'next'")
        )
    for answer in screen.answers:
        if answer.next is None:
            continue
        target = prelude.nodes.get(answer.next)
        if not isinstance(target, Outcome):
            problems.append(Problem(path, answer.line, f"'{answer.next}' is not an outcome of the prelude"))
        elif target.route not in (Route.EMERGENCY, Route.URGENT):
            problems.append(Problem(path, answer.line, "an emergency-screen answer may only lead to 112 or call-now"))
    for question_id in (*PROFILE_QUESTIONS, *RISK_QUESTIONS):
        question = prelude.question(question_id)
        for answer in question.answers:
            if answer.next:
                problems.append(Problem(path, answer.line, f"answers to '{question_id}' cannot have 'next'"))
    for question_id, allowed in PROFILE_VOCABULARY.items():
        values = {a.value for a in prelude.question(question_id).answers}
        if values != set(allowed):
            problems.append(
                Problem(
                    path,
                    prelude.question(question_id).line,
                    f"'{question_id}' must offer exactly {', '.join(allowed)}",
                )
            )
    outcomes = tuple(n for n in prelude.nodes.values() if isinstance(n, Outcome))
    problems += _outcome_rules(prelude_probe_tree(prelude), outcomes)
    probe = prelude_probe_tree(prelude)
    results = run_cases(probe)
    problems += [Problem(path, r.case.line, f"case '{r.case.name}': {r.problem}") for r in results if not r.passed]
    covered = covered_outcomes(results)
    problems += [
        Problem(path, o.line, f"outcome '{o.id}' is not covered by any case") for o in outcomes if o.id not in covered
    ]
    for answer in screen.answers:
        if answer.next and not any(c.answers.get(EMERGENCY_SCREEN) == answer.value for c in prelude.cases):
            problems.append(Problem(path, answer.line, f"red flag '{answer.value}' has no case"))
    problems += _review(path, 1, prelude.review_due, today)
    return sorted(problems)


def _references(tree: Tree) -> Iterator[Problem]:
    path = tree.path
    nodes = tree.nodes
    if not tree.start:
        yield Problem(path, 1, "'start' is required: the id of the first question")
    elif tree.start not in nodes:
        yield Problem(path, tree.lines["start"], f"'start' names '{tree.start}', which is not a node")
    if (tree.audience is None) != (tree.outside_audience is None):
        yield Problem(path, tree.lines["audience"], "'audience' and 'outside_audience' go together")
    if tree.outside_audience and tree.outside_audience not in nodes:
        yield Problem(path, tree.lines["audience"], f"'{tree.outside_audience}' is not a node")
    for question in tree.questions():
        values = [a.value for a in question.answers]
        for value in {v for v in values if values.count(v) > 1}:
            yield Problem(path, question.line, f"'{question.id}' has the answer '{value}' twice")
        if (question.when is None) != (question.skip_to is None):
            yield Problem(path, question.line, f"'{question.id}': 'when' and 'skip_to' go together")
        if question.skip_to and question.skip_to not in nodes:
            yield Problem(path, question.line, f"'{question.id}' skips to unknown node '{question.skip_to}'")
        for answer in question.answers:
            if answer.next is None:
                yield Problem(path, answer.line, f"dead end: answer '{answer.value}' of '{question.id}' has no 'next'")
            elif answer.next not in nodes:
                yield Problem(path, answer.line, f"answer '{answer.value}' leads to unknown node '{answer.next}'")
            if answer.raises_urgency:
                yield Problem(path, answer.line, "'raises_urgency' belongs in the prelude, not in a tree")
    for outcome in tree.outcomes():
        if outcome.raise_to and outcome.raise_to not in nodes:
            yield Problem(path, outcome.line, f"'{outcome.id}' raises to unknown node '{outcome.raise_to}'")
    yield from _emergency_signs(tree)
    yield from _late_112(tree)
    if tree.catch_all and tree.audience is not None:
        yield Problem(path, tree.lines["audience"], "the catch-all tree is for everyone: it cannot have an 'audience'")
    for node_id in PRELUDE_QUESTIONS:
        if node_id in nodes:
            yield Problem(path, tree.lines.get(node_id, 1), f"'{node_id}' is reserved for the prelude")
    for node_id in RESERVED_PAGE_IDS:
        if node_id in nodes:
            yield Problem(path, tree.lines.get(node_id, 1), f"'{node_id}' is reserved: it is part of the portal's URLs")


def _late_112(tree: Tree) -> Iterator[Problem]:
    """A 112 sign asked after the profile page costs the patient two extra screens: ask it first."""
    for question in tree.questions():
        for answer in question.answers:
            target = tree.nodes.get(answer.next or "")
            if isinstance(target, Outcome) and target.route is Route.EMERGENCY:
                yield Problem(
                    tree.path,
                    answer.line,
                    f"'{question.id}={answer.value}' leads to 112 after the profile page: "
                    "make it one of the tree's 'emergency_signs' so it is on the first screen",
                )


def _emergency_signs(tree: Tree) -> Iterator[Problem]:
    """A complaint's own alarm signs stop the triage on the first screen, so they may only lead to U1/U2."""
    shared = {a.value for a in tree.prelude.emergency_screen.answers}
    for sign in tree.emergency_signs:
        where = (tree.path, sign.line)
        if sign.value in shared:
            yield Problem(*where, f"emergency sign '{sign.value}' is already an answer of the shared emergency screen")
        if not sign.red_flag:
            yield Problem(*where, f"emergency sign '{sign.value}' must be marked red_flag: true")
        if sign.when is not None:
            yield Problem(*where, f"emergency sign '{sign.value}' cannot have 'when': the profile is not known yet")
        target = tree.nodes.get(sign.next or "")
        if sign.next is None:
            yield Problem(*where, f"emergency sign '{sign.value}' needs 'next': a 112 or call-now outcome")
        elif target is None:
            yield Problem(*where, f"emergency sign '{sign.value}' leads to unknown node '{sign.next}'")
        elif not isinstance(target, Outcome) or target.urgency not in (Urgency.U1, Urgency.U2) or target.raise_to:
            yield Problem(*where, f"emergency sign '{sign.value}' must lead straight to a U1 or U2 outcome")


def _edges(tree: Tree, node_id: str) -> list[str]:
    node = tree.nodes[node_id]
    if isinstance(node, Outcome):
        return [node.raise_to] if node.raise_to else []
    targets = [a.next for a in node.answers if a.next]
    return [*targets, node.skip_to] if node.skip_to else targets


def _reachability(tree: Tree) -> Iterator[Problem]:
    seen: set[str] = set()
    todo = [tree.start] + ([tree.outside_audience] if tree.outside_audience else [])
    todo += [sign.next for sign in tree.emergency_signs if sign.next]
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        todo.extend(_edges(tree, node_id))
    for node_id in tree.nodes:
        if node_id not in seen:
            yield Problem(tree.path, tree.lines.get(node_id, 1), f"'{node_id}' cannot be reached from 'start'")


def _cycles(tree: Tree) -> Iterator[Problem]:
    """Depth-first search over question edges; a back edge is a loop."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(node_id: str) -> str | None:
        state[node_id] = 1
        node = tree.nodes[node_id]
        if isinstance(node, Question):
            targets = [a.next for a in node.answers if a.next]
            targets += [node.skip_to] if node.skip_to else []
            for target in targets:
                if state.get(target) == 1:
                    return node_id
                if target not in state and (found := visit(target)):
                    return found
        state[node_id] = 2
        return None

    for node_id in tree.nodes:
        if node_id not in state and (looping := visit(node_id)):
            yield Problem(tree.path, tree.lines.get(looping, 1), f"'{looping}' is part of a loop")


def _outcome_rules(tree: Tree, outcomes: tuple[Outcome, ...]) -> Iterator[Problem]:
    path = tree.path
    for outcome in outcomes:
        where = (path, outcome.line)
        if outcome.urgency not in ROUTE_URGENCIES[outcome.route]:
            allowed = ", ".join(sorted(ROUTE_URGENCIES[outcome.route]))
            yield Problem(*where, f"'{outcome.id}': route {outcome.route} needs urgency {allowed}")
        if outcome.route is not Route.EMERGENCY and outcome.safety_net is None:
            yield Problem(*where, f"'{outcome.id}' has no safety_net: say when to call the practice after all")
        if (outcome.route is Route.APPOINTMENT) != (outcome.appointment is not None):
            yield Problem(
                *where,
                f"'{outcome.id}': 'appointment' details go with, and only with, the appointment route",
            )
        if (outcome.route is Route.SOCIAL_DOMAIN) != (outcome.social_service is not None):
            yield Problem(
                *where,
                f"'{outcome.id}': 'social_service' goes with, and only with, the social_domain route",
            )
        if outcome.route is Route.SELF_CARE and not outcome.raise_to and _babies_allowed(tree):
            yield Problem(
                *where,
                f"'{outcome.id}': a baby under 3 months can end in self-care here; "
                "add 'raise_to' (the young-baby answer raises it) or an 'audience' without babies",
            )
        if outcome.self_care_page and outcome.route is not Route.SELF_CARE:
            yield Problem(*where, f"'{outcome.id}': 'self_care_page' belongs to the self_care route")
        if outcome.raise_to:
            target = tree.nodes.get(outcome.raise_to)
            if not isinstance(target, Outcome):
                yield Problem(*where, f"'{outcome.id}' must raise to an outcome")
            elif target.urgency.rank >= outcome.urgency.rank:
                yield Problem(*where, f"'{outcome.id}' raises to '{target.id}', which is not more urgent")
            elif target.raise_to:
                yield Problem(*where, f"'{outcome.id}' raises to '{target.id}', which raises again: raise once")


def _babies_allowed(tree: Tree) -> bool:
    ages = tree.audience.age_bands if tree.audience else None
    return ages is None or "baby_0_3m" in ages


def _outcomes_from(tree: Tree, node_id: str) -> set[str]:
    """Every outcome reachable from a node (raise targets included)."""
    found: set[str] = set()
    seen: set[str] = set()
    todo = [node_id]
    while todo:
        current = todo.pop()
        if current in seen or current not in tree.nodes:
            continue
        seen.add(current)
        if isinstance(tree.nodes[current], Outcome):
            found.add(current)
        todo.extend(_edges(tree, current))
    return found


def _red_flags(tree: Tree) -> Iterator[Problem]:
    """A red-flag answer must never end in self-care, an e-consult or the social domain."""
    for question in tree.questions():
        for answer in question.answers:
            if not (answer.red_flag and answer.next):
                continue
            for outcome_id in sorted(_outcomes_from(tree, answer.next)):
                outcome = tree.nodes[outcome_id]
                assert isinstance(outcome, Outcome)
                if outcome.route not in RED_FLAG_ROUTES or outcome.urgency.rank > Urgency.U3.rank:
                    yield Problem(
                        tree.path,
                        answer.line,
                        f"red flag '{question.id}={answer.value}' can end in '{outcome_id}' "
                        f"({outcome.route}, {outcome.urgency}); red flags need U1–U3",
                    )


def _most_urgent_after(tree: Tree, node_id: str) -> Urgency:
    outcomes = [tree.nodes[o] for o in _outcomes_from(tree, node_id)]
    return min((o.urgency for o in outcomes if isinstance(o, Outcome)), key=lambda u: u.rank)


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
        flags = [a for a in question.answers if a.red_flag and a.next]
        if flags:
            urgency = min((_most_urgent_after(tree, a.next) for a in flags if a.next), key=lambda u: u.rank)
            for before, before_urgency in earlier:
                if urgency.rank < before_urgency.rank:
                    yield Problem(
                        tree.path,
                        question.line,
                        f"red flag '{question.id}' ({urgency}) is asked after '{before.id}' ({before_urgency}): "
                        "ask the most urgent signs first",
                    )
                    break
            earlier.append((question, urgency))
        calm = next((a for a in question.answers if not a.red_flag and a.next), None)
        node_id = calm.next if calm else question.skip_to


def _texts(tree: Tree) -> Iterator[Problem]:
    for outcome in tree.outcomes():
        for name in ("advice", "safety_net"):
            texts = getattr(outcome, name)
            if isinstance(texts, TextList) and len(texts.nl) != len(texts.en):
                yield Problem(
                    tree.path,
                    outcome.line,
                    f"'{outcome.id}.{name}' has {len(texts.nl)} Dutch and {len(texts.en)} English points: "
                    "translate every point",
                )
    for lang in ("nl", "en"):
        if not tree.keywords.get(lang):
            yield Problem(tree.path, 1, f"no search keywords in '{lang}'", Severity.WARNING)


def _case_results(tree: Tree) -> list[Problem]:
    results = run_cases(tree)
    problems = [Problem(tree.path, r.case.line, f"case '{r.case.name}': {r.problem}") for r in results if not r.passed]
    covered = covered_outcomes(results)
    problems += [
        Problem(tree.path, outcome.line, f"outcome '{outcome.id}' is not covered by any case")
        for outcome in tree.outcomes()
        if outcome.id not in covered
    ]
    chosen = {(question_id, value) for r in results if r.passed for question_id, value in r.case.answers.items()}
    flags = [(EMERGENCY_SCREEN, a) for a in tree.emergency_signs]
    flags += [(q.id, a) for q in tree.questions() for a in q.answers if a.red_flag]
    problems += [
        Problem(tree.path, answer.line, f"red flag '{question_id}={answer.value}' has no case")
        for question_id, answer in flags
        if (question_id, answer.value) not in chosen
    ]
    return problems


def _review(path, line: int, due: date, today: date) -> list[Problem]:  # type: ignore[no-untyped-def]
    if due < today:
        return [Problem(path, line, f"review was due on {due.isoformat()}", Severity.WARNING)]
    return []
