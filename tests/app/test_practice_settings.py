"""Practice settings in the browser: the practice manager changes phones, opening hours, the e-consult
cap and municipalities without the command line; patients see the change at once; every save is audited."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from portal.inbox.practice_form import format_hours, parse_hours
from portal.storage import audit
from portal.storage.practices import get_practice, save_practice
from portal.storage.requests import inbox
from tests.factories import econsult_run, gen_staff, login, request_url, send_econsult, soup, text

URL = "/staff/de-linde/practice"


def _form_data(client) -> dict[str, str]:
    """What the browser would send back unchanged: every field as the page shows it."""
    page = soup(client.get(URL))
    form = page.select_one(f'form[action="{URL}"]')
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    data.update({t["name"]: t.get_text() for t in form.select("textarea[name]")})
    return data


@pytest.fixture
def manager(client, db):
    staff = gen_staff(db, role="practice_manager", email="manager@example.nl")
    login(client, staff)
    client.get(f"{URL}?lang=en")
    return staff


def test_the_form_shows_the_saved_settings(client, db, manager):
    data = _form_data(client)
    assert data["name"] == "Huisartsenpraktijk De Linde (demo)"
    assert (data["phone"], data["hap_phone"]) == ("012 345 6701", "012 345 6799")
    assert (data["mon"], data["sat"], data["econsult_daily_cap"]) == ("08:00-17:00", "", "")
    assert data["municipality"] == "Zuiderdam (demo)"


def test_a_change_is_saved_shown_to_patients_at_once_and_audited(client, db, manager):
    patient = client.application.test_client()
    assert "012 345 6701" in text(patient.get("/de-linde/"))
    data = _form_data(client)
    changed = {
        **data,
        "phone": "012 345 6000",
        "wed": "8.00 - 12.30, 13:30-17:00",
        "fri": "",
        "sat": "09:00-11:00",
        "econsult_daily_cap": "25",
        "other_municipalities": "Noordhaven (demo)\n\n",
    }
    response = client.post(URL, data=changed)
    assert response.status_code == 303
    assert "saved" in text(client.get(response.location))
    practice = get_practice(db, "de-linde")
    assert practice.phone == "012 345 6000" and practice.econsult_daily_cap == 25
    assert practice.opening_hours["wed"] == [["08:00", "12:30"], ["13:30", "17:00"]]
    assert "fri" not in practice.opening_hours and practice.opening_hours["sat"] == [["09:00", "11:00"]]
    assert practice.other_municipalities == ("Noordhaven (demo)",)
    assert practice.is_demo and practice.name == "Huisartsenpraktijk De Linde (demo)"
    assert "012 345 6000" in text(patient.get("/de-linde/"))
    entry = audit.entries(db, limit=1)[0]
    assert (entry.action, entry.practice, entry.staff_id) == ("practice:settings", "de-linde", manager.id)
    assert json.loads(entry.detail) == ["phone", "opening_hours", "econsult_daily_cap", "other_municipalities"]
    assert "012 345 6000" not in entry.detail


def test_saving_without_changes_writes_no_audit_row(client, db, manager):
    before = audit.entries(db, limit=1)[0].id
    response = client.post(URL, data=_form_data(client))
    assert response.status_code == 303
    assert "Nothing was changed" in text(client.get(response.location))
    assert audit.entries(db, limit=1)[0].id == before


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("phone", "bel ons", "digits only"),
        ("hap_phone", "", "Enter a phone number"),
        ("mon", "17:00-08:00", "17:00 is not before 08:00"),
        ("tue", "08:00-25:00", "not clear"),
        ("wed", "13:00-17:00, 08:00-12:00", "overlap"),
        ("econsult_daily_cap", "-1", "1 or more"),
        ("econsult_daily_cap", "veel", "1 or more"),
        ("name", "", "name of the practice"),
        ("other_municipalities", "Zuiderdam (demo)", "own municipality"),
    ],
)
def test_a_wrong_value_is_refused_named_and_kept(client, db, manager, field, typed, message):
    before = get_practice(db, "de-linde")
    response = client.post(URL, data={**_form_data(client), field: typed, "address": "Nieuw adres 1"})
    assert response.status_code == 422
    page = soup(response)
    assert message in page.select_one(".error-summary").get_text()
    kept = page.select_one(f"#{field}")
    assert (kept.get_text().lstrip("\r\n") if kept.name == "textarea" else kept.get("value", "")) == typed
    assert page.select_one("#address")["value"] == "Nieuw adres 1"
    assert get_practice(db, "de-linde") == before


def test_the_social_map_of_each_municipality_links_to_what_the_patient_sees(client, db, manager):
    page = soup(client.get(URL))
    links = [a["href"] for a in page.select("#social-map ~ ul a[href]")]
    assert links == ["/de-linde/sociale-kaart/zuiderdam-demo"]
    patient = client.application.test_client()
    assert patient.get(links[0]).status_code == 200
    client.post(URL, data={**_form_data(client), "other_municipalities": "Elders"})
    listed = soup(client.get(URL)).select("#social-map ~ ul li")
    assert "no social map yet" in listed[1].get_text()


@pytest.mark.parametrize(
    ("role", "practices", "expected"),
    [
        ("practice_manager", ("de-linde",), 200),
        ("admin", ("de-linde",), 200),
        ("practice_manager", ("het-anker",), 404),
        ("assistant", ("de-linde",), 403),
        ("editor", ("de-linde",), 403),
        ("evaluator", ("de-linde",), 403),
        ("clinical_reviewer", ("de-linde",), 403),
    ],
)
def test_only_the_practices_own_manager_or_an_admin_changes_its_settings(client, db, role, practices, expected):
    staff = gen_staff(db, role=role, practices=practices)
    login(client, staff)
    assert client.get(URL).status_code == expected
    posted = {"name": "Overgenomen", "phone": "012 345 0000", "hap_name": "HAP", "hap_phone": "012 345 0001"}
    posted |= {"municipality": "Zuiderdam (demo)"}
    response = client.post(URL, data=posted)
    assert response.status_code == (303 if expected == 200 else expected)
    assert (get_practice(db, "de-linde").name == "Overgenomen") is (expected == 200)


def test_anonymous_visitors_are_sent_to_the_login(client, db):
    for response in (client.get(URL), client.post(URL, data={"name": "X"})):
        assert response.status_code == 303 and "/staff/login" in response.location
    assert get_practice(db, "de-linde").name == "Huisartsenpraktijk De Linde (demo)"


def test_the_manager_finds_the_page_in_the_staff_menu(client, db, manager):
    menu = soup(client.get("/staff/de-linde/templates")).select_one(".staff-nav")
    assert menu.find("a", href=URL) is not None


@pytest.mark.parametrize(
    ("typed", "periods"),
    [
        ("", []),
        ("08:00-17:00", [["08:00", "17:00"]]),
        ("8.00–12.30; 13.30 tot 17.00", [["08:00", "12:30"], ["13:30", "17:00"]]),
    ],
)
def test_opening_hours_are_read_as_typed_and_shown_again_the_same(typed, periods):
    assert parse_hours(typed) == periods
    assert parse_hours(format_hours(periods)) == periods


def _econsults_sent(patients, count: int) -> list[bool]:
    """Whether each of ``count`` patients got their e-consult in (False: offered other routes, the cap was full)."""
    return [send_econsult(patients)[1].status_code == 303 for _ in range(count)]


def test_a_cap_of_three_set_in_the_form_caps_the_fourth_econsult_and_empty_lifts_it(client, db, manager):
    patients = client.application.test_client()
    response = client.post(URL, data={**_form_data(client), "econsult_daily_cap": "3"})
    assert response.status_code == 303 and get_practice(db, "de-linde").econsult_daily_cap == 3
    assert _econsults_sent(patients, 4) == [True, True, True, False]
    page = patients.get(request_url(econsult_run(patients)))
    assert "Andere manieren om vandaag hulp te krijgen" in text(page)

    response = client.post(URL, data={**_form_data(client), "econsult_daily_cap": ""})
    assert response.status_code == 303 and get_practice(db, "de-linde").econsult_daily_cap is None
    assert _econsults_sent(patients, 2) == [True, True]  # five sent today, no limit any more
    assert len(inbox(db, "de-linde")) == 5


def test_a_cap_of_zero_from_an_older_import_shows_as_no_limit_and_saves_as_empty(client, db, manager):
    practice = get_practice(db, "de-linde")
    save_practice(db, replace(practice, econsult_daily_cap=0))
    assert _econsults_sent(client.application.test_client(), 1) == [True]  # 0 is no limit for patients
    data = _form_data(client)
    assert data["econsult_daily_cap"] == ""
    assert "Empty: no limit" in text(client.get(URL))
    assert client.post(URL, data={**data, "address": "Nieuw adres 1"}).status_code == 303
    assert get_practice(db, "de-linde").econsult_daily_cap is None
