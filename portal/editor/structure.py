"""Guided forms for a tree's structure: add or remove a question, an answer, an outcome; change where an answer leads
and an advice's route and urgency.

Each form produces the same draft as raw mode and the texts form
(``workflow.save_draft`` takes the whole text), so lint with line numbers, the
cases, the classification (these are always clinical logic), the validation
replay and the four-eyes review are the ones every change gets. The pure work —
reading the tree's outline and writing the change back into its YAML — is in
``portal.content.tree_structure``; here a view reads the form, calls it, raises
the tree's ``version:`` once per draft, and saves or shows what to fix, keeping
what was typed. Every node and answer is shown by the words patients read,
never by its id. Plain forms: everything works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from .. import clock
from ..content import tree_structure as structure
from ..content.tree_cases import with_version_raised
from ..content.tree_structure import (
    Mistake,
    NewAnswer,
    NewOutcome,
    NewQuestion,
    NewRoute,
    Reference,
    StructureError,
    Words,
)
from ..contentlib import live_content
from ..i18n import current_locale
from ..staff.guard import audit_context, signed_in_staff, staff_required
from ..storage import content_versions as versions
from ..storage.db import get_db
from ..triage.model import ROUTE_URGENCIES, Route, Urgency
from ..vocabulary import (
    EDITOR_ROLES,
    PROFESSIONAL_LABELS,
    ROUTE_DECISION_LABELS,
    ROUTE_LABELS,
    SOCIAL_SERVICE_LABELS,
    TIMEFRAME_LABELS,
    URGENCY_LABELS,
    Professional,
    SocialService,
    Timeframe,
)
from . import workflow
from .forms import start_text
from .routes import _render, bp
from .versions import _target
from .workflow import Target

#: How many answer rows a new question starts with; "Another answer" adds one (up to the maximum).
ANSWER_ROWS, MAX_ANSWER_ROWS = 3, 12


# --- the editor's words ------------------------------------------------------------------------


def mistake_text(mistake: Mistake) -> str:
    """Why a change is refused, in the editor's words."""
    d = mistake.details
    dutch = d.get("language") == "nl"
    messages = {
        "unreadable": lambda: _("This tree cannot be read. Correct it in the text editor first."),
        "no_such_node": lambda: _("There is no question or advice called “%(node)s”.", node=d.get("node", "")),
        "no_such_answer": lambda: _("Choose the answer that should lead here."),
        "not_a_question": lambda: _("Answers can only be added to a question."),
        "target_missing": lambda: _("Choose where this answer leads."),
        "raise_needs_outcome": lambda: _(
            "Something raises the advice to this one, or a 112 sign leads here: choose an advice, not a question."
        ),
        "id_format": lambda: _(
            "Use small letters, digits and _ for the name, starting with a letter (e.g. hoge_koorts)."
        ),
        "id_taken": lambda: _("The name “%(id)s” is already used in this tree: choose another.", id=d.get("id", "")),
        "id_reserved": lambda: _(
            "The name “%(id)s” is kept for the portal itself: choose another.", id=d.get("id", "")
        ),
        "text_missing": lambda: _("Write this text in Dutch.") if dutch else _("Write this text in English."),
        "too_few_answers": lambda: _("A question needs at least two answers."),
        "value_format": lambda: _(
            "The code “%(value)s” may only have small letters, digits and _.", value=d.get("value", "")
        ),
        "value_taken": lambda: _(
            "This question already has an answer with the code “%(value)s”: choose another.", value=d.get("value", "")
        ),
        "value_reserved": lambda: _("The code “none” is kept for the “none of these” box."),
        "leads_to_itself": lambda: _("An answer cannot lead back to its own question."),
        "still_referenced": lambda: _(
            "Something still leads here (listed below). Choose where it should lead instead, or change it first."
        ),
        "last_answers": lambda: _(
            "A question keeps at least two answers, and a checklist at least one box: add another one first."
        ),
        "none_fixed": lambda: _("The “none of these” box cannot be removed."),
        "route_missing": lambda: _("Choose what the patient should do."),
        "urgency_missing": lambda: _("Choose the urgency."),
        "route_urgency": lambda: _(
            "This urgency does not fit what the patient should do. Choose: %(allowed)s.", allowed=d.get("allowed", "")
        ),
        "advice_missing": lambda: (
            _("Write at least one point of advice in Dutch.")
            if dutch
            else _("Write at least one point of advice in English.")
        ),
        "safety_net_missing": lambda: (
            _("Write at least one safety-net point in Dutch.")
            if dutch
            else _("Write at least one safety-net point in English.")
        ),
        "points_differ": lambda: _(
            "Dutch has %(nl)d points and English %(en)d: write the same points in both.", nl=d["nl"], en=d["en"]
        ),
        "timeframe_missing": lambda: _("Choose when the appointment should be."),
        "professional_missing": lambda: _("Choose whom the patient should see."),
        "minutes_missing": lambda: _("Choose how long the appointment takes."),
        "social_service_missing": lambda: _("Choose the help in the neighbourhood."),
        "unchanged": lambda: _("This answer already leads there. Nothing was changed."),
        "not_an_outcome": lambda: _("Only an advice has a route and an urgency."),
        "route_unchanged": lambda: _("This advice already has this route and urgency. Nothing was changed."),
        "red_flag_urgency": lambda: _(
            "A red flag leads to this advice (%(answers)s). After a red flag the advice must stay urgent: "
            "112, urgent, or an appointment at U1, U2 or U3.",
            answers=_red_flag_answers(d.get("answers", ())),
        ),
    }
    say = messages.get(mistake.code)
    return say() if say else mistake.code


