"""Mail goes through a durable outbox: the patient's request never depends on the mail server.

A real SMTP server (aiosmtpd) on 127.0.0.1 receives what ``voordeur outbox`` sends; "refused" is
a port where nothing listens, "black-holed" a socket that accepts and never answers.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from portal import create_app, mail
from portal.storage import outbox
from portal.storage import requests as store
from portal.storage.db import immediate, open_db
from tests.conftest import _voordeur, free_port
from tests.factories import ECONSULT_FORM, econsult_run, gen_staff, login, request_url, send_econsult

ADDRESS = "anna@example.nl"
# Words from the question, the triage and the patient: none may appear in a mail.
PRIVATE = ("hoest", "vier weken", "nachts", "Anna de Vries", "1980", "econsult", "longfoto", "Kom morgen")


class _Mailbox:
    """What the SMTP server accepted: (recipients, parsed message)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this per message
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def app_config(app_config: dict, smtp_port: int) -> dict:
    """The shared test settings, with a mail server on ``smtp_port`` (nothing listens there until
    a test starts its mailbox)."""
    return {**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_port, "SMTP_STARTTLS": False}


@pytest.fixture
def start_mailbox(smtp_port: int):
    """Start the SMTP server on ``smtp_port`` when the test says so."""
    controllers: list[Controller] = []

    def start() -> _Mailbox:
        box = _Mailbox()
        controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        controllers.append(controller)
        return box

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def black_hole():
    """A port that accepts connections (the kernel's backlog) and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def _rows(db, table: str) -> list[dict]:
    return list(db.query(f"SELECT * FROM {table} ORDER BY id"))


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _assert_nothing_private(message, link: str) -> None:
    # The link is random and could hold any two letters: check the text around it.
    text = (message["Subject"] + "\n" + _body(message)).replace(link, "<link>")
    for word in PRIVATE:
        assert word.lower() not in text.lower(), word


def test_a_refused_mail_server_never_fails_the_patient_and_the_outbox_sends_once_it_is_back(
    client, runner, db, start_mailbox
):
    _patient, response = send_econsult(client, email=ADDRESS)
    assert response.status_code == 303 and "/status/" in response.headers["Location"]
    assert client.get(response.headers["Location"]).status_code == 200
    (request,) = _rows(db, "requests")
    (queued,) = _rows(db, "outbox")
    assert (queued["template"], queued["locale"], queued["dedupe_key"]) == (
        "request_sent",
        "nl",
        f"request_sent:{request['id']}",
    )
    assert queued["sent_at"] is None and ADDRESS not in str(queued)

    mailbox = start_mailbox()
    result = runner.invoke(args=["outbox"])
    assert result.exit_code == 0 and "1 sent" in result.output, result.output
    ((recipients, message),) = mailbox.received
    link = f"http://localhost/status/{request['status_token']}"
    assert recipients == [ADDRESS] and message["To"] == ADDRESS
    assert message["Subject"] == "Uw vraag aan Huisartsenpraktijk De Linde (demo) is verstuurd"
    assert request["reference"] in _body(message) and link in _body(message)
    assert "Bij spoed belt u de praktijk, bij levensgevaar 112." in _body(message)
    _assert_nothing_private(message, link)
    assert _rows(db, "outbox")[0]["sent_at"] is not None

    again = runner.invoke(args=["outbox"])
    assert again.exit_code == 0 and "0 sent" in again.output
    assert len(mailbox.received) == 1


def test_a_black_holed_mail_server_does_not_hold_up_the_patient(app_config, db, black_hole, monkeypatch):
    app = create_app({**app_config, "SMTP_PORT": black_hole})
    client = app.test_client()
    patient = econsult_run(client)
    started = time.monotonic()
    response = client.post(request_url(patient), data={**ECONSULT_FORM, "email": ADDRESS})
    assert time.monotonic() - started < 2.0
    assert response.status_code == 303 and len(_rows(db, "outbox")) == 1

    # Delivery waits out the timeout instead (here shortened), and schedules the next try.
    monkeypatch.setattr(mail, "SMTP_TIMEOUT_SECONDS", 0.5)
    now = datetime.now(UTC)
    summary = mail.deliver_due(app, db, now)
    assert (summary.sent, summary.failed, summary.pending) == (0, 1, 1)
    (row,) = _rows(db, "outbox")
    assert row["last_error"] == "SMTPServerDisconnected (TimeoutError)"
    assert row["attempts"] == 1 and row["sent_at"] is None
    assert datetime.fromisoformat(row["next_attempt_at"]) > now


def test_sending_the_same_form_twice_makes_one_request_one_outbox_row_and_one_mail(client, runner, db, start_mailbox):
    patient = econsult_run(client)
    form = {**ECONSULT_FORM, "email": ADDRESS}
    first = client.post(request_url(patient), data=form)
    second = client.post(request_url(patient), data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    assert len(_rows(db, "requests")) == 1 and len(_rows(db, "outbox")) == 1

    mailbox = start_mailbox()
    runner.invoke(args=["outbox"])
    runner.invoke(args=["outbox"])
    assert len(mailbox.received) == 1


def test_a_repeated_submit_in_storage_queues_nothing_new(client, db):
    send_econsult(client, email=ADDRESS)
    (request,) = _rows(db, "requests")
    repeat = store.NewRequest(
        practice=request["practice"],
        run_id=request["run_id"],
        kind=request["kind"],
        urgency=request["urgency"],
        idempotency_key=request["idempotency_key"],
        name="Anna de Vries",
        birth_date="1980-05-17",
        email=ADDRESS,
    )
    order = outbox.MailOrder(template="request_sent", locale="nl", base_url="https://voordeur.example.nl")
    now = datetime.now(UTC)
    found, created = store.submit(db, repeat, now=now, due=now, mail=order)
    assert (found.id, created) == (request["id"], False)
    assert len(_rows(db, "outbox")) == 1


def test_a_staff_reply_queues_one_notification_in_the_patients_language(app, client, db, runner, start_mailbox):
    client.get("/de-linde/?lang=en")
    _patient, _response = send_econsult(client, email=ADDRESS)
    (request,) = _rows(db, "requests")
    staff_client = app.test_client()  # the assistant works in Dutch
    login(staff_client, gen_staff(db))
    staff_client.post(f"/staff/de-linde/requests/{request['id']}/reply", data={"body": "Uw longfoto is goed."})
    (message_row,) = _rows(db, "request_messages")

    queued = _rows(db, "outbox")
    assert [(q["template"], q["locale"]) for q in queued] == [("request_sent", "en"), ("new_message", "en")]
    assert queued[1]["dedupe_key"] == f"new_message:{message_row['id']}"

    mailbox = start_mailbox()
    assert "2 sent" in runner.invoke(args=["outbox"]).output
    link = f"http://localhost/status/{request['status_token']}"
    subjects = [message["Subject"] for _to, message in mailbox.received]
    assert subjects[0].startswith("Your question to") and subjects[1].startswith("New message from")
    for _recipients, message in mailbox.received:
        assert request["reference"] in _body(message) and link in _body(message)
        assert "In an emergency, call the practice. If a life is in danger, call 112." in _body(message)
        _assert_nothing_private(message, link)


def test_a_reroute_queues_a_notification_too(app, client, db):
    send_econsult(client, email=ADDRESS)
    (request,) = _rows(db, "requests")
    login(client, gen_staff(db))
    client.post(f"/staff/de-linde/requests/{request['id']}/reroute", data={"target": "huisartsenpost", "note": ""})
    assert [q["template"] for q in _rows(db, "outbox")] == ["request_sent", "new_message"]


def test_a_purged_requests_pending_mail_is_given_up_not_sent(client, db, runner, start_mailbox):
    send_econsult(client, email=ADDRESS)
    (request,) = _rows(db, "requests")
    now = datetime.now(UTC)
    staff = gen_staff(db)
    found = store.for_practice(db, "de-linde", request["id"])
    store.close(db, found, staff.id, route="self_care", urgency="U5", now=now)
    assert store.purge_closed(db, now + timedelta(seconds=1), now) == 1

    mailbox = start_mailbox()
    result = runner.invoke(args=["outbox"])
    assert "0 sent" in result.output and "1 given up" in result.output, result.output
    (row,) = _rows(db, "outbox")
    assert row["gave_up_at"] is not None and row["last_error"] == "purged" and row["sent_at"] is None
    assert mailbox.received == []


def test_no_address_or_no_mail_server_queues_nothing(app_config, db):
    send_econsult(create_app(app_config).test_client(), email="")
    no_server = create_app({**app_config, "SMTP_HOST": None})
    send_econsult(no_server.test_client(), practice="het-anker", email=ADDRESS)
    assert len(_rows(db, "requests")) == 2 and _rows(db, "outbox") == []
    result = no_server.test_cli_runner().invoke(args=["outbox"])
    assert result.exit_code == 0 and "No mail server configured" in result.output


def test_two_concurrent_deliveries_send_each_message_once(app, db, db_path, start_mailbox):
    for _ in range(5):
        send_econsult(app.test_client(), email=ADDRESS)
    references = {row["reference"] for row in _rows(db, "requests")}
    mailbox = start_mailbox()
    start = threading.Barrier(2)
    summaries: list[mail.Summary] = []

    def deliver() -> None:
        own = open_db(db_path)
        try:
            start.wait()
            summaries.append(mail.deliver_due(app, own, datetime.now(UTC), limit=1))
        finally:
            own.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(s.sent for s in summaries) == 5
    bodies = [_body(message) for _to, message in mailbox.received]
    assert sorted(ref for ref in references for body in bodies if ref in body) == sorted(references)
    assert all(row["sent_at"] and row["attempts"] == 1 for row in _rows(db, "outbox"))


def test_a_failed_message_is_retried_with_backoff_and_sent_when_the_server_is_back(app, client, db, start_mailbox):
    send_econsult(client, email=ADDRESS)
    now = datetime.now(UTC)
    assert mail.deliver_due(app, db, now).failed == 1  # refused: nothing listens yet
    (row,) = _rows(db, "outbox")
    assert row["last_error"] == "ConnectionRefusedError errno 111"
    assert datetime.fromisoformat(row["next_attempt_at"]) == now.replace(microsecond=0) + timedelta(minutes=1)

    mailbox = start_mailbox()
    assert mail.deliver_due(app, db, now + timedelta(seconds=30)).sent == 0  # not due yet
    assert mail.deliver_due(app, db, now + timedelta(minutes=1, seconds=1)).sent == 1
    assert len(mailbox.received) == 1 and _rows(db, "outbox")[0]["attempts"] == 2


def test_the_outbox_gives_up_after_ten_attempts_and_never_stores_an_address(client, db):
    send_econsult(client, email=ADDRESS)
    moment = datetime.now(UTC)
    for attempt in range(1, 20):
        claimed = outbox.claim_due(db, moment)
        if not claimed:
            break
        (item,) = claimed
        assert item.attempts == attempt
        gave_up = outbox.mark_failed(db, item, error=f"550 <{ADDRESS}> unknown", now=moment)
        moment += outbox.backoff(attempt)
    assert gave_up and item.attempts == outbox.MAX_ATTEMPTS
    (row,) = _rows(db, "outbox")
    assert row["gave_up_at"] is not None and ADDRESS not in row["last_error"]
    assert outbox.stats(db, moment)["gave_up"] == 1 and outbox.pending_count(db) == 0


def test_claims_never_overlap_and_enqueue_needs_the_callers_transaction(client, db):
    with pytest.raises(AssertionError):
        outbox.enqueue(
            db, request_id=1, template="request_sent", locale="nl", base_url="x", now=datetime.now(UTC), dedupe_key="k"
        )
    send_econsult(client, email=ADDRESS)
    (request,) = _rows(db, "requests")
    with immediate(db):
        assert not outbox.enqueue(
            db,
            request_id=request["id"],
            template="request_sent",
            locale="nl",
            base_url="x",
            now=datetime.now(UTC),
            dedupe_key=f"request_sent:{request['id']}",
        )
    now = datetime.now(UTC)
    assert len(outbox.claim_due(db, now)) == 1
    assert outbox.claim_due(db, now) == []  # leased to the first claim
    assert len(outbox.claim_due(db, now + outbox.DEFAULT_LEASE)) == 1  # the lease ran out: due again


def test_voordeur_outbox_watch_is_a_worker_that_stops_cleanly(db_path, smtp_port, tmp_path, client, start_mailbox):
    send_econsult(client, email=ADDRESS)
    mailbox = start_mailbox()
    env = {
        **os.environ,
        "VOORDEUR_DATABASE": str(db_path),
        "VOORDEUR_SECRET_KEY": "worker-test-secret",
        "VOORDEUR_CONFIG": "",
        "VOORDEUR_SMTP_HOST": "127.0.0.1",
        "VOORDEUR_SMTP_PORT": str(smtp_port),
        "VOORDEUR_SMTP_STARTTLS": "false",
        "HOME": str(tmp_path),
    }
    worker = subprocess.Popen(
        [_voordeur(), "outbox", "--watch", "--interval", "1"], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not mailbox.received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(mailbox.received) == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=15)
    assert worker.returncode == 0 and "1 sent" in output
