from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..vocabulary import ROUTE_DECISION_LABELS, Route, Urgency

ROUTE_CHOICES = [SelectChoice(route.value, ROUTE_DECISION_LABELS[route]) for route in Route]
URGENCY_CHOICES = [SelectChoice(urgency.value, urgency.value) for urgency in Urgency]
REROUTES = {
    "appointment": _l("Please call the practice to make an appointment."),
    "self_care": _l("You can take care of this yourself. The practice has put the advice on this page."),
    "social_domain": _l("The practice advises you to contact the social services of your municipality."),
    "huisartsenpost": _l("Please call the out-of-hours GP service (huisartsenpost)."),
}


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Reply to the patient"),
        validators=[InputRequired(_l("Write a reply.")), Length(max=4000)],
    )


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
