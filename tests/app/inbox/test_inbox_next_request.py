"""Working through the inbox without going back to the list: after a close the assistant lands on
the next request of the list they came from (its filters kept in the URL), with a note that the
previous one is closed. The common path is then one page load per request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.storage import reply_templates as templates_store
from portal.storage import requests as store
from tests.app.inbox.requests_factory import gen_request
from tests.factories import gen_staff, login, soup, text

CLOSE = {"body": "Wij bellen u vandaag.", "close": "y", "route": "econsult", "urgency": "U5"}


@pytest.fixture
def assistant(client, db):
    staff = gen_staff(db)
    login(client, staff)
    client.get("/staff/de-linde/inbox?lang=en")
    return staff


def where(response) -> tuple[str, dict[str, list[str]]]:
    """The redirect's path and query."""
    parts = urlsplit(response.headers["Location"])
    return parts.path, parse_qs(parts.query)


def detail(item) -> str:
    return f"/staff/de-linde/requests/{item.id}"


def test_reply_and_close_goes_straight_to_the_next_request_with_a_note(client, db, assistant):
    first = gen_request(db, urgency="U3", name="Eerste Patiënt")
    second = gen_request(db, urgency="U4", name="Tweede Patiënt")
    gen_request(db, urgency="U5", name="Derde Patiënt")

    response = client.post(detail(first) + "/reply", data=CLOSE)

    assert response.status_code == 303
    assert where(response) == (detail(second), {"closed": [str(first.id)]})
    assert store.for_practice(db, "de-linde", first.id).status == "closed"
    page = client.get(response.headers["Location"])
    note = soup(page).select_one(".ok-message[role=status]")
    assert note is not None and first.reference in note.get_text()
    assert "Tweede Patiënt" in text(page)


def test_close_without_a_reply_goes_on_to_the_next_request_too(client, db, assistant):
    first = gen_request(db, urgency="U3")
    second = gen_request(db, urgency="U4")
    response = client.post(detail(first) + "/close", data={"route": "self_care", "urgency": "U5"})
    assert where(response) == (detail(second), {"closed": [str(first.id)]})


def test_the_last_request_of_the_list_leads_back_to_the_list(client, db, assistant):
    only = gen_request(db)
    response = client.post(detail(only) + "/reply", data=CLOSE)
    assert where(response) == ("/staff/de-linde/inbox", {})


def test_the_next_request_is_the_one_below_not_one_answered_earlier_above(client, db, assistant):
    """A request replied to but left open stays at the top of the list; "next" must not keep
    landing on it, but go down the list as the assistant would."""
    answered = gen_request(db, urgency="U2")
    client.post(detail(answered) + "/reply", data={"body": "Even geduld.", "route": "econsult", "urgency": "U5"})
    current = gen_request(db, urgency="U3")
    below = gen_request(db, urgency="U4")
    response = client.post(detail(current) + "/reply", data=CLOSE)
    assert where(response)[0] == detail(below)


def test_within_one_urgency_the_next_request_is_the_one_due_next(client, db, assistant):
    now = datetime.now(UTC)
    later = gen_request(db, urgency="U4", due=now + timedelta(hours=30))
    current = gen_request(db, urgency="U4", due=now + timedelta(hours=10))
    gen_request(db, urgency="U4", due=now + timedelta(hours=50))
    response = client.post(detail(current) + "/reply", data=CLOSE)
    assert where(response)[0] == detail(later)


def test_the_lists_filters_go_with_the_assistant_to_the_request_and_on(client, db, assistant):
    throat = gen_request(db, tree="keelpijn", urgency="U4", message="Keelpijn sinds gisteren")
    more_urgent_cough = gen_request(db, tree="hoesten", urgency="U3")
    next_throat = gen_request(db, tree="keelpijn", urgency="U5", message="Keelpijn en koorts")

    listing = soup(client.get("/staff/de-linde/inbox", query_string={"complaint": "keelpijn"}))
    links = [a["href"] for a in listing.select("#inbox-list tbody a")]
    assert links == [f"{detail(throat)}?complaint=keelpijn", f"{detail(next_throat)}?complaint=keelpijn"]

    page = soup(client.get(links[0]))
    assert page.select_one(".back a")["href"] == "/staff/de-linde/inbox?complaint=keelpijn"
    assert page.select_one("#reply-form")["action"] == f"{detail(throat)}/reply?complaint=keelpijn"
    assert page.select_one(".ok-message") is None

    # Closing goes on within the filter: the more urgent cough is not in this list.
    response = client.post(f"{detail(throat)}/reply?complaint=keelpijn", data=CLOSE)
    assert where(response) == (detail(next_throat), {"closed": [str(throat.id)], "complaint": ["keelpijn"]})
    response = client.post(f"{detail(next_throat)}/reply?complaint=keelpijn", data=CLOSE)
    assert where(response) == ("/staff/de-linde/inbox", {"complaint": ["keelpijn"]})
    assert store.for_practice(db, "de-linde", more_urgent_cough.id).status == "new"


def test_choosing_a_template_without_javascript_keeps_the_filter(client, db, assistant):
    text_ = templates_store.TemplateText(title="Afspraak", body_nl="Beste {voornaam}, bel ons.", body_en="", page=None)
    template = templates_store.create(db, "de-linde", text_, staff_id=assistant.id, now=datetime.now(UTC))
    item = gen_request(db, kind="econsult", name="Anna de Vries")
    page = soup(client.get(detail(item), query_string={"view": "unassigned"}))
    chooser = page.select_one("form:has(#template)")
    assert {i["name"]: i["value"] for i in chooser.select("input[type=hidden]")} == {"view": "unassigned"}

    chosen = soup(client.get(detail(item), query_string={"view": "unassigned", "template": template.id}))
    assert chosen.select_one("#body").get_text() == "Beste Anna, bel ons."
    assert chosen.select_one("#reply-form")["action"] == f"{detail(item)}/reply?view=unassigned"


def test_claiming_keeps_the_filter(client, db, assistant):
    item = gen_request(db)
    response = client.post(f"{detail(item)}/claim?view=mine&kind=econsult")
    assert where(response) == (detail(item), {"view": ["mine"], "kind": ["econsult"]})


@pytest.mark.parametrize("closed", ["abc", "²", "9" * 40, ""])
def test_a_closed_note_for_anything_but_a_closed_request_shows_nothing(client, db, assistant, closed):
    item = gen_request(db)
    response = client.get(detail(item), query_string={"closed": closed})
    assert response.status_code == 200
    assert soup(response).select_one(".ok-message") is None


def test_no_closed_note_for_an_open_request_or_another_practices(client, db, assistant):
    still_open = gen_request(db)
    elsewhere = gen_request(db, practice="het-anker")
    other = gen_staff(db, practices=("het-anker",), email="anker@example.nl")
    store.close(db, elsewhere, other.id, route="econsult", urgency="U5", now=datetime.now(UTC))
    item = gen_request(db)
    for closed in (still_open, elsewhere):
        page = soup(client.get(detail(item), query_string={"closed": closed.id}))
        assert page.select_one(".ok-message") is None
