"""What a new user tripped over in the request form, the status page and the inbox (inbox issue)."""

from __future__ import annotations

import re

from portal.storage import requests as store
from tests.factories import econsult_run, gen_staff, login, request_url, send_econsult, soup, text


def test_the_patient_name_field_has_no_autocomplete_none(client):
    patient = econsult_run(client)
    form = soup(client.get(request_url(patient)))
    assert form.select_one("#name")["autocomplete"] == "off"
    assert not form.select('[autocomplete="None"]')


def test_the_carers_name_is_hidden_and_not_kept_when_sending_for_yourself(client, db):
    patient = econsult_run(client)
    form = soup(client.get(request_url(patient)))
    assert form.select_one(".conditional--not-self #contact_name") is not None  # hidden by CSS for "self"
    send_econsult(client, for_whom="self", contact_name="Jan de Vries")
    (item,) = store.inbox(db, "de-linde")
    assert item.contact_name is None


def test_the_carers_name_is_kept_when_sending_for_a_child(client, db):
    send_econsult(client, for_whom="child", contact_name="Jan de Vries")
    (item,) = store.inbox(db, "de-linde")
    assert item.contact_name == "Jan de Vries"


def test_after_a_reply_the_status_page_shows_the_question_and_no_expected_answer(client, db):
    _patient, response = send_econsult(client, message="Mijn eigen vraag over de hoest")
    status_url = response.headers["Location"].split("?")[0]
    before = text(client.get(status_url))
    assert "Antwoord verwacht" in before and "Mijn eigen vraag over de hoest" in before
    (item,) = store.inbox(db, "de-linde")
    staff_client = client.application.test_client()
    login(staff_client, gen_staff(db))
    staff_client.post(f"/staff/de-linde/requests/{item.id}/reply", data={"body": "Kom morgen langs."})
    after = text(client.get(status_url))
    assert "Kom morgen langs." in after and "Mijn eigen vraag over de hoest" in after
    assert "Antwoord verwacht" not in after


def test_the_inbox_deadline_stops_when_answered_and_hours_are_dutch(client, db):
    send_econsult(client)
    (item,) = store.inbox(db, "de-linde")
    login(client, gen_staff(db))
    inbox = text(client.get("/staff/de-linde/inbox"))
    assert "werkuren" in inbox and not re.search(r"\d\.\d+ werkuren", inbox)
    client.post(f"/staff/de-linde/requests/{item.id}/reply", data={"body": "Kom morgen langs."})
    row = text(client.get("/staff/de-linde/inbox?status=answered")) + text(client.get("/staff/de-linde/inbox"))
    detail = text(client.get(f"/staff/de-linde/requests/{item.id}"))
    assert "beantwoord" in detail.lower() and "werkuren" not in detail
    assert "te laat" not in row
