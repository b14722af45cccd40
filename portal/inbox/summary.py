"""What the inbox says about a request, computed from what is stored: a list row, and the SOEP note.

Pure (no Flask, no database): the view passes in the stored request's facts, the
tree and today's date. The age comes from the date of birth on the day it is
shown, never from the coarse age band of the triage; the question is cut to its
first line so a row stays one line on a laptop.

The SOEP note is what an assistant copies into the HIS (the GP's record system).
It is always in Dutch, whatever the language of the staff member's screen or of
the patient's triage: the record is Dutch, and GPs read it in these words.
S is the patient's story in words (the question, the answers that matter, the
alarm signs that were asked and denied in one line, not every screen); E the
triage's outcome and urgency in words; P the route chosen — the practice's final
decision once the request is closed, the triage's proposal before that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from ..triage.engine import TriageError, raise_reasons, walk
from ..triage.model import (
    EMERGENCY_SCREEN,
    GENERAL_DANGER,
    NONE,
    PROFILE_QUESTIONS,
    RISK_QUESTIONS,
    AnswerValue,
    Outcome,
    Question,
    Route,
    Tree,
    Urgency,
    ticked,
)

FIRST_LINE_CHARACTERS = 90
_DATE_FORMATS = (
    re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})$"),  # 17-05-1980, as Dutch people write it
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),  # 1980-05-17
)


def age_on(birth_date: str | None, today: date) -> int | None:
    """Whole years on ``today``; None for a missing, unreadable or future date (a typo of the patient)."""
    months = age_in_months(birth_date, today)
    return None if months is None else months // 12


def age_in_months(birth_date: str | None, today: date) -> int | None:
    """Whole months on ``today``; None for a missing, unreadable or future date."""
    if not birth_date:
        return None
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        return None
    months = (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)
    return months if months >= 0 else None


def sex_word(sex: str | None, age: int | None) -> str | None:
    """'woman' / 'man' / 'girl' / 'boy' (a key the view translates), or None when not told."""
    if sex not in ("female", "male"):
        return None
    child = age is not None and age < 18
    return {"female": "girl" if child else "woman", "male": "boy" if child else "man"}[sex]


def first_line(message: str | None, limit: int = FIRST_LINE_CHARACTERS) -> str:
    """The first non-empty line of the patient's question, cut at a word with an ellipsis."""
    line = next((part.strip() for part in (message or "").splitlines() if part.strip()), "")
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0] or line[:limit]
    return cut.rstrip(" ,.;:") + "…"


def search_date(text: str) -> str | None:
    """A date of birth typed in the search box (17-05-1980, 17/5/1980, 1980-05-17) as ISO, else None."""
    for pattern in _DATE_FORMATS:
        match = pattern.match(text.strip())
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"])).isoformat()
            except ValueError:
                return None
    return None


# --- the SOEP note for the HIS ----------------------------------------------------------------

#: The route in the words of a Dutch GP record.
ROUTE_WORDS: Mapping[Route, str] = {
    Route.EMERGENCY: "112 (ambulance)",
    Route.URGENT: "bellen met praktijk of huisartsenpost",
    Route.APPOINTMENT: "afspraak",
    Route.ECONSULT: "e-consult",
    Route.SELF_CARE: "zelfzorgadvies",
    Route.SOCIAL_DOMAIN: "sociaal domein",
}
#: What each NTS urgency means, in the record's words.
URGENCY_WORDS: Mapping[Urgency, str] = {
    Urgency.U1: "levensbedreigend",
    Urgency.U2: "spoed, binnen een uur",
    Urgency.U3: "dringend, binnen enkele uren",
    Urgency.U4: "niet dringend, binnen 24 uur",
    Urgency.U5: "advies, geen kans op schade",
}
KIND_WORDS: Mapping[str, str] = {
    "econsult": "e-consult",
    "appointment": "afspraakverzoek",
    "social": "verwijzing sociaal domein",
    "callback": "terugbelverzoek",
}
TIMEFRAME_WORDS: Mapping[str, str] = {
    "today": "vandaag",
    "within_24h": "vandaag of morgen",
    "within_3_days": "binnen 3 dagen",
    "within_2_weeks": "binnen 2 weken",
}
PROFESSIONAL_WORDS: Mapping[str, str] = {
    "huisarts": "huisarts",
    "poh_somatiek": "POH-somatiek",
    "poh_ggz": "POH-GGZ",
    "assistent": "doktersassistent",
}
_SEX_WORDS = {"woman": "Vrouw", "man": "Man", "girl": "Meisje", "boy": "Jongen"}
_FILLED_IN_BY = {"child": "een ouder of verzorger", "other": "iemand anders"}
#: Where the denied alarm questions were asked, for the one summary line.
_SCREENS = {"emergency": "spoedvragen", "danger": "algemene gevaartekens"}
_DENIED = frozenset({NONE, "no"})


