"""One screen per request: the common path (reply and close) is one submit; the rarer actions stay."""

from __future__ import annotations

import pytest

from portal.storage import audit
from portal.storage import requests as store
from portal.storage.routing import get_run
from tests.app.inbox.requests_factory import gen_request
from tests.factories import gen_staff, login, soup, text


@pytest.fixture
def opened(client, db):
    """A call-back triaged as urgent/U3, and an assistant of the practice logged in (in English)."""
    item = gen_request(db, tree="keelpijn", kind="callback", route="urgent", urgency="U3", email="anna@example.nl")
    staff = gen_staff(db)
    login(client, staff)
    client.get("/staff/de-linde/inbox?lang=en")
    return item, staff


def url(item, action: str = "") -> str:
    return f"/staff/de-linde/requests/{item.id}" + (f"/{action}" if action else "")


def test_the_reply_form_has_route_and_urgency_prefilled_from_the_triage(client, opened):
    item, _staff = opened
    form = soup(client.get(url(item))).select_one("#reply-form")
    assert form.select_one("#reply-route option[selected]")["value"] == "urgent"
    assert form.select_one("#reply-urgency option[selected]")["value"] == "U3"
    assert form.select_one("#reply-close")["type"] == "checkbox"


def test_reply_and_close_in_one_post(client, db, opened):
    item, staff = opened
    response = client.post(
        url(item, "reply"),
        data={"body": "We bellen u vandaag.", "close": "y", "route": "appointment", "urgency": "U4"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/de-linde/inbox")
    closed = store.for_practice(db, "de-linde", item.id)
    assert closed.status == "closed"
    assert [m.body for m in store.messages(db, item.id)] == ["We bellen u vandaag."]
    run = get_run(db, item.run_id)
    assert (run.route, run.urgency, run.final_route, run.final_urgency) == ("urgent", "U3", "appointment", "U4")
    actions = [(e.action, e.request_id, e.staff_id) for e in audit.entries(db, limit=2)]
    assert actions == [("close:appointment:U4", item.id, staff.id), ("reply", item.id, staff.id)]


def test_a_reply_without_the_tick_leaves_the_request_open(client, db, opened):
    item, _staff = opened
    response = client.post(url(item, "reply"), data={"body": "Even geduld.", "route": "econsult", "urgency": "U5"})
    assert response.headers["Location"].endswith(url(item))
    assert store.for_practice(db, "de-linde", item.id).status == "answered"
    assert get_run(db, item.run_id).final_route is None


def test_an_empty_reply_keeps_the_tick_and_choices_and_closes_nothing(client, db, opened):
    item, _staff = opened
    response = client.post(url(item, "reply"), data={"body": "  ", "close": "y", "route": "self_care", "urgency": "U5"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#reply-close").has_attr("checked")
    assert page.select_one("#reply-route option[selected]")["value"] == "self_care"
    assert page.title.get_text().startswith("Error:")
    assert store.for_practice(db, "de-linde", item.id).status == "new" and store.messages(db, item.id) == []


def test_a_bad_final_route_keeps_the_typed_reply(client, db, opened):
    item, _staff = opened
    typed = "Neem paracetamol en bel bij koorts boven 39 graden."
    response = client.post(url(item, "reply"), data={"body": typed, "close": "y", "route": "moon", "urgency": "U9"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#body").get_text() == typed
    assert [a["href"] for a in page.select(".error-summary a")] == ["#reply-route", "#reply-urgency"]
    assert store.messages(db, item.id) == [] and store.for_practice(db, "de-linde", item.id).status == "new"


def test_the_rarer_actions_stay_available_folded_away(client, db, opened):
    item, _staff = opened
    page = soup(client.get(url(item)))
    summaries = [d.find("summary").get_text(strip=True) for d in page.select(".actions details")]
    assert summaries == ["Assign to a colleague", "Send the patient elsewhere", "Close without a reply"]
    for action in ("claim", "assign", "reroute", "close"):
        assert page.select_one(f'form[action$="/{action}"]') is not None, action
    assert len({tag["id"] for tag in page.select("[id]")}) == len(page.select("[id]"))  # no id twice
    client.post(url(item, "close"), data={"route": "econsult", "urgency": "U5"})
    assert store.for_practice(db, "de-linde", item.id).status == "closed"


def test_a_practice_manager_works_the_inbox_too(client, db, opened):
    item, _staff = opened
    login(client, gen_staff(db, role="practice_manager", email="manager@example.nl"))
    assert client.get(url(item)).status_code == 200
    client.post(url(item, "reply"), data={"body": "Klaar.", "close": "y", "route": "econsult", "urgency": "U5"})
    assert store.for_practice(db, "de-linde", item.id).status == "closed"
    assert "Klaar." in text(client.get(url(item)))
