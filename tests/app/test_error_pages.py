"""400, 403 and 405 get the friendly, translated error page (with the 112 advice), like 404 and 500.

Before: werkzeug's English developer pages ("Method Not Allowed ... The method is not allowed
for the requested URL."), in no layout and no language of the patient's choosing.
"""

from __future__ import annotations

import pytest
from flask import abort

from portal.errors import BadInput
from tests.factories import soup, text


@pytest.fixture
def app(app):
    """The app with three routes that fail on purpose (added before its first request)."""
    app.add_url_rule("/test/bad-request", "bad_request", lambda: abort(400))
    app.add_url_rule("/test/bad-input", "bad_input", _bad_input)
    app.add_url_rule("/test/forbidden", "forbidden", lambda: abort(403))
    return app


def _bad_input():  # type: ignore[no-untyped-def]
    raise BadInput("Write dates as YYYY-MM-DD.")


def test_a_get_to_a_post_only_route_is_a_friendly_405_in_dutch(client):
    response = client.get("/staff/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Dit werkt hier niet"
    assert page.title.get_text().startswith("Dit werkt hier niet")
    body = text(response)
    assert "Ga terug en gebruik de knoppen op de pagina" in body
    assert "Bij levensgevaar belt u altijd 112" in page.select_one("#panel").get_text()
    assert page.select_one('#panel a[href="tel:112"]') is not None
    assert "Method Not Allowed" not in body


def test_the_405_page_follows_the_chosen_language(client):
    english = client.get("/staff/logout?lang=en")
    assert english.status_code == 405 and "POST" in english.headers["Allow"]
    assert soup(english).h1.get_text(strip=True) == "This does not work here"
    assert "In an emergency, always call 112" in soup(english).select_one("#panel").get_text()
    # the choice is remembered for the next request, as everywhere else
    assert soup(client.get("/staff/logout")).h1.get_text(strip=True) == "This does not work here"
    dutch = client.get("/staff/logout?lang=nl")
    assert soup(dutch).h1.get_text(strip=True) == "Dit werkt hier niet"
    assert soup(dutch).html["lang"] == "nl"


def test_a_400_is_a_friendly_page_without_werkzeugs_english(client):
    response = client.get("/test/bad-request")
    assert response.status_code == 400
    assert soup(response).h1.get_text(strip=True) == "Kijk na wat u invulde"
    body = text(response)
    assert "Bij levensgevaar belt u altijd 112" in soup(response).select_one("#panel").get_text()
    assert "The browser (or proxy) sent a request" not in body


def test_a_400_for_bad_input_shows_its_own_message(client):
    response = client.get("/test/bad-input?lang=en")
    assert response.status_code == 400
    assert "Please check what you entered" in text(response)
    assert "Write dates as YYYY-MM-DD." in text(response)


def test_a_403_is_a_friendly_page(client):
    response = client.get("/test/forbidden")
    assert response.status_code == 403
    assert soup(response).h1.get_text(strip=True) == "Geen toegang"
    assert "U hebt geen toegang tot deze pagina" in text(response)


def test_the_500_page_does_not_repeat_the_112_advice(app, client):
    app.add_url_rule("/test/boom", "boom", lambda: 1 / 0)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    panel = soup(client.get("/test/boom")).select_one("#panel").get_text()
    assert panel.count("112") == 1


def test_during_an_htmx_request_the_error_is_a_partial_for_the_panel(client):
    response = client.get("/staff/logout", headers={"HX-Request": "true"})
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    html = response.get_data(as_text=True)
    assert "<html" not in html and "site-header" not in html  # only what goes into #panel
    page = soup(response)
    assert page.title.get_text().startswith("Dit werkt hier niet")
    heading = page.h1
    assert heading.get_text(strip=True) == "Dit werkt hier niet"
    assert heading.has_attr("data-autofocus")  # voordeur.js moves focus here after the swap
    assert page.select_one('a[href="tel:112"]') is not None


def test_a_404_during_an_htmx_request_is_a_partial_too(client):
    response = client.get("/de-linde/triage/bestaat-niet", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.get_data(as_text=True)
    assert soup(response).h1.get_text(strip=True) == "Pagina niet gevonden"
