"""Self-help that held: the browser remembers a self-care triage for 14 days, and a new contact
for the same complaint (or any request to the practice) marks it "returned" in the routing log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal import create_app
from portal.patient.returns import COOKIE, MAX_RECORDS
from portal.storage.routing import get_run
from tests.factories import ADULT_WOMAN, ECONSULT_FORM, NO_RISK, Patient, econsult_run, request_url, self_care_run

MONDAY = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)


@pytest.fixture
def at(monkeypatch):
    """Set the portal's clock: ``at(moment)``."""

    def set_clock(moment: datetime) -> None:
        monkeypatch.setattr("portal.clock.now", lambda: moment)

    set_clock(MONDAY)
    return set_clock


def returned(db, run_id: str) -> bool:
    run = get_run(db, run_id)
    assert run is not None
    return run.returned


def _cookie_header(response) -> str:
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{COOKIE}=")]
    return header


def test_a_self_care_outcome_sets_a_small_httponly_first_party_cookie_for_14_days(client, at):
    patient = self_care_run(client)
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.http_only and cookie.path == "/"
    assert len(cookie.value) < 300  # a run id, a complaint and a date
    assert patient.run_id in _decoded(client)


def test_reaching_the_same_self_care_outcome_again_sets_no_new_cookie(client, at):
    patient = self_care_run(client)
    # Go back one page and give the same answer again: that response reaches the outcome once more.
    back = patient.history[-2]
    response = client.post(back, data={"risk_group": "none", "second_contact": "no"})
    assert response.status_code == 303
    # Already remembered: no new cookie on the same outcome.
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{COOKIE}=")]


def test_cookie_attributes_in_production_are_secure_lax_httponly_and_14_days(app_config, at):
    client = create_app({**app_config, "SECURE_COOKIES": True}).test_client()
    patient = Patient(client)
    patient.start("keelpijn")
    patient.answer(**ADULT_WOMAN)
    for question in ("alarm_signs", "today_signs"):
        patient.answer(**{question: "none"})
    patient.answer(duration="under_1_week")
    response = patient.answer(**NO_RISK)
    assert patient.url.endswith("/uitkomst")
    parts = [part.strip() for part in _cookie_header(response).split(";")]
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/", f"Max-Age={14 * 24 * 3600}"} <= set(parts)


def test_the_same_complaint_again_within_14_days_marks_the_earlier_triage_returned(client, db, at):
    first = self_care_run(client)
    assert not returned(db, first.run_id)
    at(MONDAY + timedelta(days=13, hours=10))  # the 13th day after: still within the window
    second = self_care_run(client)
    assert returned(db, first.run_id)
    assert not returned(db, second.run_id)
    # The earlier triage left the cookie; the new one is in it.
    assert _decoded(client) == [second.run_id]


def test_a_different_complaint_does_not_mark_it(client, db, at):
    first = self_care_run(client)
    econsult_run(client)  # a cough: another complaint, and no request sent
    assert not returned(db, first.run_id)
    assert _decoded(client) == [first.run_id]


def test_the_same_complaint_after_14_days_does_not_mark_it(client, db, at):
    first = self_care_run(client)
    at(MONDAY + timedelta(days=14))  # the test client still sends the cookie; the day is past
    self_care_run(client)
    assert not returned(db, first.run_id)


def test_another_browser_does_not_mark_it(app, db, at):
    first = self_care_run(app.test_client())
    self_care_run(app.test_client())
    assert not returned(db, first.run_id)


def test_a_request_to_the_practice_after_self_care_marks_it_returned(client, db, at):
    first = self_care_run(client)
    at(MONDAY + timedelta(days=3))
    patient = econsult_run(client)  # another complaint: only the request counts
    assert not returned(db, first.run_id)
    response = client.post(request_url(patient), data={**ECONSULT_FORM, "idempotency_key": f"key-{patient.run_id}"})
    assert response.status_code == 303 and "/status/" in response.headers["Location"]
    assert returned(db, first.run_id)
    assert not returned(db, patient.run_id)
    assert client.get_cookie(COOKIE) is None  # nothing left to remember


def test_the_routing_log_gets_a_flag_and_nothing_else(client, db, at):
    first = self_care_run(client)
    before = dict(next(iter(db.query("SELECT * FROM triage_runs WHERE id = ?", [first.run_id]))))
    second = self_care_run(client)
    after = dict(next(iter(db.query("SELECT * FROM triage_runs WHERE id = ?", [first.run_id]))))
    assert {k for k in after if after[k] != before[k]} == {"returned"}
    assert after["returned"] == 1
    # Nothing anywhere in the log refers to the later triage, or to the cookie.
    cookie = client.get_cookie(COOKIE).value
    for row in db.query("SELECT * FROM triage_runs"):
        values = " ".join(str(v) for k, v in row.items() if k != "id")
        assert second.run_id not in values and cookie not in values
    columns = {c.name for c in db.table("triage_runs").columns}
    assert not columns & {"cookie", "returned_by", "returned_at", "next_run", "session_id"}


def test_a_changed_or_made_up_cookie_marks_nothing(client, db, at):
    first = self_care_run(client)
    forged = client.get_cookie(COOKIE).value
    client.set_cookie(COOKIE, forged[:-3] + "abc")
    self_care_run(client)
    assert not returned(db, first.run_id)


def test_the_cookie_keeps_only_the_newest_records(client, db, at):
    others = [[f"run{i}", f"klacht{i}", MONDAY.date().isoformat()] for i in range(MAX_RECORDS)]
    client.set_cookie(COOKIE, _serializer().dumps(others))
    patient = self_care_run(client)
    assert _decoded(client) == [*(run for run, _tree, _day in others[1:]), patient.run_id]


def _serializer():
    from itsdangerous import URLSafeSerializer

    from portal.patient import returns

    return URLSafeSerializer("test-secret", salt=returns._SALT)


def _decoded(client) -> list[str]:
    """The run ids in this browser's return cookie (signed; read with the app's key)."""
    cookie = client.get_cookie(COOKIE)
    if cookie is None:
        return []
    return [run_id for run_id, _tree, _day in _serializer().loads(cookie.value)]
