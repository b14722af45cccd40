"""The words of Voordeur's domain, each in one place: the codes we store and the labels people read.

A request kind, a role or a route used to be spelled out wherever it was needed: a
tuple in a storage module, a dict inside a template, a click option, a CHECK list.
Adding one request kind touched eight files, and nothing noticed the one that was
forgotten. Here each list is an enum, and its labels sit right below it.
``tests/unit/test_vocabulary.py`` checks the enums against the JSON schemas, the
migrations' CHECK lists and the Dutch catalogue, so a list cannot drift unnoticed.

The values are stored — in the database, the routing log, the audit log and the
exports — so never change one; add a member instead (and a migration when the
database checks the column). ``Route`` and ``Urgency`` belong to the pure triage core,
which must not import Flask: they are defined in ``portal.triage.model`` and labelled
here.

Labels are lazy (``lazy_gettext``): each is translated when it is shown, in the
language of that request. Templates read this module as the Jinja global
``vocabulary``, e.g. ``vocabulary.REQUEST_KIND_LABELS[item.kind]``; a stored value is
a plain string, and a ``StrEnum`` member is equal to (and hashes like) its value, so
the mappings can be indexed with either.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeAlias, TypeVar

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from .triage.model import Route, Urgency

__all__ = [
    "AUDIT_ROLES",
    "COUNTERFACTUAL_LABELS",
    "COUNTERFACTUAL_SHORT_LABELS",
    "EDITOR_ROLES",
    "EVALUATION_ROLES",
    "FEEDBACK_REASON_LABELS",
    "INBOX_ROLES",
    "LABELS",
    "MESSAGE_AUTHOR_LABELS",
    "MESSAGE_AUTHOR_PATIENT_LABELS",
    "PRACTICE_ROLES",
    "PROFESSIONAL_LABELS",
    "REQUEST_KIND_BUTTONS",
    "REQUEST_KIND_FOR_ROUTE",
    "REQUEST_KIND_LABELS",
    "REQUEST_KIND_TITLES",
    "REQUEST_STATUS_LABELS",
    "REQUEST_STATUS_PATIENT_LABELS",
    "REVIEW_ROLES",
    "ROLE_LABELS",
    "ROUTE_DECISION_LABELS",
    "ROUTE_LABELS",
    "ROUTE_PREFIXES",
    "SOCIAL_SERVICE_DESCRIPTIONS",
    "SOCIAL_SERVICE_LABELS",
    "TEMPLATE_ROLES",
    "THEME_LABELS",
    "TIMEFRAME_LABELS",
    "URGENCY_LABELS",
    "Counterfactual",
    "FeedbackReason",
    "Label",
    "MessageAuthor",
    "Professional",
    "RequestKind",
    "RequestStatus",
    "Role",
    "Route",
    "SocialService",
    "Theme",
    "Timeframe",
    "Urgency",
    "member",
]

#: What a label is: a string translated when it is shown.
Label: TypeAlias = LazyString
E = TypeVar("E", bound=StrEnum)


def member(enum: type[E], value: str | None) -> E | None:
    """The member of ``enum`` stored as ``value``, or None for anything else.

    For values from outside (a query string, a form field, a CLI argument): on Python
    3.11 ``"x" in SomeEnum`` raises TypeError for a plain string, and ``SomeEnum("x")``
    raises ValueError for an unknown one.
    """
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        return None


# --- routes and urgencies (defined in the triage core) ---------------------------------------

#: The short name of a route: the evaluation dashboard's columns and rows.
ROUTE_LABELS: Mapping[Route, Label] = {
    Route.EMERGENCY: _l("112"),
    Route.URGENT: _l("Urgent"),
    Route.APPOINTMENT: _l("Appointment"),
    Route.ECONSULT: _l("E-consult"),
    Route.SELF_CARE: _l("Self-care"),
    Route.SOCIAL_DOMAIN: _l("Social domain"),
}

#: A route as an assistant chooses it when closing a request (the final disposition).
ROUTE_DECISION_LABELS: Mapping[Route, Label] = {
    Route.EMERGENCY: _l("Emergency (112)"),
    Route.URGENT: _l("Urgent (call now / huisartsenpost)"),
    Route.APPOINTMENT: _l("Appointment"),
    Route.ECONSULT: _l("E-consult"),
    Route.SELF_CARE: _l("Self-care"),
    Route.SOCIAL_DOMAIN: _l("Social domain"),
}

#: Read out before an outcome's title, for those who cannot see the care card's colour.
ROUTE_PREFIXES: Mapping[Route, Label] = {
    Route.EMERGENCY: _l("Emergency:"),
    Route.URGENT: _l("Urgent:"),
    Route.APPOINTMENT: _l("Not urgent:"),
    Route.ECONSULT: _l("Not urgent:"),
    Route.SELF_CARE: _l("Not urgent:"),
    Route.SOCIAL_DOMAIN: _l("Not urgent:"),
}

#: What each NTS urgency means. Staff screens show the code itself (U1 … U5), which
#: assistants know; the meaning is here for pages that need to spell it out.
URGENCY_LABELS: Mapping[Urgency, Label] = {
    Urgency.U1: _l("U1: life-threatening"),
    Urgency.U2: _l("U2: emergency, within an hour"),
    Urgency.U3: _l("U3: urgent, within a few hours"),
    Urgency.U4: _l("U4: not urgent, within 24 hours"),
    Urgency.U5: _l("U5: advice, no chance of harm"),
}


# --- requests to the practice ----------------------------------------------------------------


class RequestKind(StrEnum):
    """What a patient can send the practice from an outcome page (``requests.kind``)."""

    ECONSULT = "econsult"
    APPOINTMENT = "appointment"
    SOCIAL = "social"
    CALLBACK = "callback"


#: The request each route lets a patient send. The other routes send nothing: 112 is
#: called, self-care needs no practice.
REQUEST_KIND_FOR_ROUTE: Mapping[Route, RequestKind] = {
    Route.ECONSULT: RequestKind.ECONSULT,
    Route.APPOINTMENT: RequestKind.APPOINTMENT,
    Route.SOCIAL_DOMAIN: RequestKind.SOCIAL,
    Route.URGENT: RequestKind.CALLBACK,
}

#: The staff's name for a request (inbox list, filter and detail page).
REQUEST_KIND_LABELS: Mapping[RequestKind, Label] = {
    RequestKind.ECONSULT: _l("E-consult"),
    RequestKind.APPOINTMENT: _l("Appointment request"),
    RequestKind.SOCIAL: _l("Social referral"),
    RequestKind.CALLBACK: _l("Call-back"),
}

#: The heading of the patient's form.
REQUEST_KIND_TITLES: Mapping[RequestKind, Label] = {
    RequestKind.ECONSULT: _l("Ask your question (e-consult)"),
    RequestKind.APPOINTMENT: _l("Request an appointment"),
    RequestKind.SOCIAL: _l("Ask to be contacted"),
    RequestKind.CALLBACK: _l("Ask the practice to call you back"),
}

#: The button on the outcome page that opens the form.
REQUEST_KIND_BUTTONS: Mapping[RequestKind, Label] = {
    RequestKind.ECONSULT: _l("Ask your question in writing"),
    RequestKind.APPOINTMENT: _l("Request an appointment online"),
    RequestKind.SOCIAL: _l("Ask to be contacted by the municipality"),
    RequestKind.CALLBACK: _l("Ask to be called back"),
}


class RequestStatus(StrEnum):
    """Where a request is in the practice's inbox (``requests.status``), in this order."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"


