"""Every problem the checks report, in the editor's words and the editor's language.

The checks (``portal.triage``, ``portal.pages``, ``portal.lint``) write one plain English
message per problem, the same for the command line, CI and the workbench. In the
browser an editor reads a translated sentence that says what it means for patients
("Het antwoord “yes” leidt nergens heen"), with the checker's own text kept beside it
so nothing is lost when asking for help.

Three layers, most specific first:

1. ``REWRITES``: the commonest messages, with the names they mention (an answer, a
   page, a date) put into the sentence;
2. ``RULE_WORDS``: every rule with an id (``portal.triage.checks.RULES`` and
   ``portal.triage.lexicon.LEXICON_RULES``) has a sentence of its own, so a new message
   of a known rule is never shown as parser text alone. A test fails when a rule has
   none, or when its sentence has no Dutch in the catalogue;
3. ``UNKNOWN``: anything else (a rare YAML or schema message) gets a general sentence
   in the editor's language, with the technical text beside it.

The checks name answers and nodes by their codes (``yes``, ``urgent_now``); a rewrite
puts the patient's words in their place ("Ja", "Bel nu de praktijk") when the live tree
of the problem's file has them, and keeps the code when it cannot tell which is meant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from ..rulebook import rules
from ..triage.model import Outcome, Tree
from ..triage.problems import Problem
from .routes import bp

#: A rewrite gets the pattern's named groups (codes replaced by the patient's words where known).
Rewrite = Callable[[Mapping[str, str]], str]

#: A schema error's location in front of its message ("nodes.alarm_signs.help: ").
_AT = r"^(?:[\w\[\].-]+: )?"

#: (pattern of the checker's message, the sentence an editor reads). Most common first.
REWRITES: tuple[tuple[re.Pattern[str], Rewrite], ...] = (
    (
        re.compile(r"^answer '(?P<answer>[^']+)' leads to unknown node '(?P<target>[^']+)'$"),
        lambda m: _(
            "The answer “%(answer)s” leads nowhere: there is no question or outcome called “%(target)s”.",
            answer=m["answer"],
            target=m["target"],
        ),
    ),
    (
        re.compile(r"^emergency sign '(?P<answer>[^']+)' leads to unknown node '(?P<target>[^']+)'$"),
        lambda m: _(
            "The 112 sign “%(answer)s” leads nowhere: there is no outcome called “%(target)s”.",
            answer=m["answer"],
            target=m["target"],
        ),
    ),
    (
        re.compile(r"^dead end: answer '(?P<answer>[^']+)' of '(?P<question>[^']+)' has no 'next'$"),
        lambda m: _(
            "The answer “%(answer)s” to “%(question)s” leads nowhere: say which question or advice comes next.",
            answer=m["answer"],
            question=m["question"],
        ),
    ),
    (
        re.compile(r"^'(?P<node>[^']+)' cannot be reached from 'start'$"),
        lambda m: _("No answer leads to “%(node)s”: patients never get there.", node=m["node"]),
    ),
    (
        re.compile(r"^'(?P<node>[^']+)' is part of a loop$"),
        lambda m: _("“%(node)s” is part of a loop: patients could go round in circles.", node=m["node"]),
    ),
    (
        re.compile(_AT + r"the English text \('en'\) is missing"),
        lambda m: _("The English text is missing. Every text needs Dutch and English."),
    ),
    (
        re.compile(_AT + r"the Dutch text \('nl'\) is missing"),
        lambda m: _("The Dutch text is missing. Every text needs Dutch and English."),
    ),
    (
        re.compile(r"^case '(?P<case>[^']+)': (?P<problem>.+)$"),
        lambda m: _("The case “%(case)s” no longer gives the expected result.", case=m["case"]),
    ),
    (
        re.compile(r"^outcome '(?P<outcome>[^']+)' is not covered by any case$"),
        lambda m: _("No case ends at the advice “%(outcome)s” yet: add a case that does.", outcome=m["outcome"]),
    ),
    (
        re.compile(r"^red flag '(?P<flag>[^']+)' has no case$"),
        lambda m: _("The red flag “%(flag)s” has no case yet: add a case that ticks it.", flag=m["flag"]),
    ),
    (
        re.compile(r"^'(?P<outcome>[^']+)' has no safety_net"),
        lambda m: _(
            "The advice “%(outcome)s” has no safety net: say when to call the practice after all.",
            outcome=m["outcome"],
        ),
    ),
    (
        re.compile(r"^'(?P<question>[^']+)' has the answer '(?P<answer>[^']+)' twice$"),
        lambda m: _(
            "The question “%(question)s” has the answer “%(answer)s” twice.",
            question=m["question"],
            answer=m["answer"],
        ),
    ),
    (
        re.compile(r"^no search keywords in '(?P<language>nl|en)'$"),
        lambda m: _("Add words patients search with, in Dutch and in English."),
    ),
    (
        re.compile(r"^the section '## (?P<name>.+)' is missing$"),
        lambda m: _("The section “%(name)s” is missing.", name=m["name"]),
    ),
    (
        re.compile(r"^unknown section '## (?P<name>[^']+)'"),
        lambda m: _(
            "“%(name)s” is not a section of a self-help page: use one of the section names given.", name=m["name"]
        ),
    ),
    (
        re.compile(r"^the sections must come in this order: (?P<order>.+)$"),
        lambda m: _("Put the sections in this order: %(order)s.", order=m["order"]),
    ),
    (
        re.compile(r"^the link to page '(?P<page>[^']+)' leads nowhere$"),
        lambda m: _("The link to the page “%(page)s” leads nowhere: that page does not exist.", page=m["page"]),
    ),
    (
        re.compile(r"^the link to triage '(?P<tree>[^']+)' leads nowhere$"),
        lambda m: _("The link to the questions “%(tree)s” leads nowhere: that tree does not exist.", tree=m["tree"]),
    ),
    (
        re.compile(r"^related tree '(?P<tree>[^']+)' does not exist$"),
        lambda m: _("The related tree “%(tree)s” does not exist.", tree=m["tree"]),
    ),
    (
        re.compile(r"^'(?P<outcome>[^']+)' names self-care page '(?P<page>[^']+)', but \S+ is missing or refused$"),
        lambda m: _(
            "The advice “%(outcome)s” links to the self-help page “%(page)s”, but that page is missing or has errors.",
            outcome=m["outcome"],
            page=m["page"],
        ),
    ),
    (
        re.compile(r"^'(?P<outcome>[^']+)' names self-care page '(?P<page>[^']+)', but \S+ does not list"),
        lambda m: _(
            "The self-help page “%(page)s” does not list the advice “%(outcome)s” among its related outcomes.",
            outcome=m["outcome"],
            page=m["page"],
        ),
    ),
    (
        re.compile(r"^'(?P<outcome>[^']+)' sends patients to '(?P<service>[^']+)', but the social map (?P<map>\S+)"),
        lambda m: _(
            "The social map %(map)s does not list “%(service)s”: patients there get the municipality's general number.",
            map=m["map"],
            service=m["service"],
        ),
    ),
    (
        re.compile(r"^related outcome '(?P<name>[^']+)': "),
        lambda m: _("The related outcome “%(name)s” does not exist.", name=m["name"]),
    ),
    (
        re.compile(r"^related outcome '(?P<name>[^']+)' does not name this page"),
        lambda m: _("The advice “%(name)s” does not link back to this page.", name=m["name"]),
    ),
    (
        re.compile(r"^review was due on (?P<date>[0-9-]+)$"),
        lambda m: _("The review was due on %(date)s: check the text and set the next date.", date=m["date"]),
    ),
    (
        re.compile(r"^there is no en version yet"),
        lambda m: _("There is no English version yet: English readers see the Dutch page with a short notice."),
    ),
    (
        re.compile(r"^there is no nl version"),
        lambda m: _("There is no Dutch version of this page: an English page needs its Dutch original."),
    ),
    (
        re.compile(r"^this is not valid YAML|^this file cannot be read as YAML"),
        lambda m: _("The text cannot be read here: check the indentation and the colons on this line."),
    ),
    (
        re.compile(r"^(?:control )?character U\+(?P<code>[0-9A-F]+) is not allowed"),
        lambda m: _(
            "There is an invisible or unusual character on this line (U+%(code)s): delete it or type the text again.",
            code=m["code"],
        ),
    ),
    (
        re.compile(r"^'(?P<key>[^']+)' appears twice \(first on line (?P<first>\d+)\)"),
        lambda m: _(
            "“%(key)s” appears twice (first on line %(first)s): each name may be used once.",
            key=m["key"],
            first=m["first"],
        ),
    ),
    (
        re.compile(r"^the file is empty$"),
        lambda m: _("The text is empty."),
    ),
    (
        re.compile(_AT + r"'(?P<field>[^']+)' is required here$"),
        lambda m: _("The field “%(field)s” is required here.", field=m["field"]),
    ),
    (
        re.compile(_AT + r"(?:True|False) must be text: YAML reads a bare yes/no"),
        lambda m: _('Put this value in quotes ("yes"): without them, yes and no are read as true and false.'),
    ),
    (
        re.compile(_AT + r"Additional properties are not allowed \('(?P<field>[^']+)'"),
        lambda m: _("The field “%(field)s” is not known here: check its spelling.", field=m["field"]),
    ),
    (
        re.compile(_AT + r"'?(?P<value>[^']*)'? is not allowed here; choose one of"),
        lambda m: _("“%(value)s” is not one of the choices allowed here.", value=m["value"]),
    ),
    (
        re.compile(r"^the page must start with front matter|^the front matter is not closed"),
        lambda m: _("The page's details at the top (between two lines with ---) are missing or not closed."),
    ),
    (
        re.compile(r"^tree id '(?P<tree>[^']+)' is already used by"),
        lambda m: _("Another file already uses the tree name “%(tree)s”.", tree=m["tree"]),
    ),
    (
        re.compile(r"^not checked: the prelude has errors$"),
        lambda m: _("Not checked: the shared first questions (the prelude) have errors. Fix those first."),
    ),
    (
        re.compile(r"^the tree id must stay '(?P<tree>[^']+)'"),
        lambda m: _("The tree's name must stay “%(tree)s”: patients' links and the statistics use it.", tree=m["tree"]),
    ),
)

#: Every rule with an id, in the editor's words (the rule ids are those of docs/authoring/triage-trees.md).
RULE_WORDS: dict[str, LazyString] = {
    # integrity: every reference leads somewhere
    "I-start-missing": _l("The tree does not say which question comes first."),
    "I-unknown-node": _l("Something here leads to a question or advice that does not exist in this tree."),
    "I-dead-end": _l("An answer here leads nowhere: say which question or advice comes next."),
    "I-when-and-skip-to": _l(
        "A question asked only for some patients must say where everyone else goes, and only such a question may."
    ),
    "I-not-an-outcome": _l("This must lead straight to an advice, not to another question."),
    "I-unreachable": _l("No answer leads here: patients never see it."),
    "I-loop": _l("The questions go round in a circle here: every path must end in an advice."),
    "I-prelude-question": _l("The shared first questions (the prelude) are incomplete: one of them is missing."),
    # safety
    "S-emergency-screen-target": _l("An alarm answer on the first screen must lead straight to 112 or to calling now."),
    "S-112-on-first-screen": _l(
        "This answer leads to 112 after a few questions: put the sign on the first screen, with the other 112 signs."
    ),
    "S-red-flag-urgent": _l(
        "A warning sign here can end in advice that is not urgent enough: a warning sign needs urgency U1 to U3."
    ),
    "S-red-flag-order": _l("A more urgent warning sign is asked after a less urgent one: ask the most urgent first."),
    "S-red-flag-case": _l("This warning sign has no case yet: add a case that chooses it."),
    "S-conservative-unknown": _l(
        "“I don't know” or “something else” leads to less urgent advice than another answer: treat it as the most "
        "careful answer."
    ),
    "S-checklist-order": _l("The list of signs is not in order of urgency: put the most urgent signs first."),
    "S-safety-net-repeats": _l(
        "The safety net repeats a sign the patient has already said yes to: name what should make them call."
    ),
    "S-general-danger": _l(
        "The general danger signs must be asked before every tree, and each must lead to 112 or to calling now."
    ),
    "S-first-screen-length": _l(
        "The first screen is too long: keep each sign under 90 characters and show at most 5 signs."
    ),
    "S-raise-reason": _l(
        "This advice says the person is at higher risk, but patients who answered “I don't know” also get it: "
        "leave that out."
    ),
    "S-safety-net": _l("This advice has no safety net: say when to call the practice after all."),
    "S-raise-more-urgent": _l("A raise must lead to more urgent advice than the advice it raises."),
    "S-baby-self-care": _l("A baby under 3 months can end in self-care here: add a raise to more urgent advice."),
    "S-review-due": _l("The review date has passed: check the text and set the next date."),
    # policy
    "P-audience-pair": _l("“Who it is for” and “where others go” must be filled in together."),
    "P-catch-all-audience": _l("The tree for other complaints is for everyone: it cannot be limited to some patients."),
    "P-reserved-id": _l("This name is already used by the portal: choose another name."),
    "P-duplicate-answer": _l("Two answers of this question have the same name."),
    "P-choice-escape": _l(
        "This question needs an answer for patients whose situation is not listed (“something else” or "
        "“I don't know”), or a mark that the list is complete."
    ),
    "P-yes-no-dont-know": _l(
        "This yes/no question needs the answer “I don't know”, unless every patient can know the answer."
    ),
    "P-one-thing": _l("This question may ask two things at once: ask them one by one, or make it a list of signs."),
    "P-question-flags": _l("A mark on this question does not fit its kind of question."),
    "P-raises-urgency-in-tree": _l("Only the shared risk questions may raise the urgency, not a question in a tree."),
    "P-emergency-sign-value": _l("This 112 sign is already on the shared first screen."),
    "P-emergency-sign-red-flag": _l("A 112 sign must be marked as a warning sign."),
    "P-emergency-sign-when": _l("A 112 sign cannot be limited to some patients: they have not said who they are yet."),
    "P-route-urgency": _l("This urgency does not fit where the advice sends the patient."),
    "P-appointment-details": _l("Appointment details belong only to an advice that makes an appointment."),
    "P-social-service": _l("A social service belongs only to an advice that sends the patient to the social domain."),
    "P-self-care-page": _l("A self-help page belongs only to self-care advice."),
    "P-raise-once": _l("An advice may be raised once: the advice it raises to cannot raise again."),
    "P-screen-none-answer": _l("The first screen needs the answer “none of these”, which goes on to the questions."),
    "P-prelude-raise": _l("Advice on the first screen cannot be raised: that screen ends the questions at once."),
    "P-prelude-answer-next": _l("Answers to the questions about the person and their risks cannot lead elsewhere."),
    "P-profile-values": _l("The questions about the person must offer exactly the choices the portal knows."),
    # coverage
    "C-case-fails": _l("A case no longer gives the expected result."),
    "C-outcome-without-case": _l("No case ends at this advice yet: add a case that does."),
    "C-translation-points": _l("The Dutch and English lists have a different number of points."),
    "C-keywords": _l("Add words patients search with, in Dutch and in English."),
    "C-lexicon-unknown-tree": _l("The search words name a tree that does not exist."),
    "C-lexicon-empty": _l("Search words are missing: every entry needs Dutch and English words."),
    "C-lexicon-duplicate": _l("A search word is listed under more than one tree: keep it under one, or say why not."),
    "C-lexicon-unplaced": _l("This complaint is in no part of the body, so patients cannot find it by browsing."),
}

#: For a message no rewrite or rule knows: still a sentence in the editor's language.
UNKNOWN = _l("Something on this line is not right. The technical message (in English) says what.")


def in_editor_words(problem: Problem | str) -> str | None:
    """The sentence an editor reads for a problem (or a bare checker message), or None for a
    bare message nothing knows (the caller shows it as it is)."""
    message = problem if isinstance(problem, str) else problem.message
    for pattern, rewrite in REWRITES:
        found = pattern.match(message)
        if found:
            names = {key: value for key, value in found.groupdict().items() if value is not None}
            return rewrite(names if isinstance(problem, str) else _patients_words(problem, names))
    if isinstance(problem, str):
        return None
    if problem.rule in RULE_WORDS:
        return str(RULE_WORDS[problem.rule])
    return str(UNKNOWN)


#: Groups of a rewrite's pattern that name a question or an outcome by its id.
_NODES = ("node", "target", "question", "outcome")


def _patients_words(problem: Problem, names: dict[str, str]) -> dict[str, str]:
    """``names`` with each answer value and node id the live tree knows replaced by what patients read."""
    tree = _live_tree(problem.path)
    if tree is None:
        return names
    locale = str(get_locale() or "nl")  # the language of the sentence around the words
    words = dict(names)
    for group in _NODES:
        node = tree.nodes.get(names.get(group, ""))
        if node is not None:
            words[group] = (node.title if isinstance(node, Outcome) else node.text).get(locale)
    if "answer" in names:
        question = tree.nodes.get(names.get("question", ""))
        pool = getattr(question, "answers", None) or [a for q in tree.questions() for a in q.answers]
        same = [a for a in (*pool, *tree.emergency_signs) if a.value == names["answer"]]
        on_line = [a for a in same if a.line == problem.line]
        chosen = on_line or (same if len({a.label for a in same}) == 1 else [])
        if chosen:
            words["answer"] = chosen[0].label.get(locale)
    return words


def _live_tree(path: Path) -> Tree | None:
    """The live tree read from ``path`` (None for the prelude, a page, or outside a request)."""
    try:
        trees = rules().trees.values()
    except RuntimeError:  # no app context
        return None
    return next((tree for tree in trees if tree.path == path), None)


@bp.app_template_filter("in_editor_words")
def _in_editor_words(problem: Problem | str) -> str | None:
    return in_editor_words(problem)