@dataclass(frozen=True)
class SoepFacts:
    """What the note is made of, as stored with the request (the answers frozen when it was sent)."""

    reference: str
    kind: str
    urgency: str
    tree_id: str | None = None
    version: int | None = None
    outcome: str | None = None
    route: str | None = None
    message: str | None = None
    birth_date: str | None = None
    for_whom: str | None = None
    contact_name: str | None = None
    answers: Mapping[str, AnswerValue] = field(default_factory=dict)
    appointment: tuple[str, str, int] | None = None  # (timeframe, professional, minutes)
    #: The practice's final route and urgency, once the request is closed.
    final_route: str | None = None
    final_urgency: str | None = None
    closed: bool = False
    #: The patient's later messages (local time, text, number of photos with it), oldest first.
    patient_messages: Sequence[tuple[datetime, str, int]] = ()
    #: Photos sent with the request itself (they stay in Voordeur: the note only says they exist).
    photos: int = 0


@dataclass(frozen=True)
class Soep:
    s: tuple[str, ...]
    o: str
    e: str
    p: str

    @property
    def text(self) -> str:
        """The note as it is pasted into the HIS: one line per part, S continued on indented lines."""
        lines = [f"S: {self.s[0] if self.s else '-'}", *(f"   {line}" for line in self.s[1:])]
        return "\n".join([*lines, f"O: {self.o}", f"E: {self.e}", f"P: {self.p}"])


def age_words(birth_date: str | None, today: date) -> str | None:
    """ "46 jaar"; a baby in months ("7 maanden", "1 jaar en 3 maanden" under 2), as a GP writes it."""
    months = age_in_months(birth_date, today)
    if months is None:
        return None
    if months == 0:
        return "jonger dan 1 maand"
    if months < 12:
        return f"{months} {'maand' if months == 1 else 'maanden'}"
    if months < 24 and months % 12:
        rest = months % 12
        return f"1 jaar en {rest} {'maand' if rest == 1 else 'maanden'}"
    return f"{months // 12} jaar"


def _who(facts: SoepFacts, today: date) -> str | None:
    """ "Vrouw, 46 jaar", and who filled it in when it was not the patient."""
    age = age_words(facts.birth_date, today)
    sex = sex_word(str(facts.answers.get("sex") or ""), age_on(facts.birth_date, today))
    parts = [part for part in (_SEX_WORDS.get(sex or ""), age) if part]
    who = ", ".join(parts)
    if who and not _SEX_WORDS.get(sex or ""):
        who = who[0].upper() + who[1:]
    helper = _FILLED_IN_BY.get(facts.for_whom or "self")
    if helper:
        named = f" ({facts.contact_name})" if facts.contact_name else ""
        who = f"{who}; ingevuld door {helper}{named}" if who else f"Ingevuld door {helper}{named}"
    return f"{who}." if who else None


def _labels(question: Question, values: tuple[str, ...]) -> list[str]:
    return [a.label.nl for a in question.answers if a.value in values]


def _answer_lines(tree: Tree, answers: Mapping[str, AnswerValue]) -> list[str]:
    """The answers that matter, in the order asked; the denied alarm questions in one line."""
    try:
        result = walk(tree, answers)
    except TriageError:  # the tree changed since the request was sent: the answers as stored
        return _question_lines(_asked_as_stored(tree, answers), answers)
    lines = _question_lines([(page.kind, q) for page in result.pages for q in page.questions], answers)
    if result.raised and isinstance(result.step, Outcome):
        reasons = raise_reasons(tree, result, "nl")
        if reasons:
            lines.append("Urgentie verhoogd om: " + "; ".join(reasons) + ".")
    return lines


def _asked_as_stored(tree: Tree, answers: Mapping[str, AnswerValue]) -> list[tuple[str, Question]]:
    """(page kind, question) for each stored answer whose question the tree still has, in stored order."""
    asked = []
    for question_id in answers:
        if question_id == EMERGENCY_SCREEN:
            asked.append(("emergency", tree.emergency_screen))
        elif question_id == GENERAL_DANGER and tree.general_danger is not None:
            asked.append(("danger", tree.general_danger))
        else:
            node = tree.nodes.get(question_id) or tree.prelude.nodes.get(question_id)
            if isinstance(node, Question):
                asked.append(("profile" if question_id in PROFILE_QUESTIONS else "question", node))
    return asked