#: The inbox's words for a status.
REQUEST_STATUS_LABELS: Mapping[RequestStatus, Label] = {
    RequestStatus.NEW: _l("New"),
    RequestStatus.IN_PROGRESS: _l("In progress"),
    RequestStatus.ANSWERED: _l("Answered"),
    RequestStatus.CLOSED: _l("Closed"),
}

#: The patient's words for a status (their status page): "new" to them is "received".
REQUEST_STATUS_PATIENT_LABELS: Mapping[RequestStatus, Label] = {
    RequestStatus.NEW: _l("Received"),
    RequestStatus.IN_PROGRESS: _l("Being handled"),
    RequestStatus.ANSWERED: _l("Answered"),
    RequestStatus.CLOSED: _l("Closed"),
}


class MessageAuthor(StrEnum):
    """Who wrote a message about a request (``request_messages.author``): both sides of the conversation."""

    PRACTICE = "practice"
    PATIENT = "patient"


#: The author as the assistant reads it in the request's conversation.
MESSAGE_AUTHOR_LABELS: Mapping[MessageAuthor, Label] = {
    MessageAuthor.PRACTICE: _l("Practice"),
    MessageAuthor.PATIENT: _l("Patient"),
}

#: The author as the patient reads it on the status page.
MESSAGE_AUTHOR_PATIENT_LABELS: Mapping[MessageAuthor, Label] = {
    MessageAuthor.PRACTICE: _l("The practice"),
    MessageAuthor.PATIENT: _l("You"),
}


