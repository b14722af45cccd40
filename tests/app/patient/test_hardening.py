"""The patient side under attack and under faults (production-hardening review).

Each test failed before its fix: a run readable by anyone with its URL, answers
changed after sending, no rate limit, a session that expired while typing, and
a locked or full database that lost what was typed.
"""

from __future__ import annotations

import pytest

from portal import create_app
from portal.storage.db import get_db
from tests.factories import ADULT_WOMAN, ECONSULT_FORM, Patient, econsult_run, request_url, send_econsult, soup, text


@pytest.fixture
def csrf_app(app_config):
    """The app as in production: CSRF checks on."""
    return create_app({**app_config, "WTF_CSRF_ENABLED": True})


def _token(response) -> str:
    return soup(response).find("input", {"name": "csrf_token"})["value"]


def test_another_visitor_with_the_url_starts_anew_and_sees_no_answers(app, client):
    patient = econsult_run(client)
    stranger = app.test_client()
    response = stranger.get(patient.url)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/de-linde/triage/hoesten")
    changed = stranger.post(patient.history[2], data={"breath_signs": "sudden_breathless"})
    assert changed.status_code == 303 and changed.headers["Location"].endswith("/triage/hoesten")
    assert client.get(patient.url).status_code == 200  # the owner still gets the outcome