def _red_flag_answers(answers: tuple[tuple[Words, Words], ...]) -> str:
    """The red-flag answers that lead to an advice, by the patients' words: '“Ja” to “Heeft u pijn …?”'."""
    locale = current_locale()
    return "; ".join(
        _("“%(label)s” to “%(question)s”", label=label.get(locale), question=question.get(locale))
        for label, question in answers
    )


def reference_text(ref: Reference, locale: str) -> str:
    """What leads to a node, by the patients' words: 'The answer “Ja” to “Heeft de persoon koorts?”'."""
    question, label = ref.node_words.get(locale), ref.label.get(locale)
    if ref.kind == structure.START:
        return _("The start of the tree: patients get this first.")
    if ref.kind == structure.OUTSIDE_AUDIENCE:
        return _("Patients this tree is not written for.")
    if ref.kind == structure.EMERGENCY_SIGN:
        return _("The 112 sign “%(label)s” on the first screen.", label=label)
    if ref.kind == structure.RAISE_TO:
        return _("Risk groups, instead of the advice “%(title)s”.", title=question)
    if ref.kind == structure.SKIP_TO:
        return _("Patients who are not asked “%(question)s”.", question=question)
    if ref.kind == structure.NONE_BOX:
        return _("“%(label)s” at “%(question)s”.", label=label, question=question)
    return _("The answer “%(label)s” to “%(question)s”.", label=label, question=question)


def node_text(node: structure.Node, locale: str) -> str:
    """A question or outcome in a select: 'Question: Hoe lang …?' or 'Advice: Bel nu de praktijk (U2)'."""
    if node.is_outcome:
        return _("Advice: %(title)s (%(urgency)s)", title=node.words.get(locale), urgency=node.urgency)
    return _("Question: %(text)s", text=node.words.get(locale))


# --- shared steps ----------------------------------------------------------------------------


def _cases_url(tree_id: str) -> str:
    """Where the editor adds a case: the cases form when this portal has one, otherwise the YAML."""
    for endpoint in ("editor.case_new", "editor.cases_view"):
        if endpoint in current_app.view_functions:
            try:
                return url_for(endpoint, tree_id=tree_id)
            except BuildError:
                continue
    return url_for("editor.edit_tree", tree_id=tree_id)


def _source(tree_id: str) -> tuple[Target, str]:
    target = _target("tree", tree_id)
    return target, start_text(target)


def _save(target: Target, text: str, *notes: str) -> Response:
    """Store the changed tree as the author's draft, with ``version:`` raised once above what patients get."""
    live, _based_on = workflow.live_text(get_db(), live_content(), target)
    text = with_version_raised(text, live)
    workflow.save_draft(get_db(), live_content(), signed_in_staff(), target, text, clock.now(), audit_context())
    flash(_("Draft saved. Check it, then submit it for review."), "success")
    for note in notes:
        flash(note, "info")
    return redirect(url_for("editor.tree_structure", tree_id=target.key), 303)


def _page(template: str, target: Target, text: str, mistakes: tuple[Mistake, ...] = (), **context):
    """A structure form, with what to fix at the top (422 when there is something) and the tree's outline."""
    locale = current_locale()
    outline = structure.outline(text)
    page = _render(
        template,
        tree_id=target.key,
        outline=outline,
        locale=locale,
        mistakes=[(m.field, mistake_text(m)) for m in mistakes],
        wrong={m.field for m in mistakes},
        node_text=node_text,
        reference_text=reference_text,
        values=request.form if request.method == "POST" else request.args,
        **context,
    )
    return page, (422 if mistakes else 200)