# --- staff -----------------------------------------------------------------------------------


class Role(StrEnum):
    """A staff account's role (``staff.role``): which parts of the staff side it opens."""

    ASSISTANT = "assistant"
    EDITOR = "editor"
    EVALUATOR = "evaluator"
    ADMIN = "admin"
    #: Works the inbox like an assistant and manages the practice's reply templates.
    PRACTICE_MANAGER = "practice_manager"
    #: Reviews content changes; only this role approves a change to clinical logic (issue 14).
    CLINICAL_REVIEWER = "clinical_reviewer"


ROLE_LABELS: Mapping[Role, Label] = {
    Role.ASSISTANT: _l("Assistant"),
    Role.EDITOR: _l("Editor"),
    Role.EVALUATOR: _l("Evaluator"),
    Role.ADMIN: _l("Administrator"),
    Role.PRACTICE_MANAGER: _l("Practice manager"),
    Role.CLINICAL_REVIEWER: _l("Clinical reviewer"),
}

# Who may open each part of the staff side: an admin opens every part.
#: The inbox of one's practices.
INBOX_ROLES = (Role.ASSISTANT, Role.PRACTICE_MANAGER, Role.ADMIN)
#: The reply templates of one's practices (assistants use them, but do not change them).
TEMPLATE_ROLES = (Role.PRACTICE_MANAGER, Role.ADMIN)
#: The settings of one's practices (phones, opening hours, e-consult cap, municipalities).
PRACTICE_ROLES = (Role.PRACTICE_MANAGER, Role.ADMIN)
#: The editors' workbench: writing drafts of trees and pages.
EDITOR_ROLES = (Role.EDITOR, Role.ADMIN)
#: Reviewing content changes (and reading the workbench): editors review wording, clinical reviewers also logic.
REVIEW_ROLES = (Role.EDITOR, Role.CLINICAL_REVIEWER, Role.ADMIN)
#: The evaluation dashboard and its exports.
EVALUATION_ROLES = (Role.EVALUATOR, Role.ADMIN)
#: The audit log.
AUDIT_ROLES = (Role.ADMIN,)


# --- what patients tell us -------------------------------------------------------------------


class Counterfactual(StrEnum):
    """Answers to "What would you have done if this website did not exist?" (``triage_runs.counterfactual``)."""

    PRACTICE = "practice"
    HUISARTSENPOST = "huisartsenpost"
    PHARMACY = "pharmacy"
    NOTHING = "nothing"
    OTHER = "other"


#: The answers as the patient reads them on the outcome page.
COUNTERFACTUAL_LABELS: Mapping[Counterfactual, Label] = {
    Counterfactual.PRACTICE: _l("Called the practice for an appointment"),
    Counterfactual.HUISARTSENPOST: _l("Called the huisartsenpost"),
    Counterfactual.PHARMACY: _l("Gone to the pharmacy"),
    Counterfactual.NOTHING: _l("Nothing"),
    Counterfactual.OTHER: _l("Something else"),
}

