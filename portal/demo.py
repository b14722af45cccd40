"""Demo data: two practices in two (fictional) municipalities.

Idempotent: ``voordeur demo`` twice gives the same rows. Phone numbers use
the non-existent 012 area code, so nobody is called by accident; 112 and 113
in the trees are real and meant to be.
"""

from __future__ import annotations

from sqlite_utils import Database

from .storage.practices import Practice, save_practice

WEEKDAYS_8_TO_17 = {day: [["08:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
WEEKDAYS_SPLIT = {day: [["08:00", "12:30"], ["13:30", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}

DEMO_PRACTICES = (
    Practice(
        slug="de-linde",
        name="Huisartsenpraktijk De Linde (demo)",
        phone="012 345 6701",
        address="Lindeplein 1, Zuiderdam (demo)",
        municipality="Zuiderdam (demo)",
        municipality_phone="012 345 6710",
        hap_name="Huisartsenpost Zuiderdam (demo)",
        hap_phone="012 345 6799",
        opening_hours=WEEKDAYS_8_TO_17,
        is_demo=True,
    ),
    Practice(
        slug="het-anker",
        name="Gezondheidscentrum Het Anker (demo)",
        phone="012 345 6801",
        address="Havenweg 12, Noordhaven (demo)",
        municipality="Noordhaven (demo)",
        municipality_phone="012 345 6810",
        hap_name="Huisartsenpost Kust en Haven (demo)",
        hap_phone="012 345 6899",
        opening_hours=WEEKDAYS_SPLIT,
        # Het Anker also serves patients from Zuiderdam: they choose their municipality.
        other_municipalities=("Zuiderdam (demo)",),
        is_demo=True,
    ),
)


def load_demo(db: Database) -> list[str]:
    for practice in DEMO_PRACTICES:
        save_practice(db, practice)
    return [p.slug for p in DEMO_PRACTICES]
