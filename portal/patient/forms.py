"""A WTForms form for whatever page the engine asks next.

Built per page from the tree, so the choices a patient may send are exactly
the answers the engine accepts for their profile.
"""

from __future__ import annotations

from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired

from ..triage.engine import Page
from ..triage.model import Profile


def page_form(page: Page, profile: Profile, locale: str, data: dict[str, str]) -> FlaskForm:
    """A form with one radio group per question on the page, pre-filled from ``data``."""
    offered = tuple((question, question.answers_for(profile)) for question in page.questions)
    return _form_class(offered, locale)(data=data)


@lru_cache(maxsize=512)
def _form_class(offered: tuple, locale: str) -> type[FlaskForm]:
    """Building a form class is costly; pages and their answers are immutable, so cache it."""

    class PageForm(FlaskForm):
        pass

    for question, answers in offered:
        field = RadioField(
            question.text.get(locale),
            choices=[SelectChoice(a.value, a.label.get(locale)) for a in answers],
            validators=[InputRequired(message=_l("Choose an answer."))],
        )
        setattr(PageForm, question.id, field)
    return PageForm


def answers_from(form: FlaskForm, page: Page) -> dict[str, str]:
    return {q.id: form[q.id].data for q in page.questions}