#: The same answers, shorter, as rows of the evaluation dashboard.
COUNTERFACTUAL_SHORT_LABELS: Mapping[Counterfactual, Label] = {
    Counterfactual.PRACTICE: _l("Called the practice"),
    Counterfactual.HUISARTSENPOST: _l("Called the huisartsenpost"),
    Counterfactual.PHARMACY: _l("Gone to the pharmacy"),
    Counterfactual.NOTHING: _l("Nothing"),
    Counterfactual.OTHER: _l("Something else"),
}


class FeedbackReason(StrEnum):
    """Why a self-help page did not help (``page_feedback.reason``): a fixed list, never free text."""

    NOT_MY_COMPLAINT = "not_my_complaint"
    TOO_HARD = "too_hard"
    STILL_WORRIED = "still_worried"
    WANT_TO_SEE_DOCTOR = "want_to_see_doctor"
    OTHER = "other"


FEEDBACK_REASON_LABELS: Mapping[FeedbackReason, Label] = {
    FeedbackReason.NOT_MY_COMPLAINT: _l("It is not about my complaint"),
    FeedbackReason.TOO_HARD: _l("It is hard to understand"),
    FeedbackReason.STILL_WORRIED: _l("I am still worried"),
    FeedbackReason.WANT_TO_SEE_DOCTOR: _l("I want to see the doctor"),
    FeedbackReason.OTHER: _l("Something else"),
}


# --- codes in the content files (their JSON schemas list the same values) --------------------


class Theme(StrEnum):
    """Where a self-help page is browsed (``theme`` in a page's front matter)."""

    HEAD_AND_NECK = "head_and_neck"
    CHEST_AND_BREATHING = "chest_and_breathing"
    BELLY = "belly"
    SKIN = "skin"
    MUSCLES_AND_JOINTS = "muscles_and_joints"
    MIND_AND_SLEEP = "mind_and_sleep"
    CHILD = "child"
    MONEY_AND_HOME = "money_and_home"
    GENERAL = "general"


THEME_LABELS: Mapping[Theme, Label] = {
    Theme.HEAD_AND_NECK: _l("Head and neck"),
    Theme.CHEST_AND_BREATHING: _l("Chest and breathing"),
    Theme.BELLY: _l("Belly"),
    Theme.SKIN: _l("Skin"),
    Theme.MUSCLES_AND_JOINTS: _l("Muscles and joints"),
    Theme.MIND_AND_SLEEP: _l("Feelings and sleep"),
    Theme.CHILD: _l("Children"),
    Theme.MONEY_AND_HOME: _l("Money, home and help from the municipality"),
    Theme.GENERAL: _l("General"),
}


class Timeframe(StrEnum):
    """How soon an appointment outcome wants the patient seen (``appointment.timeframe`` in a tree)."""

    TODAY = "today"
    WITHIN_24H = "within_24h"
    WITHIN_3_DAYS = "within_3_days"
    WITHIN_2_WEEKS = "within_2_weeks"


TIMEFRAME_LABELS: Mapping[Timeframe, Label] = {
    Timeframe.TODAY: _l("today"),
    Timeframe.WITHIN_24H: _l("today or tomorrow"),
    Timeframe.WITHIN_3_DAYS: _l("within 3 days"),
    Timeframe.WITHIN_2_WEEKS: _l("within 2 weeks"),
}


class Professional(StrEnum):
    """Whom an appointment outcome sends the patient to (``appointment.professional`` in a tree)."""

    HUISARTS = "huisarts"
    POH_SOMATIEK = "poh_somatiek"
    POH_GGZ = "poh_ggz"
    ASSISTENT = "assistent"


PROFESSIONAL_LABELS: Mapping[Professional, Label] = {
    Professional.HUISARTS: _l("the GP (huisarts)"),
    Professional.POH_SOMATIEK: _l("the practice nurse (POH)"),
    Professional.POH_GGZ: _l("the practice mental health nurse (POH-GGZ)"),
    Professional.ASSISTENT: _l("the doctor's assistant"),
}


