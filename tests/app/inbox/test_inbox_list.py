"""The assistant's morning list: a row says enough to pick the next request without opening it;
filters, search and counts stay in the URL; new requests appear without reloading."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from portal.storage import audit
from portal.storage import requests as store
from tests.app.inbox.requests_factory import gen_request
from tests.factories import gen_staff, login, soup, text

NOW = datetime.now(UTC)


def _age(birth: str) -> int:
    born, today = date.fromisoformat(birth), NOW.date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@pytest.fixture
def morning(client, db):
    """Five requests of de Linde and one of het Anker; an assistant of de Linde logged in."""
    staff = gen_staff(db)
    made = {
        "cough": gen_request(db, received=NOW - timedelta(hours=3), due=NOW + timedelta(hours=20)),
        "throat": gen_request(
            db,
            tree="keelpijn",
            kind="callback",
            route="urgent",
            urgency="U3",
            name="Bram Jansen",
            birth_date="2019-02-03",
            sex="male",
            message="Keelpijn en hij wil niet drinken",
            due=NOW + timedelta(hours=1),
        ),
        "late": gen_request(
            db,
            name="Carla Bos",
            birth_date="1950-11-30",
            received=NOW - timedelta(days=3),
            due=NOW - timedelta(hours=5),
        ),
        "mine": gen_request(db, tree="huiduitslag", name="Dirk Smit", birth_date="1990-01-01", sex="unknown"),
        "answered": gen_request(db, name="Eva Kok", due=NOW - timedelta(hours=1)),
        "elsewhere": gen_request(db, practice="het-anker", name="Frans Anker"),
    }
    store.assign(db, made["mine"], staff.id, staff.id)
    store.reply(db, made["answered"], staff.id, "Antwoord", NOW)
    login(client, staff)
    client.get("/staff/de-linde/inbox?lang=en")  # English from here on (the cookie remembers it)
    return staff, made


def rows(response) -> list:
    return soup(response).select("#inbox-list tbody tr")


def references(response) -> list[str]:
    return [ref for row in rows(response) for ref in [row.find("a").parent.get_text()] if ref]


def shown(response, made, *keys) -> bool:
    page = text(response)
    return all(made[key].reference in page for key in keys)


def test_a_row_shows_complaint_age_sex_question_received_due_assignee_and_status(client, morning):
    staff, made = morning
    page = client.get("/staff/de-linde/inbox")
    (throat,) = [row for row in rows(page) if made["throat"].reference in row.get_text()]
    cells = [" ".join(cell.get_text(" ").split()) for cell in throat.find_all("td")]
    assert cells[0] == "U3"
    assert cells[1].startswith("Sore throat") and "Keelpijn en hij wil niet drinken" in cells[1]
    assert f"Bram Jansen {_age('2019-02-03')} y, boy" == cells[2]
    assert re.fullmatch(r"2 hours ago \d\d-\d\d-\d{4} \d\d:\d\d", cells[3]), cells[3]
    assert "working hours" in cells[4]
    assert cells[5] == "—" and cells[6] == "New"
    (cough,) = [row for row in rows(page) if made["cough"].reference in row.get_text()]
    cough_text = " ".join(cough.get_text(" ").split())
    assert "Cough" in cough_text and f"{_age('1980-05-17')} y, woman" in cough_text
    assert "Ik hoest al vier weken" in cough_text and "Overdag" not in cough_text  # the first line only
    assert "3 hours ago" in cough_text
    (mine,) = [row for row in rows(page) if made["mine"].reference in row.get_text()]
    assert staff.name in mine.get_text() and "In progress" in mine.get_text()
    assert ", " not in mine.find_all("td")[2].get_text()  # sex not told: only the age


def test_the_complaint_is_in_the_staff_members_language(client, morning):
    _staff, _made = morning
    page = text(client.get("/staff/de-linde/inbox?lang=nl"))
    assert "Hoesten" in page and "Keelpijn" in page and "Cough" not in page


def test_answered_requests_show_the_clock_stopped_not_overdue(client, morning):
    _staff, made = morning
    page = client.get("/staff/de-linde/inbox?view=overdue")
    assert shown(page, made, "late") and made["answered"].reference not in text(page)


def test_most_urgent_first_then_the_one_due_soonest(client, morning):
    _staff, made = morning
    order = [row.get_text() for row in rows(client.get("/staff/de-linde/inbox"))]
    position = {
        key: next(i for i, row in enumerate(order) if made[key].reference in row) for key in made if key != "elsewhere"
    }
    assert position["throat"] == 0  # U3 before every U5
    assert position["late"] < position["answered"] < position["cough"]  # then by due time


def test_quick_filters_stay_in_the_url_and_show_their_counts(client, morning):
    _staff, made = morning
    page = soup(client.get("/staff/de-linde/inbox"))
    counts = {a.get_text(" ", strip=True) for a in page.select(".counts a")}
    assert counts == {"All open (5)", "Mine (1)", "Unassigned (4)", "Overdue (1)", "New (3)"}
    mine = client.get("/staff/de-linde/inbox?view=mine")
    assert [made["mine"].reference in r.get_text() for r in rows(mine)] == [True]
    unassigned = text(client.get("/staff/de-linde/inbox?view=unassigned"))
    assert made["mine"].reference not in unassigned and made["cough"].reference in unassigned
    # A filter link keeps the other filters.
    kind_page = soup(client.get("/staff/de-linde/inbox?kind=econsult"))
    overdue_link = next(a for a in kind_page.select(".counts a") if "Overdue" in a.get_text())
    assert "kind=econsult" in overdue_link["href"] and "view=overdue" in overdue_link["href"]


def test_filter_by_kind_and_complaint_with_counts(client, morning):
    _staff, made = morning
    page = soup(client.get("/staff/de-linde/inbox"))
    complaints = {o["value"]: o.get_text() for o in page.select("#complaint option") if o["value"]}
    assert sorted(complaints) == ["hoesten", "huiduitslag", "keelpijn"]
    assert (complaints["hoesten"], complaints["keelpijn"]) == ("Cough (3)", "Sore throat (1)")
    assert complaints["huiduitslag"].endswith("(1)")
    kinds = {o["value"]: o.get_text() for o in page.select("#kind option") if o["value"]}
    assert kinds == {"econsult": "E-consult (4)", "appointment": "Appointment request (0)",
                     "social": "Social referral (0)", "callback": "Call-back (1)"}  # fmt: skip
    throat = client.get("/staff/de-linde/inbox?complaint=keelpijn")
    assert len(rows(throat)) == 1 and shown(throat, made, "throat")
    callbacks = client.get("/staff/de-linde/inbox?kind=callback&complaint=hoesten")
    assert rows(callbacks) == []
    assert client.get("/staff/de-linde/inbox?complaint=../../etc&view=nonsense&kind=x").status_code == 200


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("30-11-1950", "late"),
        ("30/11/1950", "late"),
        ("1950-11-30", "late"),
        ("bram", "throat"),
        ("Jansen", "throat"),
    ],
)
def test_search_by_date_of_birth_or_name(client, morning, typed, key):
    _staff, made = morning
    found = client.get("/staff/de-linde/inbox", query_string={"q": typed})
    assert len(rows(found)) == 1 and shown(found, made, key)


def test_search_by_reference_with_or_without_prefix(client, morning):
    _staff, made = morning
    reference = made["cough"].reference
    for typed in (reference, reference.removeprefix("VD-").lower()):
        found = client.get("/staff/de-linde/inbox", query_string={"q": typed})
        assert len(rows(found)) == 1 and shown(found, made, "cough"), typed
    assert rows(client.get("/staff/de-linde/inbox", query_string={"q": "%"})) == []  # a wildcard is a character


def test_another_practices_requests_never_show_or_count(client, morning):
    _staff, made = morning
    page = client.get("/staff/de-linde/inbox", query_string={"q": "Frans"})
    assert rows(page) == [] and made["elsewhere"].reference not in text(client.get("/staff/de-linde/inbox"))
    assert client.get("/staff/het-anker/inbox").status_code == 404


def test_another_practices_staff_sees_nothing_of_this_practice(client, db, morning):
    _staff, made = morning
    login(client, gen_staff(db, practices=("het-anker",), email="anker@example.nl"))
    assert client.get("/staff/de-linde/inbox").status_code == 404
    page = client.get("/staff/het-anker/inbox")
    assert [made["elsewhere"].reference in r.get_text() for r in rows(page)] == [True]
    assert "Anna de Vries" not in text(page)


def test_every_list_view_is_audited_with_the_ids_it_showed_and_never_the_search_text(client, db, morning):
    _staff, made = morning
    page = client.get("/staff/de-linde/inbox", query_string={"q": "Carla", "view": "overdue"})
    entry = audit.entries(db, limit=1)[0]
    assert entry.action == "view:inbox:overdue:search" and entry.practice == "de-linde"
    assert json.loads(entry.detail) == [made["late"].id] and "Carla" not in (entry.detail + entry.action)
    assert len(rows(page)) == 1
    client.get("/staff/de-linde/inbox", headers={"HX-Request": "true", "HX-Target": "inbox-list"})
    poll = audit.entries(db, limit=1)[0]
    assert poll.action == "view:inbox" and len(json.loads(poll.detail)) == 5
    assert audit.verify(db) == []


def test_the_list_polls_itself_and_has_a_refresh_link_without_javascript(client, morning):
    _staff, _made = morning
    page = soup(client.get("/staff/de-linde/inbox?view=mine"))
    poller = page.select_one("#inbox-list")
    assert poller["hx-trigger"] == "every 30s" and "view=mine" in poller["hx-get"]
    refresh = next(a for a in page.select("#inbox-list a") if a.get_text() == "Refresh now")
    assert "view=mine" in refresh["href"]


def test_the_page_title_counts_the_new_requests_and_the_poll_updates_it(client, db, morning):
    _staff, _made = morning
    assert soup(client.get("/staff/de-linde/inbox")).title.get_text().startswith("(3) Inbox")
    gen_request(db, name="Nieuwe Patiënt")
    partial = client.get("/staff/de-linde/inbox", headers={"HX-Request": "true", "HX-Target": "inbox-list"})
    fragment = soup(partial)
    assert fragment.title.get_text().strip().startswith("(4) Inbox")
    assert "Nieuwe Patiënt" in fragment.get_text() and fragment.find("h1") is None  # the list only