def _unreadable(tree_id: str) -> Response:
    flash(_("This tree cannot be read. Correct it in the text editor first."), "error")
    return redirect(url_for("editor.edit_tree", tree_id=tree_id), 303)


def _checked(form: Mapping[str, str], name: str) -> bool:
    return form.get(name) in ("1", "on", "true", "yes")


# --- the overview ----------------------------------------------------------------------------


@bp.get("/trees/<tree_id>/structure")
@staff_required(*EDITOR_ROLES)
def tree_structure(tree_id: str):
    target, text = _source(tree_id)
    try:
        outline = structure.outline(text)
    except StructureError:
        return _unreadable(tree_id)
    with_case = structure.outcomes_with_cases(text)
    return _page(
        "editor/structure.html",
        target,
        text,
        draft=versions.open_draft(get_db(), "tree", tree_id, "", signed_in_staff().id),
        without_case=[node for node in outline.nodes if node.is_outcome and node.id not in with_case],
        cases_url=_cases_url(tree_id),
    )


# --- add a question ----------------------------------------------------------------------------


def _posted_answers(form: Mapping[str, str], rows: int) -> tuple[NewAnswer, ...]:
    return tuple(
        NewAnswer(
            label_nl=form.get(f"answer-{i}-label_nl", ""),
            label_en=form.get(f"answer-{i}-label_en", ""),
            target=form.get(f"answer-{i}-next", ""),
            value=form.get(f"answer-{i}-value", "").strip(),
            red_flag=_checked(form, f"answer-{i}-red_flag"),
        )
        for i in range(rows)
    )


def _rows(form: Mapping[str, str]) -> int:
    try:
        return max(2, min(MAX_ANSWER_ROWS, int(form.get("rows", ANSWER_ROWS))))
    except ValueError:
        return ANSWER_ROWS


