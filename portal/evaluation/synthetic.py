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
import random
from bisect import bisect
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

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
    """Rows for ``triage_runs`` (column order of ``ROW_COLUMNS``).

    Fast enough for ten million rows (a few microseconds each): every path's columns are
    worked out once (``_PathRows``), each draw is one ``random()`` against cumulative weights,
    and times are written from a table of the day's minutes instead of by ``strftime``.
    """
    rng = random.Random(seed)
    tree_ids = sorted(trees)
    rows_for = {t: [_PathRows(trees[t], path) for path in sample_paths(trees[t], rng)] for t in tree_ids}
    calendar = _day_weights(end - timedelta(days=days - 1), days, tree_ids)
    day_totals = [sum(w.values()) for _d, w in calendar]
    practice_cum = list(accumulate(1.0 / (i + 1) ** 0.3 for i in range(len(practices))))
    per_day = Counter(rng.choices(range(len(calendar)), cum_weights=list(accumulate(day_totals)), k=sessions))
    random_, sequence = rng.random, 0
    # Day by day, in time order, with ids that start with a sequence number: the inserts then
    # append to the indexes instead of landing at random places (about twice as fast).
    for index in sorted(per_day):
        day, weights = calendar[index]
        tree_cum = list(accumulate(weights[t] for t in tree_ids))
        texts = _DayTexts(day)
        minutes = sorted(min(max(_minute_of_day(day, rng), 0), 24 * 60 - 5) for _ in range(per_day[index]))
        for minute in minutes:
            tree_id = tree_ids[min(bisect(tree_cum, random_() * tree_cum[-1]), len(tree_ids) - 1)]
            paths = rows_for[tree_id]
            path = paths[int(random_() * len(paths))]
            practice = practices[min(bisect(practice_cum, random_() * practice_cum[-1]), len(practices) - 1)]
            sequence += 1
            run_id = f"{sequence:010x}{rng.getrandbits(88):022x}"
            yield path.row(rng, texts, minute, practice, run_id)


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
    "returned",
)
#: Self-care triages after which the same browser came back within 14 days (``patient/returns.py``):
#: about 15 %, decided by the run id's last random byte so that no extra draw changes the other columns.
RETURNED_BELOW = 38
_HHMM = tuple(f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60))
_LOCALES = ("nl", "nl", "nl", "en")


class _DayTexts:
    """'YYYY-MM-DD HH:MM' for a minute of one day (or the next days): the generator's hottest
    string, without strftime."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.prefixes: list[str] = []

    def at(self, minute: int) -> str:
        days, minute = divmod(minute, 24 * 60)
        while len(self.prefixes) <= days:
            self.prefixes.append(f"{self.day + timedelta(days=len(self.prefixes))} ")
        return self.prefixes[days] + _HHMM[minute]


class _PathRows:
    """One sample path's routing records: the columns every run along it shares are worked out
    once; a run adds its id, practice, times and its random parts (abandoned where, decision,
    counterfactual, language)."""

    def __init__(self, tree: Tree, path: SamplePath) -> None:
        self.tree, self.path = tree, path
        outcome, answers = path.outcome, path.answers
        self.request = outcome.route in REQUEST_KIND_FOR_ROUTE
        self.self_care = outcome.route is Route.SELF_CARE
        self.counterfactuals = COUNTERFACTUAL_BY_ROUTE.get(outcome.route, DEFAULT_COUNTERFACTUAL)
        self.counterfactual_cum = list(accumulate(w for _o, w in self.counterfactuals))
        self.head = (tree.id, tree.version, tree.prelude.version)
        self.profile = (answers.get("who_for"), answers.get("age_band"), answers.get("sex"))
        self.outcome = (path.answers_json, outcome.id, outcome.id, outcome.route.value, outcome.urgency.value, 0)
        self.stops: dict[int, tuple] = {}

    def row(self, rng: random.Random, texts: _DayTexts, minute: int, practice: str, run_id: str) -> tuple:
        path, random_ = self.path, rng.random
        started = texts.at(minute)
        if random_() < 0.11 and len(path.pages) > 1:  # abandoned halfway
            stop = 1 + int(random_() * (len(path.pages) - 1))
            return (run_id, practice, *self.head, "nl", *self._stopped(stop), 0, started, started, None, 1,
                    None, None, None, self.stops[stop][-1], None, 0)  # fmt: skip
        finished_minute = minute + min(int(rng.lognormvariate(1.1, 0.6)), 60)
        finished = texts.at(finished_minute)
        final_route = final_urgency = disposition_at = counterfactual = None
        if self.request and random_() < 0.6:  # a request: an assistant decides
            final_route, final_urgency = _disposition(rng, path.outcome)
            disposition_at = texts.at(finished_minute + 60 * (1 + int(random_() * 30)))
        if random_() < 0.4:
            choice = bisect(self.counterfactual_cum, random_() * self.counterfactual_cum[-1])
            counterfactual = self.counterfactuals[min(choice, len(self.counterfactuals) - 1)][0]
        locale = _LOCALES[int(random_() * 4)]
        returned = int(self.self_care and int(run_id[-2:], 16) < RETURNED_BELOW)
        return (run_id, practice, *self.head, locale, *self.profile, *self.outcome, started, finished, finished, 0,
                final_route, final_urgency, disposition_at, path.questions, counterfactual, returned)  # fmt: skip

    def _stopped(self, stop: int) -> tuple:
        """(who_for, age_band, sex, answers, last_node, outcome_node, route, urgency) of a run
        abandoned on page ``stop``, and its number of answers last."""
        if stop not in self.stops:
            kept = _answers_before(self.path, stop)
            self.stops[stop] = (
                kept.get("who_for"),
                kept.get("age_band"),
                kept.get("sex"),
                json.dumps(kept),
                self.path.pages[stop],
                None,
                None,
                None,
                len(kept),
            )
        return self.stops[stop][:-1]


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
