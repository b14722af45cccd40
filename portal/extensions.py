"""Extension objects, created once and bound to the app in ``create_app``."""

from flask_htmx import HTMX

from .signed_tokens import CSRFProtect  # Flask-WTF's, recognising the tokens it handed out

csrf = CSRFProtect()
htmx = HTMX()
