"""A WTForms form for whatever page the engine asks next.

Built per page from the tree, so the choices a patient may send are exactly
the answers the engine accepts for their profile.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from .. import clock
from ..photos import MAX_PHOTOS, PhotoRefused, Problem
from ..triage.engine import Page
from ..triage.model import NONE, AnswerValue, Checklist, Profile, Question
from ..vocabulary import RequestKind


def page_form(
    page: Page, profile: Profile, locale: str, data: Mapping[str, AnswerValue], *, from_request: bool = True
) -> FlaskForm:
    """A form with one radio group per question (a group of checkboxes per checklist), pre-filled from ``data``.

    On a POST the form reads the request too (as every FlaskForm does); a page
    rendered for other patients as well (``pagecache``) passes ``from_request=False``,
    so nothing one request sent can end up in another patient's page.
    """
    offered = tuple((question, question.answers_for(profile)) for question in page.questions)
    form_class = _form_class(offered, locale)
    filled = {q: (v if isinstance(v, str) else list(v)) for q, v in data.items()}
    return form_class(data=filled) if from_request else form_class(formdata=None, data=filled)


@lru_cache(maxsize=512)
def _form_class(offered: tuple, locale: str) -> type[FlaskForm]:
    """Building a form class is costly; pages and their answers are immutable, so cache it."""

    class PageForm(FlaskForm):
        pass

    for question, answers in offered:
        choices = [SelectChoice(a.value, a.label.get(locale)) for a in answers]
        if isinstance(question, Checklist):
            field = SelectMultipleField(
                question.text.get(locale),
                choices=choices,
                validators=[CheckedCoherently()],
                widget=ListWidget(prefix_label=False),
                option_widget=CheckboxInput(),
            )
        else:
            field = RadioField(
                question.text.get(locale),
                choices=choices,
                validators=[InputRequired(message=_l("Choose an answer."))],
            )
        setattr(PageForm, question.id, field)
    return PageForm


class CheckedCoherently:
    """A checklist needs at least one tick, and "none of these" cannot go with another tick.

    The patient is told which, and the boxes they ticked stay ticked (WTForms
    keeps the posted data), so nothing has to be ticked again.
    """

    def __call__(self, form: FlaskForm, field: SelectMultipleField) -> None:
        values = field.data or []
        if not values:
            raise StopValidation(_l("Tick every box that applies, or tick 'No, none of these'."))
        if NONE in values and len(values) > 1:
            raise StopValidation(_l("You ticked 'none of these' and another box. Untick one of them."))


def answers_from(form: FlaskForm, page: Page) -> dict[str, AnswerValue]:
    return {q.id: list(form[q.id].data) if isinstance(q, Checklist) else form[q.id].data for q in page.questions}


def posted_answers(page: Page, profile: Profile) -> dict[str, AnswerValue] | None:
    """The page's answers from this POST when they are all valid, without building a form; else None.

    Building the WTForms form to read a few radio buttons, only to redirect, cost
    more than the answer's write. This gives exactly what ``page_form`` +
    ``validate_on_submit`` + ``answers_from`` give for a valid POST: one offered
    answer per question. It answers None, and the view builds the form as before
    (which reports the errors, and checks the CSRF token itself), whenever
    anything differs from the plain case: an answer missing or not offered, a
    file part, or a CSRF token that CSRFProtect has not validated in this request
    (the CSRF error handler re-runs the view to show what was typed; the form's
    own check must refuse that request).
    """
    if request.method != "POST":  # first: every page view asks, and a GET needs no other look
        return None
    csrf_checked = g.get("csrf_valid", False) or not current_app.config.get("WTF_CSRF_ENABLED", True)
    if not csrf_checked or request.files:
        return None
    answers: dict[str, AnswerValue] = {}
    for question in page.questions:
        if isinstance(question, Checklist):
            ticked = _posted_ticks(question, profile)
            if ticked is None:
                return None
            answers[question.id] = ticked
            continue
        value = request.form.get(question.id)
        if not value or not any(a.value == value for a in question.answers_for(profile)):
            return None
        answers[question.id] = value
    return answers


def _posted_ticks(question: Question, profile: Profile) -> list[str] | None:
    """The ticked boxes in listed order when they make a valid answer; else None (the form reports why)."""
    posted = set(request.form.getlist(question.id))
    offered = [a.value for a in question.answers_for(profile)]
    if not posted or not posted <= set(offered) or (NONE in posted and len(posted) > 1):
        return None
    return [value for value in offered if value in posted]


DAYPARTS = [
    SelectChoice("morning", _l("Morning")),
    SelectChoice("afternoon", _l("Afternoon")),
    SelectChoice("any", _l("Any time")),
]
FOR_WHOM = [
    SelectChoice("self", _l("For myself")),
    SelectChoice("child", _l("For my child")),
    SelectChoice("other", _l("For someone else")),
]


# Characters that change how text reads without being seen: bidi controls (an
# RLO made "Jan" and a complaint read backwards in the inbox), zero-width
# characters (a name of only U+200B looked filled in), and other format characters.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")


def clean_name(value: str | None) -> str | None:
    """A name as it will show in the inbox: no invisible or direction-changing characters,
    no surrounding or doubled white space."""
    if value is None:
        return None
    return " ".join(_INVISIBLE.sub("", value).split())


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class DateProblem(ValueError):
    """One problem with a typed date: which box to fix first (``day``/``month``/``year``) and what to say."""

    def __init__(self, field: str, message: object) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message


def birth_date(day: str | None, month: str | None, year: str | None, today: date) -> date:
    """The date the three boxes make, or DateProblem with one message (GOV.UK: one error per problem)."""
    parts = {"day": (day or "").strip(), "month": (month or "").strip(), "year": (year or "").strip()}
    missing = [name for name, value in parts.items() if not value]
    if len(missing) == 3:
        raise DateProblem("day", _l("Enter the date of birth, for example 31 3 1980."))
    if missing:
        raise DateProblem(missing[0], MISSING_PART[missing[0]])
    not_numbers = [name for name, value in parts.items() if not value.isascii() or not value.isdigit()]
    if not_numbers:
        raise DateProblem(not_numbers[0], _l("The date must be a real date."))
    if len(parts["year"]) != 4:
        raise DateProblem("year", _l("Enter the year with 4 digits, for example 1980."))
    try:
        typed = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        wrong = "month" if not 1 <= int(parts["month"]) <= 12 else "day"
        raise DateProblem(wrong, _l("The date must be a real date.")) from None
    if typed > today:
        raise DateProblem("day", _l("The date of birth must be today or in the past."))
    if typed.year < 1900:
        raise DateProblem("year", _l("The year must be 1900 or later."))
    return typed


MISSING_PART = {
    "day": _l("The date of birth must include a day."),
    "month": _l("The date of birth must include a month."),
    "year": _l("The date of birth must include a year."),
}


class RequestForm(FlaskForm):
    """What a patient sends to the practice. ``kind`` decides which fields are required."""

    name = StringField(
        _l("Full name of the patient"),
        filters=[clean_name],
        validators=[DataRequired(_l("Enter the patient's name.")), Length(max=100)],
    )
    # Three boxes (GOV.UK date input), not the browser's date picker: typing a birth date is quicker
    # than paging back decades, and what was typed is shown again exactly as typed.
    birth_day = StringField(_l("Day"), filters=[_stripped])
    birth_month = StringField(_l("Month"), filters=[_stripped])
    birth_year = StringField(_l("Year"), filters=[_stripped])
    for_whom = RadioField(_l("Who is this for?"), choices=FOR_WHOM, default="self")
    contact_name = StringField(
        _l("Your own name (parent or carer)"), filters=[clean_name], validators=[Length(max=100)]
    )
    phone = TelField(
        _l("Phone number"),
        validators=[
            Optional(),
            Regexp(r"^[0-9 +()-]{8,20}$", message=_l("Enter a phone number, e.g. 06 12345678.")),
        ],
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[
            Optional(),
            Length(max=254),
            # One address, checked by email-validator (a regular expression let
            # "a@b.nl,postmaster" through: a list of recipients).
            Email(message=_l("Enter one e-mail address, for example naam@voorbeeld.nl."), check_deliverability=False),
        ],
    )
    message = TextAreaField(_l("Your question"), validators=[Length(max=2000)])
    dayparts = SelectMultipleField(
        _l("When can you come?"),
        choices=DAYPARTS,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    consent = BooleanField(_l("Yes, the social services of my municipality may contact me about this."))
    photos = MultipleFileField(_l("Photos (if you want)"))
    idempotency_key = HiddenField(validators=[Optional(), Length(max=64), Regexp(r"^[A-Za-z0-9_-]+$")])
    alarm_ack = HiddenField()

    def __init__(self, *args: object, kind: RequestKind, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.birth_date: date | None = None  # set by validate() when the three boxes make a real date

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.birth_date = None
        try:
            self.birth_date = birth_date(
                self.birth_day.data, self.birth_month.data, self.birth_year.data, clock.local().date()
            )
        except DateProblem as problem:
            field = getattr(self, f"birth_{problem.field}")  # the error summary links to the first box to fix
            field.errors = [*field.errors, problem.message]
            valid = False
        if self.for_whom.data in ("child", "other") and not (self.contact_name.data or "").strip():
            self.contact_name.errors = [*self.contact_name.errors, _l("Enter your own name.")]
            valid = False
        if self.kind is RequestKind.CALLBACK and not self.phone.data:
            self.phone.errors = [*self.phone.errors, _l("Enter a phone number so the practice can call you.")]
            valid = False
        elif not (self.phone.data or self.email.data):
            self.phone.errors = [*self.phone.errors, _l("Enter a phone number or an e-mail address.")]
            valid = False
        if self.kind is RequestKind.ECONSULT and not (self.message.data or "").strip():
            self.message.errors = [*self.message.errors, _l("Write your question.")]
            valid = False
        if self.kind is RequestKind.APPOINTMENT and not self.dayparts.data:
            self.dayparts.errors = [*self.dayparts.errors, _l("Choose when you can come.")]
            valid = False
        if self.kind is RequestKind.SOCIAL and not self.consent.data:
            self.consent.errors = [
                *self.consent.errors,
                _l("Tick the box, or call the municipality yourself."),
            ]
            valid = False
        return valid


def photo_problem(refused: PhotoRefused) -> str:
    """What the patient reads about a refused photo: which one, why, and what to do instead."""
    name = refused.filename
    match refused.problem:
        case Problem.EMPTY:
            return _("“%(name)s” is empty. Choose the photo again.", name=name)
        case Problem.TOO_LARGE:
            return _("“%(name)s” is larger than 10 MB. Send a smaller photo, or a screenshot of it.", name=name)
        case Problem.HEIC:
            return _(
                "“%(name)s” is a HEIC photo, which we cannot open. Send it as a JPEG photo, or a screenshot of it.",
                name=name,
            )
        case Problem.TOO_MANY_PIXELS:
            return _("“%(name)s” has too many pixels to open. Send a smaller photo, or a screenshot of it.", name=name)
        case Problem.BROKEN:
            return _("“%(name)s” is damaged or incomplete. Take the photo again, or send a screenshot.", name=name)
        case Problem.TOO_MANY:
            return _(
                "“%(name)s” was not added: you can send at most %(max)d photos. Remove a photo first.",
                name=name,
                max=MAX_PHOTOS,
            )
        case Problem.TOO_MANY_UPLOADS:
            return _("“%(name)s” was not added: many photos were chosen on this form. Try again in an hour.", name=name)
        case _:
            return _("“%(name)s” is not a photo we can open. Send a JPEG, PNG or HEIC photo.", name=name)