def _question_lines(asked: Sequence[tuple[str, Question]], answers: Mapping[str, AnswerValue]) -> list[str]:
    lines: list[str] = []
    denied: list[str] = []
    for kind, question in asked:
        values = ticked(answers.get(question.id))
        if kind == "profile" or not values:
            continue  # age and sex come from the date of birth and the answer, in one line
        if question.id in RISK_QUESTIONS:
            lines.extend(_risk_line(question, values))
        elif question.has_red_flag and set(values) <= _DENIED:
            denied.append(kind)
        else:
            flagged = [a.label.nl for a in question.answers if a.value in values and a.red_flag]
            if flagged:
                lines.append("Alarmsignaal: " + "; ".join(flagged) + ".")
            else:
                lines.append(f"{question.text.nl} {'; '.join(_labels(question, values))}.")
    return [_denied_line(denied), *lines] if denied else lines


def _risk_line(question: Question, values: tuple[str, ...]) -> list[str]:
    """The risk questions in a few words: a known risk matters, and so does its absence."""
    if question.id == "second_contact":
        return ["Al eerder contact over deze klacht (afgelopen 2 weken)."] if "yes" in values else []
    if set(values) <= _DENIED:
        return ["Geen risicogroep."]
    return ["Risicogroep: " + "; ".join(_labels(question, values)) + "."]


def _denied_line(kinds: list[str]) -> str:
    """One line for every alarm question answered "no" / "none of these", whatever screen asked it."""
    parts = [_SCREENS[kind] for kind in dict.fromkeys(kinds) if kind in _SCREENS]
    complaint = sum(1 for kind in kinds if kind not in _SCREENS)
    if complaint:
        parts.append(f"{complaint} {'vraag' if complaint == 1 else 'vragen'} over de klacht")
    where = ", ".join(parts[:-1]) + " en " + parts[-1] if len(parts) > 1 else parts[0]
    return f"Geen alarmsignalen: ontkend bij {where}."


def _route_and_urgency(route: str | None, urgency: str | None, *, meaning: bool = True) -> str:
    """ "e-consult, U5 (advies, geen kans op schade)"; without ``meaning`` just "e-consult, U5"."""
    words = ROUTE_WORDS.get(Route(route)) if route in set(Route) else route
    explained = URGENCY_WORDS.get(Urgency(urgency)) if meaning and urgency in set(Urgency) else None
    level = f"{urgency} ({explained})" if explained else (urgency or "")
    return ", ".join(part for part in (words, level) if part)


def soep(facts: SoepFacts, tree: Tree | None, today: date) -> Soep:
    """The SOEP note for this request. ``tree`` is the live tree (None when it was removed since)."""
    s: list[str] = []
    if facts.message:
        s.append(" ".join(facts.message.split()))
    who = _who(facts, today)
    if who:
        s.append(who)
    if facts.photos:
        s.append(f"{_photo_words(facts.photos)} meegestuurd (in Voordeur).")
    if tree is not None:
        s.extend(_answer_lines(tree, facts.answers))
    for at, text, photos in facts.patient_messages:
        with_photos = f" ({_photo_words(photos)})" if photos else ""
        s.append(f"Reactie patiënt {at.strftime('%d-%m-%Y %H:%M')}{with_photos}: {' '.join(text.split())}")
    return Soep(s=tuple(s), o="-", e=_assessment(facts, tree), p=_plan(facts))


def _assessment(facts: SoepFacts, tree: Tree | None) -> str:
    version = f" v{facts.version}" if facts.version is not None else ""
    demo = " (demo-inhoud, niet klinisch gevalideerd)" if tree is not None and tree.status.startswith("demo") else ""
    title = None
    if tree is not None and facts.outcome:
        try:
            node = tree.node(facts.outcome)
        except KeyError:
            node = None
        title = node.title.nl if isinstance(node, Outcome) else None
    outcome = f'uitkomst "{title}"' if title else (facts.outcome or "-")
    decided = _route_and_urgency(facts.route, facts.urgency)
    return f"Voordeur-triage {facts.tree_id or '-'}{version}{demo}: {outcome} → {decided}."


def _plan(facts: SoepFacts) -> str:
    request = f"{KIND_WORDS.get(facts.kind, facts.kind)} {facts.reference}"
    if facts.closed and facts.final_route:
        triage = _route_and_urgency(facts.route, facts.urgency, meaning=False)
        chosen = _route_and_urgency(
            facts.final_route, facts.final_urgency, meaning=facts.final_urgency != facts.urgency
        )
        return f"{_capital(chosen)} (besluit praktijk bij afsluiten; triage: {triage}). Verzoek: {request}."
    proposal = _route_and_urgency(facts.route, facts.urgency, meaning=False)
    if facts.appointment and facts.route == Route.APPOINTMENT:
        timeframe, professional, minutes = facts.appointment
        when = TIMEFRAME_WORDS.get(timeframe, timeframe)
        who = PROFESSIONAL_WORDS.get(professional, professional)
        proposal += f"; {when} bij de {who}, {minutes} min"
    return f"{_capital(proposal)} (voorstel triage). Verzoek: {request}."


def _photo_words(count: int) -> str:
    return f"{count} foto" if count == 1 else f"{count} foto's"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