@bp.route("/trees/<tree_id>/structure/question", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def add_question(tree_id: str):
    target, text = _source(tree_id)
    form = request.form if request.method == "POST" else request.args
    rows = _rows(form)
    try:
        taken = structure.taken_ids(text)
    except StructureError:
        return _unreadable(tree_id)
    action = request.form.get("action", "")
    suggested = form.get("node_id", "").strip()
    if action == "suggest" or (action == "more" and not suggested and form.get("text_nl", "").strip()):
        suggested = structure.suggest_id(form.get("text_nl", ""), taken)
    if request.method == "POST" and action == "more":
        rows = min(MAX_ANSWER_ROWS, rows + 1)
    mistakes: tuple[Mistake, ...] = ()
    if request.method == "POST" and action == "save":
        question = NewQuestion(
            node_id=suggested,
            text_nl=form.get("text_nl", ""),
            text_en=form.get("text_en", ""),
            help_nl=form.get("help_nl", ""),
            help_en=form.get("help_en", ""),
            answers=_posted_answers(form, rows),
        )
        try:
            new_text, _node_id = structure.add_question(text, question, form.get("lead", ""))
        except StructureError as exc:
            mistakes = exc.mistakes
        else:
            return _save(target, new_text)
    return _page("editor/structure_question.html", target, text, mistakes, rows=rows, suggested=suggested)


# --- add an answer -----------------------------------------------------------------------------


@bp.route("/trees/<tree_id>/structure/<node_id>/answer", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def add_answer(tree_id: str, node_id: str):
    target, text = _source(tree_id)
    try:
        node = structure.outline(text).node(node_id)
    except StructureError:
        return _unreadable(tree_id)
    if node is None or node.is_outcome:
        flash(_("Answers can only be added to a question."), "error")
        return redirect(url_for("editor.tree_structure", tree_id=tree_id), 303)
    mistakes: tuple[Mistake, ...] = ()
    if request.method == "POST":
        answer = NewAnswer(
            label_nl=request.form.get("label_nl", ""),
            label_en=request.form.get("label_en", ""),
            target=request.form.get("next", ""),
            value=request.form.get("value", "").strip(),
            red_flag=_checked(request.form, "red_flag"),
        )
        try:
            new_text = structure.add_answer(text, node_id, answer)
        except StructureError as exc:
            mistakes = exc.mistakes
        else:
            return _save(target, new_text)
    return _page("editor/structure_answer.html", target, text, mistakes, node=node)


# --- change where an answer leads, remove an answer ---------------------------------------------


def _answer_at(tree_id: str):
    """What a form about one answer (``?at=``) starts from: the tree's text, its outline and that
    answer; or the page to go to instead when the tree cannot be read or the answer is gone."""
    target, text = _source(tree_id)
    key = request.values.get("at", "")
    try:
        outline = structure.outline(text)
    except StructureError:
        return _unreadable(tree_id)
    lead = outline.lead(key)
    if lead is None:
        flash(_("This answer is not in the tree (any more)."), "error")
        return redirect(url_for("editor.tree_structure", tree_id=tree_id), 303)
    return target, text, key, outline, lead


@bp.route("/trees/<tree_id>/structure/lead", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def change_lead(tree_id: str):
    found = _answer_at(tree_id)
    if isinstance(found, Response):
        return found
    target, text, key, outline, lead = found
    mistakes: tuple[Mistake, ...] = ()
    if request.method == "POST":
        try:
            new_text = structure.set_target(text, key, request.form.get("target", ""))
        except StructureError as exc:
            mistakes = exc.mistakes
        else:
            return _save(target, new_text)
    return _page("editor/structure_lead.html", target, text, mistakes, lead=lead, question=outline.node(lead.node))


@bp.route("/trees/<tree_id>/structure/answer/remove", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def remove_answer(tree_id: str):
    found = _answer_at(tree_id)
    if isinstance(found, Response):
        return found
    target, text, key, outline, lead = found
    mistakes: tuple[Mistake, ...] = ()
    if request.method == "POST":
        try:
            new_text = structure.remove_answer(text, key)
        except StructureError as exc:
            mistakes = exc.mistakes
        else:
            return _save(target, new_text)
    return _page(
        "editor/structure_remove_answer.html", target, text, mistakes, lead=lead, question=outline.node(lead.node)
    )


# --- remove a question or an outcome ------------------------------------------------------------


@bp.route("/trees/<tree_id>/structure/<node_id>/remove", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def remove_node(tree_id: str, node_id: str):
    target, text = _source(tree_id)
    try:
        node = structure.outline(text).node(node_id)
        found = structure.references(text, node_id)
        cases = structure.cases_ending_at(text, node_id)
    except StructureError:
        return _unreadable(tree_id)
    if node is None:
        flash(_("This question or advice is not in the tree (any more)."), "error")
        return redirect(url_for("editor.tree_structure", tree_id=tree_id), 303)
    mistakes: tuple[Mistake, ...] = ()
    if request.method == "POST":
        try:
            new_text = structure.remove_node(
                text,
                node_id,
                redirect_to=request.form.get("redirect_to", ""),
                drop_cases=_checked(request.form, "drop_cases"),
            )
        except StructureError as exc:
            mistakes = exc.mistakes
        else:
            return _save(target, new_text)
    return _page("editor/structure_remove.html", target, text, mistakes, node=node, references=found, cases=cases)


# --- add an outcome ----------------------------------------------------------------------------


def _outcome_choices() -> dict[str, list[tuple[str, str]]]:
    """The vocabulary's routes, urgencies and appointment details, each with its label."""
    return {
        "route": [(route.value, str(ROUTE_LABELS[route])) for route in Route],
        "urgency": [(urgency.value, str(URGENCY_LABELS[urgency])) for urgency in Urgency],
        "timeframe": [
            (t.value, str(TIMEFRAME_LABELS[t])) for t in Timeframe if t.value in structure.allowed("timeframe")
        ],
        "professional": [
            (p.value, str(PROFESSIONAL_LABELS[p])) for p in Professional if p.value in structure.allowed("professional")
        ],
        "minutes": [(m, m) for m in structure.allowed("minutes")],
        "social_service": [
            (s.value, str(SOCIAL_SERVICE_LABELS[s]))
            for s in SocialService
            if s.value in structure.allowed("social_service")
        ],
    }


@bp.route("/trees/<tree_id>/structure/outcome", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def add_outcome(tree_id: str):
    target, text = _source(tree_id)
    form = request.form if request.method == "POST" else request.args
    try:
        taken = structure.taken_ids(text)
    except StructureError:
        return _unreadable(tree_id)
    suggested = form.get("node_id", "").strip()
    if request.form.get("action") == "suggest":
        suggested = structure.suggest_id(form.get("title_nl", ""), taken, fallback="advice")
    mistakes: tuple[Mistake, ...] = ()
    if request.method == "POST" and request.form.get("action") == "save":
        outcome = NewOutcome(
            node_id=suggested,
            **{
                name: form.get(name, "")
                for name in (
                    "route",
                    "urgency",
                    "title_nl",
                    "title_en",
                    "advice_nl",
                    "advice_en",
                    "safety_net_nl",
                    "safety_net_en",
                    "timeframe",
                    "professional",
                    "minutes",
                    "social_service",
                )
            },
        )
        try:
            new_text, _node_id = structure.add_outcome(text, outcome, form.get("lead", ""))
        except StructureError as exc:
            mistakes = exc.mistakes
        else:
            note = _(
                "Every advice needs a case before the draft can be submitted: add a case that ends at “%(title)s”.",
                title=outcome.title_nl.strip(),
            )
            return _save(target, new_text, note)
    fitting = "; ".join(f"{ROUTE_LABELS[route]}: {', '.join(sorted(ROUTE_URGENCIES[route]))}" for route in Route)
    return _page(
        "editor/structure_outcome.html",
        target,
        text,
        mistakes,
        suggested=suggested,
        choices=_outcome_choices(),
        urgency_hint=_("Which urgencies fit what the patient should do: %(table)s.", table=fitting),
    )


# --- change an advice's route and urgency -------------------------------------------------------------


def _route_choices() -> dict[str, list[tuple[str, str]]]:
    """Each route with every urgency it allows, in the vocabulary's words and most urgent first ('Urgent (call
    now / huisartsenpost) – U2: emergency, within an hour'), so a pair that does not fit cannot be chosen; and
    the appointment details and help in the neighbourhood, as the new-advice form offers them."""
    pairs = [
        (f"{route.value}:{urgency.value}", f"{ROUTE_DECISION_LABELS[route]} – {URGENCY_LABELS[urgency]}")
        for route in Route
        for urgency in sorted(ROUTE_URGENCIES[route], key=lambda u: u.rank)
    ]
    return {"pair": pairs, **{k: v for k, v in _outcome_choices().items() if k not in ("route", "urgency")}}


def _route_notes(cases: tuple[str, ...], updated: bool) -> list[str]:
    """What the editor should know about the cases that end at the advice, after saving."""
    if not cases:
        return []
    if updated:
        return [
            _(
                "The cases that end at this advice now expect the new route and urgency: %(names)s.",
                names=", ".join(cases),
            )
        ]
    return [
        _(
            "The cases that end at this advice still expect the old route and urgency: change them before you "
            "submit the draft (%(names)s).",
            names=", ".join(cases),
        )
    ]


@bp.route("/trees/<tree_id>/structure/<node_id>/route", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def change_route(tree_id: str, node_id: str):
    target, text = _source(tree_id)
    tree = workflow.tree_from_text(
        target, text
    )  # the linter's view of the tree: which red flags can end at this advice
    try:
        found = structure.outcome_route(text, node_id, tree)
    except StructureError as exc:
        if any(m.code == "unreadable" for m in exc.mistakes):
            return _unreadable(tree_id)
        flash(_("This advice is not in the tree (any more)."), "error")
        return redirect(url_for("editor.tree_structure", tree_id=tree_id), 303)
    now = found.now
    chosen: Mapping[str, str] = {
        "pair": f"{now.route}:{now.urgency}",
        "timeframe": now.timeframe,
        "professional": now.professional,
        "minutes": now.minutes,
        "social_service": now.social_service,
    }
    mistakes: tuple[Mistake, ...] = ()
    if request.method == "POST":
        chosen = request.form
        route, _sep, urgency = request.form.get("pair", "").partition(":")
        change = NewRoute(
            route,
            urgency,
            timeframe=request.form.get("timeframe", ""),
            professional=request.form.get("professional", ""),
            minutes=request.form.get("minutes", ""),
            social_service=request.form.get("social_service", ""),
        )
        update_cases = _checked(request.form, "update_cases")
        try:
            new_text = structure.set_route(text, node_id, change, tree, update_cases=update_cases)
        except StructureError as exc:
            mistakes = exc.mistakes
        else:
            return _save(target, new_text, *_route_notes(found.cases, update_cases))
    return _page(
        "editor/structure_route.html",
        target,
        text,
        mistakes,
        found=found,
        chosen=chosen,
        choices=_route_choices(),
        route_words=ROUTE_DECISION_LABELS,
        urgency_words=URGENCY_LABELS,
    )
