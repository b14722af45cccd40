"""The practice settings form: what the TOML import sets, for the practice manager in the browser.

Opening hours are one text field per weekday ("08:00-12:30, 13:30-17:00"; empty
is closed): seven fields fit on a phone, where 28 time pickers do not. The
rules are those of ``voordeur practices import`` (``portal/practice_file.py``),
so a practice saved here can also be written to the file and imported again.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField, TelField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from ..hours import WEEKDAYS
from ..practice_file import PHONE
from ..storage.practices import Practice

DAY_LABELS = {
    "mon": _l("Monday"),
    "tue": _l("Tuesday"),
    "wed": _l("Wednesday"),
    "thu": _l("Thursday"),
    "fri": _l("Friday"),
    "sat": _l("Saturday"),
    "sun": _l("Sunday"),
}
_PERIOD = re.compile(r"^(\d{1,2})[:.](\d{2})\s*(?:-|–|—|tot|to)\s*(\d{1,2})[:.](\d{2})$")
_CAP_MESSAGE = _l("Enter a whole number of 1 or more, or leave it empty.")
_PHONE_MESSAGE = _l("Enter a phone number with digits only, e.g. 012 345 6789.")


def parse_hours(typed: str) -> list[list[str]]:
    """The periods of one day from what was typed, as ``[["08:00", "12:30"], ...]``; empty is closed.

    Accepts "8.00-17.00" as Dutch people often write it; raises ValueError with
    a message for the form when a period is unreadable, ends before it starts,
    or overlaps the one before.
    """
    periods: list[list[str]] = []
    for part in (p.strip() for p in typed.replace(";", ",").split(",")):
        if not part:
            continue
        found = _PERIOD.match(part)
        try:
            if found is None:
                raise ValueError
            start = time(int(found[1]), int(found[2]))
            end = time(int(found[3]), int(found[4]))
        except ValueError:
            raise ValueError(_l("Write the times as 08:00-17:00. “%(part)s” is not clear.", part=part)) from None
        if start >= end:
            raise ValueError(_l("%(start)s is not before %(end)s.", start=f"{start:%H:%M}", end=f"{end:%H:%M}"))
        if periods and f"{start:%H:%M}" < periods[-1][1]:
            raise ValueError(_l("The periods overlap or are not in order. Write the earliest first."))
        periods.append([f"{start:%H:%M}", f"{end:%H:%M}"])
    return periods


def format_hours(periods: list[list[str]]) -> str:
    """One day's periods as the form shows them: the same text ``parse_hours`` reads."""
    return ", ".join(f"{start}-{end}" for start, end in periods)


def _cap(typed: str) -> int | None:
    """The daily e-consult cap as typed; empty is no limit. Raises ValueError unless a whole number of 1 or more."""
    if not typed.strip():
        return None
    cap = int(typed.strip())
    if cap < 1:
        raise ValueError(typed)
    return cap


def _valid_cap(_form: FlaskForm, field: Field) -> None:
    """Our own message, also for "veel": WTForms' IntegerField says only "Not a valid integer value"."""
    try:
        _cap(field.data or "")
    except ValueError:
        raise ValidationError(_CAP_MESSAGE) from None


def _valid_hours(_form: FlaskForm, field: Field) -> None:
    try:
        parse_hours(field.data or "")
    except ValueError as exc:
        raise ValidationError(str(exc.args[0])) from None


def _other_municipalities(typed: str) -> tuple[str, ...]:
    """One municipality per line, blank lines ignored, each once, in the order typed."""
    names = [line.strip() for line in typed.splitlines() if line.strip()]
    return tuple(dict.fromkeys(names))


def _valid_others(form: PracticeForm, field: Field) -> None:
    names = _other_municipalities(field.data or "")
    if any(len(name) < 2 for name in names):
        raise ValidationError(_l("Write each municipality in full, one per line."))
    if (form.municipality.data or "").strip() in names:
        raise ValidationError(_l("The practice's own municipality is already in the field above."))


def _phone(label: object, required: bool = True) -> TelField:
    first = InputRequired(_l("Enter a phone number.")) if required else Optional()
    return TelField(label, validators=[first, Regexp(PHONE["pattern"], message=_PHONE_MESSAGE)])


class PracticeForm(FlaskForm):
    """Every setting of a practice except its address in the URL (the slug), which links and QR codes use."""

    name = StringField(
        _l("Name of the practice"), validators=[InputRequired(_l("Enter the name of the practice.")), Length(2, 120)]
    )
    phone = _phone(_l("Phone number of the practice"))
    address = StringField(_l("Address (optional)"), validators=[Length(max=200)])
    hap_name = StringField(
        _l("Name of the out-of-hours GP service (huisartsenpost)"),
        validators=[InputRequired(_l("Enter the name of the huisartsenpost.")), Length(2, 120)],
    )
    hap_phone = _phone(_l("Phone number of the huisartsenpost"))
    econsult_daily_cap = StringField(
        _l("Most e-consults per day (optional)"),
        validators=[_valid_cap],
        render_kw={"inputmode": "numeric"},
    )
    municipality = StringField(
        _l("Municipality of the practice"),
        validators=[InputRequired(_l("Enter the municipality.")), Length(2, 80)],
    )
    municipality_phone = _phone(_l("General phone number of the municipality (optional)"), required=False)
    other_municipalities = TextAreaField(
        _l("Other municipalities your patients live in (optional)"), validators=[Length(max=2000), _valid_others]
    )
    mon = StringField(DAY_LABELS["mon"], validators=[Length(max=100), _valid_hours])
    tue = StringField(DAY_LABELS["tue"], validators=[Length(max=100), _valid_hours])
    wed = StringField(DAY_LABELS["wed"], validators=[Length(max=100), _valid_hours])
    thu = StringField(DAY_LABELS["thu"], validators=[Length(max=100), _valid_hours])
    fri = StringField(DAY_LABELS["fri"], validators=[Length(max=100), _valid_hours])
    sat = StringField(DAY_LABELS["sat"], validators=[Length(max=100), _valid_hours])
    sun = StringField(DAY_LABELS["sun"], validators=[Length(max=100), _valid_hours])

    def fill(self, practice: Practice) -> None:
        """Show the saved settings (only on a GET: after a refused POST the form keeps what was typed)."""
        for name in ("name", "phone", "address", "hap_name", "hap_phone", "municipality", "municipality_phone"):
            self[name].data = getattr(practice, name)
        cap = practice.econsult_daily_cap
        # 0 (from an older import) means no limit to the patient side, as empty does: show it as empty.
        self.econsult_daily_cap.data = str(cap) if cap else ""
        self.other_municipalities.data = "\n".join(practice.other_municipalities)
        for day in WEEKDAYS:
            self[day].data = format_hours(practice.opening_hours.get(day, []))

    def practice(self, saved: Practice) -> Practice:
        """The saved practice with what this (valid) form says; a closed day is left out, as in the TOML file."""
        hours = {day: parse_hours(self[day].data or "") for day in WEEKDAYS}
        return replace(
            saved,
            name=(self.name.data or "").strip(),
            phone=(self.phone.data or "").strip(),
            address=(self.address.data or "").strip(),
            hap_name=(self.hap_name.data or "").strip(),
            hap_phone=(self.hap_phone.data or "").strip(),
            econsult_daily_cap=_cap(self.econsult_daily_cap.data or ""),
            municipality=(self.municipality.data or "").strip(),
            municipality_phone=(self.municipality_phone.data or "").strip(),
            other_municipalities=_other_municipalities(self.other_municipalities.data or ""),
            opening_hours={day: periods for day, periods in hours.items() if periods},
        )