def test_answers_are_frozen_once_the_request_is_sent(client, db):
    patient, _response = send_econsult(client)
    question_page = patient.history[3]  # the "today signs" checklist (coughing blood and others)
    response = client.post(question_page, data={"today_signs": "coughing_blood"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/uitkomst")
    row = next(db.query("SELECT answers, details FROM triage_runs JOIN requests ON requests.run_id = triage_runs.id"))
    assert '"today_signs": ["none"]' in row["answers"]
    assert '"today_signs": ["none"]' in row["details"]  # the request keeps its own snapshot
    outcome = text(client.get(patient.url))
    assert "VD-" in outcome and "Wijzig uw laatste antwoord" not in outcome


def test_the_inbox_shows_the_answers_as_sent(client, db):
    from tests.factories import gen_staff, login

    send_econsult(client)
    db.execute(
        "UPDATE triage_runs SET answers = replace(answers, ?, ?)",
        ['"today_signs": ["none"]', '"today_signs": ["coughing_blood"]'],
    )
    db.conn.commit()
    staff = gen_staff(db)
    login(client, staff)
    page = text(client.get("/staff/de-linde/requests/1"))
    assert "Nee, geen van deze" in page and "Hoest bloed op" not in page  # as sent, not as changed later


def test_pressing_back_and_sending_again_shows_the_first_request(client, db):
    patient, _first = send_econsult(client)
    again = client.post(request_url(patient), data={**ECONSULT_FORM, "idempotency_key": "another-key"})
    assert again.status_code == 303 and "/status/" in again.headers["Location"]
    assert db.execute("SELECT count(*) FROM requests").fetchone()[0] == 1


def test_an_idempotency_key_of_another_triage_reveals_nothing(app, client, db):
    _patient, first = send_econsult(client, idempotency_key="shared-key")
    other = app.test_client()
    second = econsult_run(other)
    response = other.post(request_url(second), data={**ECONSULT_FORM, "idempotency_key": "shared-key"})
    assert response.status_code == 400
    assert first.headers["Location"].split("?")[0] not in (response.headers.get("Location") or "")


def test_an_overlong_idempotency_key_is_refused(client):
    patient = econsult_run(client)
    response = client.post(request_url(patient), data={**ECONSULT_FORM, "idempotency_key": "k" * 500})
    assert response.status_code == 422


def test_one_client_cannot_use_up_the_e_consult_cap(app_config, db):
    app = create_app({**app_config, "REQUESTS_PER_CLIENT_HOUR": 3})
    statuses = []
    for _ in range(5):
        client = app.test_client()
        _patient, response = send_econsult(client)
        statuses.append(response.status_code)
    assert statuses == [303, 303, 303, 429, 429]
    assert db.execute("SELECT count(*) FROM requests").fetchone()[0] == 3


def test_a_rate_limited_request_keeps_what_was_typed(app_config):
    app = create_app({**app_config, "REQUESTS_PER_CLIENT_HOUR": 0})
    client = app.test_client()
    _patient, response = send_econsult(client, message="Mijn eigen woorden over de hoest")
    assert response.status_code == 429 and response.headers["Retry-After"]
    assert "Mijn eigen woorden over de hoest" in response.get_data(as_text=True)


def test_the_patient_session_slides_with_activity(client):
    response = client.get("/de-linde/triage/keelpijn")
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie  # a permanent session: re-sent, with a new expiry, on every request
    assert "Expires=" in client.get("/de-linde/").headers.get("Set-Cookie", "")


def test_an_expired_session_keeps_the_typed_question(csrf_app):
    client = csrf_app.test_client()
    first = client.get("/de-linde/triage/hoesten")
    token = _token(first)
    response = client.post("/de-linde/triage/hoesten", data={"csrf_token": token, "emergency_screen": "none"})
    url = response.headers["Location"]
    for data in (
        {"general_danger": "none"},
        {"who_for": "self", "age_band": "adult_18_64", "sex": "female"},
        {"breath_signs": "none"},
        {"today_signs": "none"},
        {"duration": "over_3_weeks"},
        {"risk_group": "none", "second_contact": "no"},
    ):
        page = client.get(url)
        response = client.post(url, data={**data, "csrf_token": _token(page), "run_proof": _proof(page)})
        url = response.headers["Location"]
    form_page = client.get(url.rsplit("/", 1)[0] + "/verzoek")
    proof = _proof(form_page)
    client.delete_cookie("voordeur_session")  # the session lapsed while the patient typed
    typed = {**ECONSULT_FORM, "message": "Een lange vraag die ik niet kwijt wil", "csrf_token": "expired"}
    response = client.post(url.rsplit("/", 1)[0] + "/verzoek", data={**typed, "run_proof": proof})
    assert response.status_code == 400
    assert "Een lange vraag die ik niet kwijt wil" in response.get_data(as_text=True)
    again = {**typed, "csrf_token": _token(response), "run_proof": _proof(response)}
    sent = client.post(url.rsplit("/", 1)[0] + "/verzoek", data=again)
    assert sent.status_code == 303 and "/status/" in sent.headers["Location"]


def _proof(response) -> str:
    return soup(response).find("input", {"name": "run_proof"})["value"]


def test_a_read_only_database_answers_503_and_keeps_the_typed_text(app, client):
    patient = econsult_run(client)
    with app.app_context():
        get_db().execute("PRAGMA query_only = ON")
    response = client.post(request_url(patient), data={**ECONSULT_FORM, "message": "Bewaar deze tekst"})
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "Bewaar deze tekst" in response.get_data(as_text=True)
    assert client.get("/healthz").status_code == 503
    with app.app_context():
        get_db().execute("PRAGMA query_only = OFF")
    assert client.get("/healthz").status_code == 200


def test_a_full_disk_answers_503_on_a_triage_step(app, client):
    import sqlite3

    with app.app_context():
        db = get_db()
        db.execute("CREATE TABLE filler (x BLOB)")
        db.conn.commit()
        db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
        with pytest.raises(sqlite3.OperationalError, match="full"):
            while True:  # use up the free pages, as a full disk would
                db.execute("INSERT INTO filler VALUES (zeroblob(2000))")
                db.conn.commit()
        db.conn.rollback()
    for _ in range(40):  # the routing log's last page may still hold a few rows
        response = client.post("/de-linde/triage/keelpijn", data={"emergency_screen": "none"})
        if response.status_code != 303:
            break
    assert response.status_code == 503
    assert "112" in text(response)
    assert soup(response).find("input", {"value": "none", "checked": True})  # the answer is still chosen


def test_names_of_only_invisible_characters_are_refused(client):
    patient = econsult_run(client)
    for name in ("   ", "\u200b\u200b", "\u202e\u200d"):
        response = client.post(request_url(patient), data={**ECONSULT_FORM, "name": name})
        assert response.status_code == 422, repr(name)


def test_bidi_controls_are_removed_from_names(client, db):
    send_econsult(client, name="Jan \u202eeiraM")
    assert db.execute("SELECT name FROM requests").fetchone()[0] == "Jan eiraM"


def test_an_e_mail_list_is_refused(client):
    patient = econsult_run(client)
    response = client.post(request_url(patient), data={**ECONSULT_FORM, "email": "a@b.nl,postmaster"})
    assert response.status_code == 422


def test_a_forged_post_to_someone_elses_triage_gets_the_error_page_not_a_crash(csrf_app):
    owner = csrf_app.test_client()
    first = owner.get("/de-linde/triage/keelpijn")
    response = owner.post("/de-linde/triage/keelpijn", data={"csrf_token": _token(first), "emergency_screen": "none"})
    stranger = csrf_app.test_client()
    forged = stranger.post(response.headers["Location"], data={"who_for": "self", "csrf_token": "forged"})
    assert forged.status_code == 400
    assert "Probeer het nog eens" in text(forged)


def test_a_script_hammering_one_triage_is_stopped_and_the_answer_is_not_stored(app_config, db):
    app = create_app({**app_config, "STEPS_PER_RUN_HOUR": 1})
    client = app.test_client()
    patient = Patient(client)
    patient.start("keelpijn", danger=None)  # starting the run is not a step; the danger screen is the first
    first = patient.answer(general_danger="none")
    assert first.status_code == 303
    answers_before = db.execute("SELECT answers FROM triage_runs").fetchone()[0]
    refused = client.post(patient.url, data=ADULT_WOMAN)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert db.execute("SELECT answers FROM triage_runs").fetchone()[0] == answers_before
    assert soup(refused).find("input", {"type": ["radio", "checkbox"]}) is not None  # the question is shown again
