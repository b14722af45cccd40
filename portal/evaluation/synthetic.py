"""Realistic synthetic routing data for demos and benchmarks (``voordeur demo --sessions N``).

Paths come from the real trees (random walks through the engine), so every
record is one the portal could have written. Volume follows the week (Monday
morning peak, quiet weekends) and the season (more coughs in winter); some
triages are abandoned on a real question; some get a final disposition that
mostly agrees with the triage. Deterministic for a given seed.
"""

from __future__ import annotations

import json
import math
import operator
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ..triage.engine import Page, walk
from ..triage.model import AGE_BANDS, SEXES, Outcome, Route, Tree
from ..vocabulary import REQUEST_KIND_FOR_ROUTE, Counterfactual

TREE_WEIGHTS = {"keelpijn": 1.0, "hoesten": 1.3, "buikpijn": 0.9, "hoofdpijn": 0.8, "zorgen": 0.5}
WINTER_TREES = {"hoesten": 0.8, "keelpijn": 0.4}
WEEKDAY_WEIGHTS = (1.5, 1.1, 1.0, 1.0, 0.95, 0.35, 0.3)
COUNTERFACTUAL_BY_ROUTE = {
    Route.SELF_CARE: (
        (Counterfactual.PRACTICE, 0.45),
        (Counterfactual.PHARMACY, 0.2),
        (Counterfactual.NOTHING, 0.3),
        (Counterfactual.OTHER, 0.05),
    ),
    Route.SOCIAL_DOMAIN: ((Counterfactual.PRACTICE, 0.5), (Counterfactual.NOTHING, 0.4), (Counterfactual.OTHER, 0.1)),
}
DEFAULT_COUNTERFACTUAL = (
    (Counterfactual.PRACTICE, 0.7),
    (Counterfactual.HUISARTSENPOST, 0.15),
    (Counterfactual.NOTHING, 0.1),
    (Counterfactual.OTHER, 0.05),
)


@dataclass(frozen=True)
class SamplePath:
    answers: dict[str, str]
    pages: tuple[str, ...]  # page ids in order, for abandoned triages
    outcome: Outcome
    questions: int
    answers_json: str = ""  # serialised once: a million rows share a few hundred paths


def sample_paths(tree: Tree, rng: random.Random, count: int = 120) -> list[SamplePath]:
    paths = []
    for _ in range(count):
        answers: dict[str, str] = {}
        for _step in range(60):
            result = walk(tree, answers)
            if isinstance(result.step, Outcome):
                pages = tuple(p.id for p in result.pages)
                paths.append(SamplePath(answers, pages, result.step, len(result.asked), json.dumps(answers)))
                break
            step = result.step
            assert isinstance(step, Page)
            for question in step.questions:
                options = question.answers_for(result.profile)
                if question.id in ("emergency_screen", "general_danger"):  # the first two screens: mostly "none"
                    choice = "none" if rng.random() > 0.03 else rng.choice([a.value for a in options])
                elif question.id == "age_band":
                    choice = rng.choice(AGE_BANDS[1:]) if rng.random() > 0.02 else AGE_BANDS[0]
                elif question.id == "sex":
                    choice = rng.choice(SEXES)
                else:
                    weights = [0.25 if a.red_flag else 1.0 for a in options]
                    choice = rng.choices([a.value for a in options], weights)[0]
                answers[question.id] = choice
    return paths


def _day_weights(start: date, days: int, tree_ids: Sequence[str]) -> list[tuple[date, dict[str, float]]]:
    result = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        winter = math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)
        weights = {
            t: TREE_WEIGHTS.get(t, 0.6) * (1 + WINTER_TREES.get(t, 0) * winter) * WEEKDAY_WEIGHTS[day.weekday()]
            for t in tree_ids
        }
        result.append((day, weights))
    return result


def _minute_of_day(day: date, rng: random.Random) -> int:
    if day.weekday() == 0 and rng.random() < 0.4:
        return int(rng.gauss(8.75 * 60, 40))  # Monday morning
    return int(rng.triangular(6 * 60, 23 * 60, 10 * 60))


def generate(
    trees: dict[str, Tree],
    practices: Sequence[str],
    sessions: int,
    *,
    end: date,
    days: int = 365,
    seed: int = 7,
) -> Iterator[tuple]:
    """Rows for ``triage_runs`` (column order of ``ROW_COLUMNS``)."""
    rng = random.Random(seed)
    tree_ids = sorted(trees)
    paths = {t: sample_paths(trees[t], rng) for t in tree_ids}
    calendar = _day_weights(end - timedelta(days=days - 1), days, tree_ids)
    day_totals = [sum(w.values()) for _d, w in calendar]
    practice_weights = [1.0 / (i + 1) ** 0.3 for i in range(len(practices))]
    per_day = Counter(rng.choices(range(len(calendar)), day_totals, k=sessions))
    tree_weights = [[weights[t] for t in tree_ids] for _day, weights in calendar]
    sequence = 0
    # Day by day, in time order, with ids that start with a sequence number: the inserts then
    # append to the indexes instead of landing at random places (about twice as fast).
    for index in sorted(per_day):
        day = calendar[index][0]
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        minutes = sorted(min(max(_minute_of_day(day, rng), 0), 24 * 60 - 5) for _ in range(per_day[index]))
        for minute in minutes:
            tree_id = rng.choices(tree_ids, tree_weights[index])[0]
            path = rng.choice(paths[tree_id])
            started = midnight + timedelta(minutes=minute)
            sequence += 1
            run_id = f"{sequence:010x}{rng.getrandbits(88):022x}"
            yield _row(rng, trees[tree_id], rng.choices(practices, practice_weights)[0], path, started, run_id)


