"""The patient answers back on the status page, and the request comes back to the practice (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal import create_app
from portal.storage import audit
from portal.storage import requests as store
from portal.workdays import answer_due
from tests.app.inbox.requests_factory import gen_request
from tests.factories import gen_staff, login, send_econsult, soup, text

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
QUESTION = "Ik hoest al vier weken, vooral 's nachts."
LONG_AGO = "2026-11-02T09:00:00+00:00"


@pytest.fixture
def staff_client(app, db):
    """An assistant of the practice, logged in on a browser of its own."""
    staff_browser = app.test_client()
    login(staff_browser, gen_staff(db))
    return staff_browser


@pytest.fixture
def answered(client, db, staff_client):
    """A sent e-consult (with an e-mail address) that the practice answered; returns (request, status URL)."""
    _patient, response = send_econsult(client, email="anna@example.nl", message=QUESTION)
    status_url = response.headers["Location"].split("?")[0]
    (item,) = store.inbox(db, "de-linde")
    staff_client.post(f"/staff/de-linde/requests/{item.id}/reply", data={"body": "Kom morgen om 9 uur langs."})
    return store.for_practice(db, "de-linde", item.id), status_url


def _reply_form(page):
    return page.select_one('form[action$="/reactie"]')


def _messages(db, item):
    return [(m.author, m.body) for m in store.messages(db, item.id)]


def test_a_patients_reply_reopens_a_closed_request_with_a_fresh_deadline(client, db, staff_client, answered):
    item, status_url = answered
    staff_client.post(f"/staff/de-linde/requests/{item.id}/close", data={"route": "econsult", "urgency": "U5"})
    db.execute("UPDATE requests SET due_at = ? WHERE id = ?", [LONG_AGO, item.id])  # sent weeks ago
    db.conn.commit()
    before = answer_due(datetime.now(AMSTERDAM))
    response = client.post(f"{status_url}/reactie", data={"body": "Het slijm is nu groen. Moet ik toch komen?"})
    after = answer_due(datetime.now(AMSTERDAM))
    assert response.status_code == 303 and "#gesprek" in response.headers["Location"]
    reopened = store.for_practice(db, "de-linde", item.id)
    assert reopened.status == "in_progress" and reopened.closed_at is None
    assert datetime.fromisoformat(reopened.due_at) in (before, after)  # one working day from the message
    assert reopened.reopen_count == 1 and reopened.patient_replied_at is not None
    assert _messages(db, item)[-1] == ("patient", "Het slijm is nu groen. Moet ik toch komen?")
    confirmed = response.headers["Location"].split("#")[0] + "&lang=en"  # the fragment stays out of the request
    assert "Your message has been sent to the practice." in text(client.get(confirmed))


def test_a_reply_on_an_open_answered_request_puts_it_back_as_needing_attention(client, db, staff_client, answered):
    item, status_url = answered
    client.post(f"{status_url}/reactie", data={"body": "Kan het ook om 10 uur?"})
    listing = soup(staff_client.get("/staff/de-linde/inbox?lang=en"))
    row = next(tr for tr in listing.select("tbody tr") if item.reference in tr.get_text())
    assert row.select_one(".badge--patient").get_text(strip=True) == "reply from patient"
    assert row.select_one(".badge--due") is not None  # the clock runs again: not "answered"
    assert store.for_practice(db, "de-linde", item.id).status == "in_progress"
    unassigned = text(staff_client.get("/staff/de-linde/inbox?view=unassigned"))
    assert item.reference in unassigned


def test_a_staff_reply_after_the_patients_message_clears_the_mark_and_mails_the_patient(app_config, db):
    mail_app = create_app({**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": 2525, "SMTP_STARTTLS": False})
    patient, staff_browser = mail_app.test_client(), mail_app.test_client()
    login(staff_browser, gen_staff(db))
    _run, response = send_econsult(patient, email="anna@example.nl")
    status_url = response.headers["Location"].split("?")[0]
    (item,) = store.inbox(db, "de-linde")
    staff_browser.post(f"/staff/de-linde/requests/{item.id}/reply", data={"body": "Kom morgen langs."})
    patient.post(f"{status_url}/reactie", data={"body": "Kan het ook om 10 uur?"})
    staff_browser.post(f"/staff/de-linde/requests/{item.id}/reply", data={"body": "Ja, 10 uur kan ook."})
    after = store.for_practice(db, "de-linde", item.id)
    assert after.status == "answered" and after.patient_replied_at is None
    mails = db.execute("SELECT template FROM outbox WHERE request_id = ? ORDER BY id", [item.id]).fetchall()
    assert [m[0] for m in mails] == ["request_sent", "new_message", "new_message"]
    assert soup(staff_browser.get("/staff/de-linde/inbox?status=answered")).select_one(".badge--patient") is None


def test_the_thread_shows_both_sides_in_order_to_the_patient_and_to_the_assistant(client, db, staff_client, answered):
    item, status_url = answered
    client.post(f"{status_url}/reactie", data={"body": "Kan het ook om 10 uur?"})
    staff_client.post(f"/staff/de-linde/requests/{item.id}/reply", data={"body": "Ja, 10 uur kan ook."})

    patient_page = soup(client.get(f"{status_url}?lang=en"))
    entries = patient_page.select("#gesprek ol.thread > li")
    assert [e.select_one(".caption strong").get_text() for e in entries] == [
        "You",
        "The practice",
        "You",
        "The practice",
    ]
    assert [e.select_one(".patient-text").get_text() for e in entries] == [
        QUESTION,
        "Kom morgen om 9 uur langs.",
        "Kan het ook om 10 uur?",
        "Ja, 10 uur kan ook.",
    ]
    assert all(e.select_one("time[datetime]") for e in entries)
    assert "message--own" in entries[2]["class"]

    detail = soup(staff_client.get(f"/staff/de-linde/requests/{item.id}?lang=en"))
    thread = detail.select("#gesprek ol.thread > li")
    authors = [e.select_one(".caption strong").get_text() for e in thread]
    assert authors == ["Assistant de-linde", "Patient", "Assistant de-linde"]
    assert [e.select_one(".patient-text").get_text() for e in thread][1] == "Kan het ook om 10 uur?"
    assert "message--patient" in thread[1]["class"]


def test_dates_in_the_thread_are_written_the_dutch_way(client, answered):
    _item, status_url = answered
    caption = soup(client.get(f"{status_url}?lang=nl")).select_one("#gesprek .caption time").get_text()
    months = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober")
    assert any(month in caption for month in (*months, "november", "december")), caption


def test_a_message_that_is_too_long_is_refused_and_keeps_what_was_typed(client, db, answered):
    item, status_url = answered
    typed = "Nog een vraag. " * 140  # 2,100 characters
    response = client.post(f"{status_url}/reactie?lang=en", data={"body": typed})
    assert response.status_code == 422
    page = soup(response)
    assert page.find("textarea", id="body").get_text() == typed
    assert "at most 2000 characters" in page.select_one("#body-error").get_text()
    assert page.select_one(".error-summary a[href='#body']") is not None
    assert page.title.get_text().startswith("Error:")
    assert [a for a, _b in _messages(db, item)] == ["practice"]


def test_an_empty_message_is_refused(client, db, answered):
    item, status_url = answered
    assert client.post(f"{status_url}/reactie", data={"body": "   "}).status_code == 422
    assert len(store.messages(db, item.id)) == 1


def test_no_reply_box_before_the_practice_has_answered(client, db):
    _patient, response = send_econsult(client)
    status_url = response.headers["Location"].split("?")[0]
    assert _reply_form(soup(client.get(status_url))) is None
    assert client.post(f"{status_url}/reactie", data={"body": "Nog iets"}).status_code == 409
    (item,) = store.inbox(db, "de-linde")
    assert store.messages(db, item.id) == []


def test_a_purged_request_takes_no_message(client, db, staff_client, answered):
    item, status_url = answered
    staff_client.post(f"/staff/de-linde/requests/{item.id}/close", data={"route": "econsult", "urgency": "U5"})
    store.purge_closed(db, closed_before=datetime.now(UTC) + timedelta(days=1), now=datetime.now(UTC))
    assert _reply_form(soup(client.get(status_url))) is None
    response = client.post(f"{status_url}/reactie", data={"body": "Nog een vraag"})
    assert response.status_code == 409
    assert [body for _a, body in _messages(db, item)] == [None]
    assert store.for_practice(db, "de-linde", item.id).status == "closed"


def test_a_request_from_an_outcome_marked_no_messages_takes_no_message(app, client, db):
    staff = gen_staff(db)
    item = gen_request(db, tree="onveilig_thuis", kind="callback", route="urgent", urgency="U3")
    db.execute(
        "UPDATE requests SET details = json_set(details, '$.outcome', 'urgent_today_no_contact') WHERE id = ?",
        [item.id],
    )
    db.conn.commit()
    store.reply(db, item, staff.id, "We bellen u niet; zie de pagina.", datetime.now(UTC))
    status_url = f"/status/{item.status_token}"
    assert _reply_form(soup(client.get(status_url))) is None
    assert client.post(f"{status_url}/reactie", data={"body": "Bel me niet"}).status_code == 409
    assert [a for a, _b in _messages(db, item)] == ["practice"]


def test_a_request_closed_long_ago_says_start_again_and_takes_no_message(client, db, staff_client, answered):
    item, status_url = answered
    staff_client.post(f"/staff/de-linde/requests/{item.id}/close", data={"route": "econsult", "urgency": "U5"})
    db.execute("UPDATE request_messages SET created_at = ? WHERE request_id = ?", [LONG_AGO, item.id])
    db.conn.commit()
    page = soup(client.get(f"{status_url}?lang=en"))
    notice = page.select_one("#afgehandeld")
    assert "Your question has been dealt with. Do you have a new question?" in notice.get_text()
    assert notice.find("a", string="Start again.")["href"].endswith("/de-linde/")
    assert _reply_form(page) is None
    assert client.post(f"{status_url}/reactie", data={"body": "Nog een vraag"}).status_code == 409
    assert store.for_practice(db, "de-linde", item.id).status == "closed"


def test_a_request_closed_recently_says_so_and_still_takes_one_reply(client, db, staff_client, answered):
    item, status_url = answered
    staff_client.post(f"/staff/de-linde/requests/{item.id}/close", data={"route": "econsult", "urgency": "U5"})
    page = soup(client.get(f"{status_url}?lang=en"))
    assert "You can reply below" in page.select_one("#afgehandeld").get_text()
    assert _reply_form(page) is not None
    assert client.post(f"{status_url}/reactie", data={"body": "Het is niet over."}).status_code == 303
    assert store.for_practice(db, "de-linde", item.id).status == "in_progress"


def test_another_patients_token_cannot_post_and_a_message_stays_on_its_own_request(client, db, staff_client):
    _a, first = send_econsult(client, message="Vraag van de eerste patiënt")
    _b, second = send_econsult(client, message="Vraag van de tweede patiënt")
    first_url, second_url = (r.headers["Location"].split("?")[0] for r in (first, second))
    for item in store.inbox(db, "de-linde"):
        staff_client.post(f"/staff/de-linde/requests/{item.id}/reply", data={"body": "Antwoord"})
    client.post(f"{first_url}/reactie", data={"body": "Alleen voor de eerste"})
    assert "Alleen voor de eerste" in text(client.get(first_url))
    assert "Alleen voor de eerste" not in text(client.get(second_url))
    token = second_url.rsplit("/", 1)[1]
    assert client.post(f"/status/{token[:-1]}x/reactie", data={"body": "Geraden"}).status_code == 404
    assert client.post("/status/kort/reactie", data={"body": "Geraden"}).status_code == 404
    bodies = [m.body for item in store.inbox(db, "de-linde") for m in store.messages(db, item.id)]
    assert "Geraden" not in bodies and bodies.count("Alleen voor de eerste") == 1


def test_alarm_words_interrupt_once_before_the_message_is_sent(client, db, answered):
    item, status_url = answered
    first = client.post(f"{status_url}/reactie", data={"body": "Ik ben nu erg benauwd"})
    page = soup(first)
    assert first.status_code == 200 and page.select_one(".alarm a[href='tel:112']") is not None
    assert page.find("textarea", id="body").get_text() == "Ik ben nu erg benauwd"
    assert page.find("input", {"name": "alarm_ack"})["value"] == "1"
    assert len(store.messages(db, item.id)) == 1
    second = client.post(f"{status_url}/reactie", data={"body": "Ik ben nu erg benauwd", "alarm_ack": "1"})
    assert second.status_code == 303 and _messages(db, item)[-1] == ("patient", "Ik ben nu erg benauwd")


def test_too_many_messages_on_one_request_are_refused_and_keep_the_text(client, db, answered):
    item, status_url = answered
    for n in range(10):
        assert client.post(f"{status_url}/reactie", data={"body": f"Bericht {n}"}).status_code == 303
    response = client.post(f"{status_url}/reactie", data={"body": "Nog eentje"})
    assert response.status_code == 429 and response.headers["Retry-After"]
    assert soup(response).find("textarea", id="body").get_text() == "Nog eentje"
    assert len(store.messages(db, item.id)) == 11


def test_the_audit_log_records_that_the_patient_wrote_but_never_the_text(client, db, staff_client, answered):
    item, status_url = answered
    staff_client.post(f"/staff/de-linde/requests/{item.id}/close", data={"route": "econsult", "urgency": "U5"})
    client.post(f"{status_url}/reactie", data={"body": "Geheime klacht xyz"})
    entries = [e for e in audit.entries(db) if e.request_id == item.id and e.action.startswith("patient:")]
    assert [e.action for e in entries] == ["patient:message:reopen:closed"]
    assert all("xyz" not in str(vars(e)) for e in audit.entries(db))
    runs = db.execute("SELECT * FROM triage_runs WHERE id = ?", [item.run_id]).fetchall()
    assert "xyz" not in str(runs)


def test_a_message_without_the_csrf_token_is_refused(app_config, db, answered):
    _item, status_url = answered
    csrf_client = create_app({**app_config, "WTF_CSRF_ENABLED": True}).test_client()
    refused = csrf_client.post(f"{status_url}/reactie", data={"body": "Zonder token"})
    assert refused.status_code == 400
    token = soup(csrf_client.get(status_url)).select_one('form[action$="/reactie"] input[name=csrf_token]')["value"]
    sent = csrf_client.post(f"{status_url}/reactie", data={"body": "Met token", "csrf_token": token})
    assert sent.status_code == 303


def test_a_second_message_while_the_request_waits_keeps_its_deadline(client, db, answered):
    item, status_url = answered
    client.post(f"{status_url}/reactie", data={"body": "Eerste reactie"})
    db.execute("UPDATE requests SET due_at = ? WHERE id = ?", ["2026-12-31T16:00:00+00:00", item.id])
    db.conn.commit()
    client.post(f"{status_url}/reactie", data={"body": "Nog iets vergeten"})
    waiting = store.for_practice(db, "de-linde", item.id)
    assert waiting.due_at == "2026-12-31T16:00:00+00:00"  # adding to a question never makes the answer later
    assert waiting.reopen_count == 1 and waiting.status == "in_progress"
    actions = [e.action for e in audit.entries(db) if e.request_id == item.id and e.action.startswith("patient:")]
    assert sorted(actions) == ["patient:message", "patient:message:reopen:answered"]
