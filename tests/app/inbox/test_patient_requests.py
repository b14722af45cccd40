"""A patient sends what the outcome calls for, once, and follows it on a private status page."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.storage import requests as store
from portal.storage.practices import get_practice, save_practice
from portal.storage.routing import get_run
from tests.factories import (
    ADULT_MAN,
    ECONSULT_FORM,
    Patient,
    econsult_run,
    request_url,
    send_econsult,
    soup,
    text,
    worries_run,
)

MONDAY_MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_the_econsult_outcome_offers_the_form(client):
    patient = econsult_run(client)
    link = soup(patient.page()).select_one(".care-card__body a.button--primary")
    assert link["href"].endswith("/verzoek")
    form = soup(client.get(link["href"]))
    assert form.find("textarea", {"name": "message"}) is not None
    assert form.find("input", {"name": "idempotency_key"})["value"]


def test_a_sent_econsult_gets_a_reference_and_a_private_status_page(client, db):
    patient, response = send_econsult(client)
    assert response.status_code == 303 and "/status/" in response.headers["Location"]
    page = text(client.get(response.headers["Location"]))
    (item,) = store.inbox(db, "de-linde")
    assert item.reference in page and "Uw vraag is verstuurd" in page
    assert item.kind == "econsult" and item.urgency == "U5"
    assert item.details["tree"] == "hoesten" and item.details["outcome"] == "econsult_long_cough"
    assert item.run_id == patient.run_id
    assert len(item.status_token) >= 40


def test_the_answer_is_expected_within_one_working_day(client, db, monkeypatch):
    monkeypatch.setattr("portal.clock.now", lambda: datetime(2026, 12, 24, 10, 0, tzinfo=UTC))
    _patient, response = send_econsult(client)
    (item,) = store.inbox(db, "de-linde")
    assert item.due_at.startswith("2026-12-28T16:00")  # 17:00 Amsterdam, after Christmas and Boxing Day
    assert "28-12-2026" in text(client.get(response.headers["Location"]))


def test_a_failed_submit_keeps_everything_typed(client, db):
    patient = econsult_run(client)
    response = client.post(request_url(patient), data={**ECONSULT_FORM, "name": "", "phone": ""})
    assert response.status_code == 422
    page = soup(response)
    assert page.title.get_text().startswith("Fout:")
    assert page.find("textarea", {"name": "message"}).get_text() == ECONSULT_FORM["message"]
    birth = [page.find("input", {"name": f"birth_{part}"})["value"] for part in ("day", "month", "year")]
    assert birth == ["17", "5", "1980"]
    assert {a["href"] for a in page.select(".error-summary a")} == {"#name", "#phone"}
    assert store.inbox(db, "de-linde") == []


def test_a_double_submit_makes_one_request(client, db):
    patient = econsult_run(client)
    first = client.post(request_url(patient), data=ECONSULT_FORM)
    second = client.post(request_url(patient), data=ECONSULT_FORM)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(store.inbox(db, "de-linde")) == 1


def test_alarm_words_interrupt_once_and_the_warning_is_stored(client, db):
    patient = econsult_run(client)
    alarming = {**ECONSULT_FORM, "message": "Sinds vanochtend heb ik pijn op de borst."}
    response = client.post(request_url(patient), data=alarming)
    assert response.status_code == 200
    page = soup(response)
    assert "Is dit dringend?" in page.get_text()
    assert page.find("input", {"name": "alarm_ack"})["value"] == "1"
    assert page.find("textarea", {"name": "message"}).get_text() == alarming["message"]
    assert store.inbox(db, "de-linde") == []
    response = client.post(request_url(patient), data={**alarming, "alarm_ack": "1"})
    assert response.status_code == 303
    (item,) = store.inbox(db, "de-linde")
    assert item.alarm_warning_shown


def test_an_appointment_request_carries_the_triage_suggestion(client, db):
    patient = worries_run(client, low_mood="yes", profile=ADULT_MAN)
    form = {**ECONSULT_FORM, "message": "", "dayparts": ["morning"], "idempotency_key": "appt"}
    missing = client.post(request_url(patient), data={k: v for k, v in form.items() if k != "dayparts"})
    assert missing.status_code == 422 and "Kies wanneer u kunt komen" in text(missing)
    assert client.post(request_url(patient), data=form).status_code == 303
    (item,) = store.inbox(db, "de-linde")
    assert item.kind == "appointment"
    assert item.details | {"dayparts": ["morning"]} == item.details
    assert (item.details["professional"], item.details["minutes"], item.details["timeframe"]) == (
        "poh_ggz",
        30,
        "within_3_days",
    )


def test_a_social_referral_needs_consent(client, db):
    patient = worries_run(client, topic="money", profile=ADULT_MAN)
    form = {**ECONSULT_FORM, "message": "", "idempotency_key": "social"}
    assert client.post(request_url(patient), data=form).status_code == 422
    assert client.post(request_url(patient), data={**form, "consent": "y"}).status_code == 303
    (item,) = store.inbox(db, "de-linde")
    assert item.kind == "social" and item.details["service"] == "schuldhulp" and item.details["consent"]


def test_a_call_back_is_offered_only_while_the_practice_is_open(client, monkeypatch):
    patient = Patient(client)
    monkeypatch.setattr("portal.clock.now", lambda: MONDAY_MORNING)
    patient.start("keelpijn")
    patient.answer(**ADULT_MAN)
    patient.answer(alarm_signs="drooling")
    assert "Vraag of de praktijk u terugbelt" in text(patient.page())
    no_phone = {**ECONSULT_FORM, "phone": "", "email": "a@b.nl", "message": "", "idempotency_key": "cb"}
    assert client.post(request_url(patient), data=no_phone).status_code == 422
    monkeypatch.setattr("portal.clock.now", lambda: datetime(2026, 11, 22, 20, 0, tzinfo=UTC))
    assert client.get(request_url(patient)).status_code == 404
    assert "Vraag of de praktijk u terugbelt" not in text(patient.page())


def test_self_care_and_emergency_outcomes_offer_no_request(client):
    patient = Patient(client)
    patient.start("keelpijn", emergency="chest_pain")
    assert client.get(request_url(patient)).status_code == 404


def test_a_full_econsult_cap_offers_other_routes_and_is_logged(client, db):
    practice = get_practice(db, "de-linde")
    save_practice(db, practice.__class__(**{**practice.__dict__, "econsult_daily_cap": 1}))
    send_econsult(client)
    patient = econsult_run(client)
    page = client.get(request_url(patient))
    assert "Andere manieren om vandaag hulp te krijgen" in text(page)
    assert "gesloten" not in text(page).lower()
    assert get_run(db, patient.run_id).cap_redirected
    assert len(store.inbox(db, "de-linde")) == 1


def test_a_status_token_opens_one_request_only(client):
    _patient, response = send_econsult(client)
    token = response.headers["Location"].split("/status/")[1].split("?")[0]
    assert client.get(f"/status/{token}").status_code == 200
    assert client.get(f"/status/{token[:-1]}x").status_code == 404
    assert client.get("/status/abc").status_code == 404


def test_every_choice_on_the_request_form_has_a_value_and_a_label(client):
    # Regression: choices given as tuples rendered as empty radio buttons (found by axe).
    patient = worries_run(client, low_mood="yes", profile=ADULT_MAN)
    page = soup(client.get(request_url(patient)))
    inputs = page.select("input.choice__input")
    assert len(inputs) == 6  # three for whom, three day parts
    for field in inputs:
        label = page.find("label", attrs={"for": field["id"]})
        assert field["value"] and label and label.get_text(strip=True), field
