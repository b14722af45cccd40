from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[InputRequired(_l("Enter your e-mail address."))])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password."))])


class CodeForm(FlaskForm):
    code = StringField(
        _l("6-digit code from your authenticator app"),
        validators=[
            InputRequired(_l("Enter the 6-digit code.")),
            Regexp(r"^\s*\d{3}\s*\d{3}\s*$", message=_l("The code has 6 digits.")),
            Length(max=12),
        ],
    )


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[InputRequired(_l("Enter your current password."))])
    new = PasswordField(
        _l("New password"),
        validators=[InputRequired(_l("Enter a new password.")), Length(max=200)],
    )
    repeat = PasswordField(
        _l("New password again"),
        validators=[InputRequired(_l("Enter the new password again.")), EqualTo("new", _l("The two do not match."))],
    )