class SocialService(StrEnum):
    """A kind of help in the social domain (``social_service`` in a tree, ``type`` in a social map)."""

    WELZIJN_OP_RECEPT = "welzijn_op_recept"
    SOCIAAL_WIJKTEAM = "sociaal_wijkteam"
    SCHULDHULP = "schuldhulp"
    MANTELZORGONDERSTEUNING = "mantelzorgondersteuning"
    CENTRUM_JEUGD_GEZIN = "centrum_jeugd_gezin"
    WMO_LOKET = "wmo_loket"
    DIGITALE_HULP = "digitale_hulp"
    TAALHULP = "taalhulp"


#: The name patients ask the municipality for.
SOCIAL_SERVICE_LABELS: Mapping[SocialService, Label] = {
    SocialService.WELZIJN_OP_RECEPT: _l("Welzijn op Recept"),
    SocialService.SOCIAAL_WIJKTEAM: _l("Sociaal wijkteam"),
    SocialService.SCHULDHULP: _l("Schuldhulpverlening (debt help)"),
    SocialService.MANTELZORGONDERSTEUNING: _l("Mantelzorgondersteuning (carer support)"),
    SocialService.CENTRUM_JEUGD_GEZIN: _l("Centrum voor Jeugd en Gezin"),
    SocialService.WMO_LOKET: _l("Wmo-loket"),
    SocialService.DIGITALE_HULP: _l("Help with digital things"),
    SocialService.TAALHULP: _l("Language support"),
}

#: What it is for, when the practice's municipality has no entry of its own in the social map.
SOCIAL_SERVICE_DESCRIPTIONS: Mapping[SocialService, Label] = {
    SocialService.WELZIJN_OP_RECEPT: _l("A wellbeing coach helps you find activities and people that give you energy."),
    SocialService.SOCIAAL_WIJKTEAM: _l("The neighbourhood team helps with care, money, housing and family matters."),
    SocialService.SCHULDHULP: _l("Free help from your municipality with debts and bills you cannot pay."),
    SocialService.MANTELZORGONDERSTEUNING: _l(
        "Advice, a listening ear and sometimes a replacement, so caring does not become too much."
    ),
    SocialService.CENTRUM_JEUGD_GEZIN: _l("Help with raising children and questions about growing up."),
    SocialService.WMO_LOKET: _l("Help at home, aids and adjustments, so you can keep living independently."),
    SocialService.DIGITALE_HULP: _l("Free help with computers, phones and online forms, for example at the library."),
    SocialService.TAALHULP: _l("Help with reading, writing and speaking Dutch."),
}


#: Every enum with all its label mappings, the main one first: the test checks that each
#: mapping labels every member, in English and in Dutch.
LABELS: Mapping[type[StrEnum], tuple[Mapping, ...]] = {
    Route: (ROUTE_LABELS, ROUTE_DECISION_LABELS, ROUTE_PREFIXES),
    Urgency: (URGENCY_LABELS,),
    RequestKind: (REQUEST_KIND_LABELS, REQUEST_KIND_TITLES, REQUEST_KIND_BUTTONS),
    RequestStatus: (REQUEST_STATUS_LABELS, REQUEST_STATUS_PATIENT_LABELS),
    MessageAuthor: (MESSAGE_AUTHOR_LABELS, MESSAGE_AUTHOR_PATIENT_LABELS),
    Role: (ROLE_LABELS,),
    Counterfactual: (COUNTERFACTUAL_LABELS, COUNTERFACTUAL_SHORT_LABELS),
    FeedbackReason: (FEEDBACK_REASON_LABELS,),
    Theme: (THEME_LABELS,),
    Timeframe: (TIMEFRAME_LABELS,),
    Professional: (PROFESSIONAL_LABELS,),
    SocialService: (SOCIAL_SERVICE_LABELS, SOCIAL_SERVICE_DESCRIPTIONS),
}
