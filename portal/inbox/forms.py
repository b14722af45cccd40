from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..vocabulary import ROUTE_DECISION_LABELS, Route, Urgency, member
from .placeholders import unknown

ROUTE_CHOICES = [SelectChoice(route.value, ROUTE_DECISION_LABELS[route]) for route in Route]
URGENCY_CHOICES = [SelectChoice(urgency.value, urgency.value) for urgency in Urgency]
REROUTES = {
    "appointment": _l("Please call the practice to make an appointment."),
    "self_care": _l("You can take care of this yourself. The practice has put the advice on this page."),
    "social_domain": _l("The practice advises you to contact the social services of your municipality."),
    "huisartsenpost": _l("Please call the out-of-hours GP service (huisartsenpost)."),
}


class ReplyForm(FlaskForm):
    """The common path in one submit: the reply, and (ticked) the close with the final decision.

    Route and urgency are prefilled from the triage; they are only checked when the
    request is closed, so a plain reply (or an older client) needs neither.
    """

    body = TextAreaField(
        _l("Reply to the patient"),
        # Stripped first: a reply of only spaces was accepted and sent as an empty message.
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        validators=[DataRequired(_l("Write a reply.")), Length(max=4000)],
    )
    template = HiddenField()
    # Own ids: the separate close form on the same page has fields named route and urgency too.
    close = BooleanField(_l("Close after sending"), id="reply-close")
    route = SelectField(_l("Final route"), choices=ROUTE_CHOICES, validate_choice=False, id="reply-route")
    urgency = SelectField(_l("Final urgency"), choices=URGENCY_CHOICES, validate_choice=False, id="reply-urgency")

    def validate_route(self, field: SelectField) -> None:
        if self.close.data and member(Route, field.data) is None:
            raise ValidationError(_l("Choose the final route."))

    def validate_urgency(self, field: SelectField) -> None:
        if self.close.data and member(Urgency, field.data) is None:
            raise ValidationError(_l("Choose the final urgency."))


def _known_placeholders(_form: FlaskForm, field: TextAreaField) -> None:
    """A typo such as {voornam} would reach the patient as it is: refuse it here."""
    wrong = ", ".join("{" + name + "}" for name in unknown(field.data or ""))
    if wrong:
        raise ValidationError(_l("Unknown placeholder: %(names)s. Use {voornaam} or {praktijk_telefoon}.", names=wrong))


class TemplateForm(FlaskForm):
    """A reply template as the practice manager writes it. ``page`` gets its choices from the view."""

    title = StringField(
        _l("Name of the template"),
        validators=[InputRequired(_l("Give the template a name.")), Length(max=100)],
    )
    body_nl = TextAreaField(
        _l("Text in Dutch"),
        validators=[InputRequired(_l("Write the Dutch text.")), Length(max=4000), _known_placeholders],
    )
    body_en = TextAreaField(_l("Text in English (optional)"), validators=[Length(max=4000), _known_placeholders])
    page = SelectField(_l("Link to a self-help page (optional)"), choices=[])


class RerouteForm(FlaskForm):
    target = RadioField(
        _l("Send the patient to"),
        choices=[SelectChoice(key, key) for key in REROUTES],
        validators=[InputRequired(_l("Choose where to send the patient."))],
    )
    note = TextAreaField(_l("Note for the patient (optional)"), validators=[Length(max=2000)])


class CloseForm(FlaskForm):
    route = SelectField(_l("Final route"), choices=ROUTE_CHOICES, validators=[InputRequired()])
    urgency = SelectField(_l("Final urgency"), choices=URGENCY_CHOICES, validators=[InputRequired()])
