"""Words for codes patients see on outcome pages (translated via Babel)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TIMEFRAMES = {
    "today": _l("today"),
    "within_24h": _l("today or tomorrow"),
    "within_3_days": _l("within 3 days"),
    "within_2_weeks": _l("within 2 weeks"),
}

PROFESSIONALS = {
    "huisarts": _l("the GP (huisarts)"),
    "poh_somatiek": _l("the practice nurse (POH)"),
    "poh_ggz": _l("the practice mental health nurse (POH-GGZ)"),
    "assistent": _l("the doctor's assistant"),
}

SOCIAL_SERVICES = {
    "welzijn_op_recept": (
        _l("Welzijn op Recept"),
        _l("A wellbeing coach helps you find activities and people that give you energy."),
    ),
    "sociaal_wijkteam": (
        _l("Sociaal wijkteam"),
        _l("The neighbourhood team helps with care, money, housing and family matters."),
    ),
    "schuldhulp": (
        _l("Schuldhulpverlening (debt help)"),
        _l("Free help from your municipality with debts and bills you cannot pay."),
    ),
    "mantelzorgondersteuning": (
        _l("Mantelzorgondersteuning (carer support)"),
        _l("Advice, a listening ear and sometimes a replacement, so caring does not become too much."),
    ),
    "centrum_jeugd_gezin": (
        _l("Centrum voor Jeugd en Gezin"),
        _l("Help with raising children and questions about growing up."),
    ),
    "wmo_loket": (
        _l("Wmo-loket"),
        _l("Help at home, aids and adjustments, so you can keep living independently."),
    ),
    "digitale_hulp": (
        _l("Help with digital things"),
        _l("Free help with computers, phones and online forms, for example at the library."),
    ),
    "taalhulp": (
        _l("Language support"),
        _l("Help with reading, writing and speaking Dutch."),
    ),
}

URGENCY_PREFIX = {
    "emergency": _l("Emergency:"),
    "urgent": _l("Urgent:"),
    "appointment": _l("Not urgent:"),
    "econsult": _l("Not urgent:"),
    "self_care": _l("Not urgent:"),
    "social_domain": _l("Not urgent:"),
}

THEMES = {
    "head_and_neck": _l("Head and neck"),
    "chest_and_breathing": _l("Chest and breathing"),
    "belly": _l("Belly"),
    "skin": _l("Skin"),
    "muscles_and_joints": _l("Muscles and joints"),
    "mind_and_sleep": _l("Feelings and sleep"),
    "child": _l("Children"),
    "money_and_home": _l("Money, home and help from the municipality"),
    "general": _l("General"),
}

FEEDBACK_REASONS = {
    "not_my_complaint": _l("It is not about my complaint"),
    "too_hard": _l("It is hard to understand"),
    "still_worried": _l("I am still worried"),
    "want_to_see_doctor": _l("I want to see the doctor"),
    "other": _l("Something else"),
}
