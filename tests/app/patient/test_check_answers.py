"""The request form: date of birth in three boxes, then "check your answers", then send (GOV.UK patterns)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from werkzeug.datastructures import MultiDict

from portal.storage import requests as store
from tests.factories import ECONSULT_FORM, econsult_run, request_url, soup, text

TYPED = {**ECONSULT_FORM, "action": "check"}


@pytest.fixture
def patient(client):
    client.get("/de-linde/?lang=en")  # the new texts are asserted in English until the catalogue has them
    return econsult_run(client)


def press(client, patient, page, **button):
    """Press a button on the check page; its hidden fields carry every answer back."""
    form = soup(page).select_one('form:has(button[value="send"])')
    data = MultiDict((i["name"], i.get("value", "")) for i in form.select("input[type=hidden]"))
    for name, value in button.items():
        data[name] = value
    return client.post(request_url(patient), data=data)


def summary(page) -> dict[str, str]:
    rows = soup(page).select(".summary-list__row")
    return {
        row.select_one(".summary-list__key").get_text(strip=True): row.select_one(".summary-list__value").get_text(
            " ", strip=True
        )
        for row in rows
    }


def test_a_valid_form_shows_every_answer_to_check_before_anything_is_sent(client, db, patient):
    check = client.post(request_url(patient), data=TYPED)
    assert check.status_code == 200
    shown = summary(check)
    assert shown["Full name of the patient"] == "Anna de Vries"
    assert shown["Date of birth of the patient"] == "May 17, 1980"
    assert shown["Phone number"] == "06 12345678"
    assert shown["Your question"] == ECONSULT_FORM["message"]
    assert shown["Photos"] == "No photos"
    changes = soup(check).select('button[name="action"][value^="change:"]')
    assert len(changes) == len(shown)  # a change button on every row
    assert all(b.get_text(strip=True).startswith("Change") for b in changes)
    assert store.inbox(db, "de-linde") == []


def test_change_then_send_stores_the_changed_answer(client, db, patient):
    check = client.post(request_url(patient), data=TYPED)
    back = press(client, patient, check, action="change:message")
    assert back.status_code == 200
    form = soup(back)
    textarea = form.find("textarea", {"name": "message"})
    assert textarea.get_text() == ECONSULT_FORM["message"] and textarea.has_attr("autofocus")
    assert form.find("input", {"name": "name"})["value"] == "Anna de Vries"
    changed = {**TYPED, "message": "Ik hoest al vijf weken, ook overdag."}
    check_again = client.post(request_url(patient), data=changed)
    assert summary(check_again)["Your question"] == "Ik hoest al vijf weken, ook overdag."
    sent = press(client, patient, check_again, action="send")
    assert sent.status_code == 303 and "/status/" in sent.headers["Location"]
    (item,) = store.inbox(db, "de-linde")
    assert item.message == "Ik hoest al vijf weken, ook overdag." and item.birth_date == "1980-05-17"


def test_the_change_button_returns_to_that_field(client, patient):
    check = client.post(request_url(patient), data=TYPED)
    button = soup(check).select_one('button[value="change:birth_day"]')
    assert button["formaction"].endswith("/verzoek#birth_day")
    back = press(client, patient, check, action="change:birth_day")
    assert soup(back).find("input", {"name": "birth_day"}).has_attr("autofocus")


def test_the_check_page_still_asks_about_alarm_words_first(client, db, patient):
    alarming = {**TYPED, "message": "Sinds vanochtend heb ik pijn op de borst."}
    first = client.post(request_url(patient), data=alarming)
    assert first.status_code == 200 and soup(first).select_one(".alarm") is not None
    check = client.post(request_url(patient), data={**alarming, "alarm_ack": "1"})
    assert soup(check).select_one(".summary-list") is not None
    press(client, patient, check, action="send")
    (item,) = store.inbox(db, "de-linde")
    assert item.alarm_warning_shown


def test_a_tampered_check_page_is_checked_again_before_sending(client, db, patient):
    check = client.post(request_url(patient), data=TYPED)
    response = press(client, patient, check, action="send", phone="", email="")
    assert response.status_code == 422 and store.inbox(db, "de-linde") == []


# --- date of birth: three boxes (GOV.UK date input) -------------------------------------------


def test_the_date_of_birth_is_three_numeric_boxes_not_a_date_picker(client, patient):
    form = soup(client.get(request_url(patient)))
    assert not form.select('input[type="date"]')
    boxes = [form.find("input", {"name": f"birth_{part}"}) for part in ("day", "month", "year")]
    assert [b["inputmode"] for b in boxes] == ["numeric"] * 3
    assert [b["autocomplete"] for b in boxes] == ["bday-day", "bday-month", "bday-year"]
    assert [form.find("label", {"for": b["id"]}).get_text(strip=True) for b in boxes] == ["Day", "Month", "Year"]
    assert boxes[0].find_parent("fieldset").legend.get_text(strip=True) == "Date of birth of the patient"


def test_a_valid_date_is_stored_as_the_same_iso_date_and_found_by_the_inbox_search(client, db, patient):
    check = client.post(
        request_url(patient), data={**TYPED, "birth_day": " 7 ", "birth_month": "03", "birth_year": "1961"}
    )
    press(client, patient, check, action="send")
    (item,) = store.inbox(db, "de-linde")
    assert item.birth_date == "1961-03-07"
    found = store.inbox(db, "de-linde", query=store.InboxQuery(birth_date="1961-03-07"))
    assert [r.id for r in found] == [item.id]


@pytest.mark.parametrize(
    ("day", "month", "year", "message", "first_box"),
    [
        ("31", "2", "1980", "The date must be a real date.", "birth_day"),
        ("12", "13", "1980", "The date must be a real date.", "birth_month"),
        ("1", "1", "2999", "The date of birth must be today or in the past.", "birth_day"),
        ("17", "", "1980", "The date of birth must include a month.", "birth_month"),
        ("", "", "", "Enter the date of birth, for example 31 3 1980.", "birth_day"),
        ("17", "5", "80", "Enter the year with 4 digits, for example 1980.", "birth_year"),
        ("zeventien", "5", "1980", "The date must be a real date.", "birth_day"),
        ("1", "1", "1850", "The year must be 1900 or later.", "birth_year"),
    ],
    ids=["impossible", "month-13", "future", "no-month", "empty", "two-digit-year", "words", "too-old"],
)
def test_a_wrong_date_gets_one_message_and_keeps_what_was_typed(
    client, db, patient, day, month, year, message, first_box
):
    response = client.post(
        request_url(patient), data={**TYPED, "birth_day": day, "birth_month": month, "birth_year": year}
    )
    assert response.status_code == 422
    page = soup(response)
    assert [e.get_text(" ", strip=True) for e in page.select("#birth_date-error")] == [f"Error: {message}"]
    assert [(a["href"], a.get_text(strip=True)) for a in page.select(".error-summary a")] == [
        (f"#{first_box}", message)
    ]
    typed = [page.find("input", {"name": f"birth_{p}"})["value"] for p in ("day", "month", "year")]
    assert typed == [day, month, year]
    assert page.find("textarea", {"name": "message"}).get_text() == ECONSULT_FORM["message"]
    assert store.inbox(db, "de-linde") == []


def test_today_is_a_valid_date_of_birth(client, db, patient, monkeypatch):
    monkeypatch.setattr("portal.clock.now", lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    data = {**TYPED, "birth_day": "23", "birth_month": "11", "birth_year": "2026", "action": "send"}
    assert client.post(request_url(patient), data=data).status_code == 303
    (item,) = store.inbox(db, "de-linde")
    assert item.birth_date == "2026-11-23"


def test_the_typed_date_shows_in_dutch_on_the_check_page(client, db):
    patient = econsult_run(client)  # Dutch, the default
    assert "17 mei 1980" in text(client.post(request_url(patient), data=TYPED))