ROW_COLUMNS = (
    "id",
    "practice",
    "tree_id",
    "tree_version",
    "prelude_version",
    "locale",
    "who_for",
    "age_band",
    "sex",
    "answers",
    "last_node",
    "outcome_node",
    "route",
    "urgency",
    "raised",
    "started_at",
    "last_active_at",
    "finished_at",
    "abandoned",
    "final_route",
    "final_urgency",
    "disposition_at",
    "questions",
    "counterfactual",
)
_as_tuple = operator.itemgetter(*ROW_COLUMNS)


def _minute_text(moment: datetime) -> str:
    """'YYYY-MM-DD HH:MM' without strftime, which dominated the generator's profile."""
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:{moment.minute:02d}"


def _row(rng: random.Random, tree: Tree, practice: str, path: SamplePath, started: datetime, run_id: str) -> tuple:
    """One routing record, by column name (a positional tuple of 24 fields is too easy to get wrong)."""
    start_text = _minute_text(started)
    row = dict.fromkeys(ROW_COLUMNS)
    row.update(
        id=run_id,
        practice=practice,
        tree_id=tree.id,
        tree_version=tree.version,
        prelude_version=tree.prelude.version,
        started_at=start_text,
        last_active_at=start_text,
        raised=0,
    )
    if rng.random() < 0.11 and len(path.pages) > 1:  # abandoned halfway
        stop = rng.randrange(1, len(path.pages))
        kept = _answers_before(path, stop)
        row.update(
            locale="nl",
            who_for=kept.get("who_for"),
            age_band=kept.get("age_band"),
            sex=kept.get("sex"),
            answers=json.dumps(kept),
            last_node=path.pages[stop],
            abandoned=1,
            questions=len(kept),
        )
        return _as_tuple(row)
    outcome = path.outcome
    finished_at = started + timedelta(minutes=min(int(rng.lognormvariate(1.1, 0.6)), 60))
    finished = _minute_text(finished_at)
    if outcome.route in REQUEST_KIND_FOR_ROUTE and rng.random() < 0.6:  # a request: an assistant decides
        row["final_route"], row["final_urgency"] = _disposition(rng, outcome)
        row["disposition_at"] = _minute_text(finished_at + timedelta(hours=rng.randint(1, 30)))
    if rng.random() < 0.4:
        options = COUNTERFACTUAL_BY_ROUTE.get(outcome.route, DEFAULT_COUNTERFACTUAL)
        row["counterfactual"] = rng.choices([o for o, _w in options], [w for _o, w in options])[0]
    answers = path.answers
    row.update(
        locale=rng.choice(("nl", "nl", "nl", "en")),
        who_for=answers.get("who_for"),
        age_band=answers.get("age_band"),
        sex=answers.get("sex"),
        answers=path.answers_json,
        last_node=outcome.id,
        outcome_node=outcome.id,
        route=outcome.route.value,
        urgency=outcome.urgency.value,
        last_active_at=finished,
        finished_at=finished,
        abandoned=0,
        questions=path.questions,
    )
    return _as_tuple(row)


def _answers_before(path: SamplePath, stop: int) -> dict[str, str]:
    from ..triage.model import PROFILE_QUESTIONS

    kept: dict[str, str] = {}
    page_questions = {"emergency": ("emergency_screen",), "profile": PROFILE_QUESTIONS}
    for page_id in path.pages[:stop]:
        for question_id in page_questions.get(page_id, (page_id,)):
            if question_id in path.answers:
                kept[question_id] = path.answers[question_id]
    return kept


def _disposition(rng: random.Random, outcome: Outcome) -> tuple[str, str]:
    rank = outcome.urgency.rank
    roll = rng.random()
    if roll < 0.78:
        return outcome.route.value, outcome.urgency.value
    if roll < 0.92 and rank < 5:  # over-triage: less urgent in the end
        return (Route.ECONSULT if rank >= 3 else Route.APPOINTMENT), f"U{rank + 1}"
    if rank > 2:  # under-triage
        return (Route.APPOINTMENT if rank > 3 else Route.URGENT), f"U{rank - 1}"
    return outcome.route.value, outcome.urgency.value
