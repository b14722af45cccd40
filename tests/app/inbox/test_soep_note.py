"""The SOEP note on the request page: readable and selectable without JavaScript, a copy button with it."""

from __future__ import annotations

from datetime import date

import pytest

from portal.storage import requests as store
from tests.app.inbox.requests_factory import gen_request
from tests.factories import gen_staff, login, send_econsult, soup


@pytest.fixture
def assistant(client, db):
    login(client, gen_staff(db))
    return client


def _months_ago(months: int) -> str:
    today = date.today()
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, 1).isoformat()


def test_the_note_sits_in_a_readonly_textarea_with_a_label(assistant, db):
    send_econsult(assistant, message="Ik hoest al vier weken.")
    (item,) = store.inbox(db, "de-linde")
    page = soup(assistant.get(f"/staff/de-linde/requests/{item.id}"))
    note = page.find("textarea", id="his")
    assert note.has_attr("readonly") and not note.has_attr("disabled")  # selectable, not greyed out
    assert page.find("label", attrs={"for": "his"}) is not None
    lines = note.get_text().splitlines()
    assert lines[0] == "S: Ik hoest al vier weken."
    assert any(line.startswith("   Geen alarmsignalen: ontkend bij spoedvragen") for line in lines)
    assert [line[:2] for line in lines if not line.startswith("   ")] == ["S:", "O:", "E:", "P:"]


def test_the_copy_button_is_an_enhancement_from_a_versioned_static_script(assistant, db):
    item = gen_request(db)
    page = soup(assistant.get(f"/staff/de-linde/requests/{item.id}?lang=en"))
    button = page.select_one("button[data-copy=his]")
    assert button is not None and button["type"] == "button" and button.get_text(strip=True) == "Copy"
    assert button.has_attr("hidden")  # shown by the script only: without JavaScript no dead button
    script = page.find("script", src=lambda src: bool(src) and "/static/copy.js?v=" in src)
    assert script is not None and script.has_attr("defer")
    assert not [s for s in page.find_all("script") if not s.get("src")]  # no inline script (strict CSP)
    served = assistant.get(script["src"])
    assert served.status_code == 200 and b"data-copy" in served.data


def test_a_babys_age_is_given_in_months(assistant, db):
    item = gen_request(db, birth_date=_months_ago(7), sex="male", tree="koorts_kind")
    note = soup(assistant.get(f"/staff/de-linde/requests/{item.id}")).find("textarea", id="his").get_text()
    assert "S: Ik hoest al vier weken, vooral 's nachts. Overdag gaat het beter.\n   Jongen, 7 maanden." in note


def test_after_closing_p_names_the_practices_decision(assistant, db):
    item = gen_request(db)
    assistant.post(f"/staff/de-linde/requests/{item.id}/close", data={"route": "appointment", "urgency": "U4"})
    note = soup(assistant.get(f"/staff/de-linde/requests/{item.id}")).find("textarea", id="his").get_text()
    plan = note.splitlines()[-1]
    assert plan.startswith("P: Afspraak, U4 (niet dringend, binnen 24 uur) (besluit praktijk bij afsluiten; triage:")
    assert item.reference in plan


def test_the_patients_reply_is_in_the_note(client, assistant, db):
    item = gen_request(db)
    assistant.post(f"/staff/de-linde/requests/{item.id}/reply", data={"body": "Komt u morgen langs?"})
    patient = client.application.test_client()
    patient.post(f"/status/{item.status_token}/reactie", data={"body": "Morgen kan ik niet."})
    note = soup(assistant.get(f"/staff/de-linde/requests/{item.id}")).find("textarea", id="his").get_text()
    assert "Reactie patiënt" in note and note.rstrip().splitlines()[-4].endswith("Morgen kan ik niet.")
