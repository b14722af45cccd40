"""The faster patient steps (issue 16) behave as the slower ones did.

What is made once instead of per request (the start page's lists, search results,
session cookies, CSRF tokens, step URLs) must show a change at once and must never
let through what the full check would refuse.
"""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest
from flask import session, url_for
from werkzeug.http import dump_cookie

from portal import cookie_session, create_app, signed_tokens
from portal.patient.routes import step_url
from tests.factories import ADULT_WOMAN, Patient, soup

HTMX_SEARCH = {"HX-Request": "true", "HX-Target": "results"}


def _cached_and_fresh(app, client, url: str, headers: dict | None = None) -> tuple[str, str]:
    app.config["PAGE_CACHE"] = True
    client.get(url, headers=headers)  # fills the cache
    cached = client.get(url, headers=headers).get_data(as_text=True)
    app.config["PAGE_CACHE"] = False
    fresh = client.get(url, headers=headers).get_data(as_text=True)
    app.config["PAGE_CACHE"] = True
    return cached, fresh


# --- the start page and search as you type -----------------------------------------------


def test_a_changed_body_part_shows_on_the_cached_start_page_at_once(client, rules_dir):
    assert "Keel en nek" in client.get("/de-linde/").get_data(as_text=True)
    client.get("/de-linde/")  # now from the page cache
    lexicon = rules_dir / "_lexicon.yaml"
    lexicon.write_text(lexicon.read_text().replace('"Keel en nek"', '"Keel, hals en nek"'))
    page = client.get("/de-linde/").get_data(as_text=True)
    assert "Keel, hals en nek" in page and "Keel en nek" not in page


def test_a_changed_complaint_title_shows_on_the_cached_start_page_at_once(client, rules_dir):
    assert "Keelpijn" in client.get("/de-linde/").get_data(as_text=True)
    client.get("/de-linde/")
    tree = rules_dir / "keelpijn.yaml"
    text = tree.read_text()
    assert "nl: Keelpijn" in text
    tree.write_text(text.replace("nl: Keelpijn", "nl: Pijn in de keel", 1))
    titles = [a.get_text() for a in soup(client.get("/de-linde/")).select(".plain-list a")]
    assert "Pijn in de keel" in titles and "Keelpijn" not in titles


@pytest.mark.parametrize("query", ["keelpijn", "pijn in mijn keel", "hoofpijn", "zelfmoord", "schulden", "xqzv"])
def test_search_results_from_the_cache_are_what_a_fresh_render_gives(app, client, query):
    cached, fresh = _cached_and_fresh(app, client, f"/de-linde/?q={query}", HTMX_SEARCH)
    assert cached == fresh


def test_a_search_that_finds_nothing_repeats_its_own_words(client):
    for query in ("xqzv", "blorpf"):
        html = client.get(f"/de-linde/?q={query}", headers=HTMX_SEARCH).get_data(as_text=True)
        assert f"“{query}”" in html


def test_searches_that_find_the_same_share_one_fragment_but_not_the_crisis_box(client):
    first = client.get("/de-linde/?q=keelpijn", headers=HTMX_SEARCH).get_data(as_text=True)
    second = client.get("/de-linde/?q=keel+pijn", headers=HTMX_SEARCH).get_data(as_text=True)
    tiles = [soup_text(first), soup_text(second)]
    assert tiles[0][:1] == tiles[1][:1] == ["Keelpijn"]
    crisis = client.get("/de-linde/?q=zelfmoord", headers=HTMX_SEARCH).get_data(as_text=True)
    assert 'href="tel:113"' in crisis and 'href="tel:113"' not in first


def soup_text(html: str) -> list[str]:
    return re.findall(r'class="tile"[^>]*>([^<]+)<', html)


def test_a_practice_changed_by_another_process_shows_at_once(client, db):
    """The practice is read again only when the database changed: a change by the CLI or the other worker counts."""
    patient = Patient(client)
    patient.start("keelpijn")
    assert "Huisartsenpraktijk De Linde" in client.get("/de-linde/").get_data(as_text=True)
    db.execute("UPDATE practices SET name = 'Praktijk Elders Gewijzigd' WHERE slug = 'de-linde'")
    db.conn.commit()
    for url in ("/de-linde/", patient.url):
        assert "Praktijk Elders Gewijzigd" in client.get(url).get_data(as_text=True)
    db.execute("UPDATE practices SET phone = '010 999 99 99' WHERE slug = 'de-linde'")
    db.conn.commit()
    assert "010 999 99 99" in client.get("/de-linde/").get_data(as_text=True)


# --- CSRF: recognised when handed out here, checked in full otherwise ---------------------


@pytest.fixture
def csrf_app(app_config):
    return create_app({**app_config, "WTF_CSRF_ENABLED": True})


def _token(client) -> str:
    return soup(client.get("/de-linde/triage/keelpijn")).find("input", {"name": "csrf_token"})["value"]


def test_a_post_without_a_valid_csrf_token_is_still_refused(csrf_app):
    client, other = csrf_app.test_client(), csrf_app.test_client()
    token, others = _token(client), _token(other)
    url = "/de-linde/triage/keelpijn"
    assert client.post(url, data={"emergency_screen": "none"}).status_code == 400  # no token
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    assert client.post(url, data={"emergency_screen": "none", "csrf_token": forged}).status_code == 400
    assert client.post(url, data={"emergency_screen": "none", "csrf_token": others}).status_code == 400
    assert client.post(url, data={"emergency_screen": "none", "csrf_token": token}).status_code == 303


def test_a_token_this_worker_did_not_hand_out_is_checked_in_full_and_then_known(csrf_app):
    client = csrf_app.test_client()
    token = _token(client)
    signed_tokens._csrf.clear()  # as if the other worker had made the page
    patient = Patient(client)
    patient._post("/de-linde/triage/keelpijn", {"emergency_screen": "none", "csrf_token": token})
    assert patient.url.endswith("/general_danger")
    with csrf_app.test_request_context():
        assert any(value == token for _at, value in signed_tokens._csrf.values())
    refused = client.post(patient.url, data={"general_danger": "none", "csrf_token": token + "x"})
    assert refused.status_code == 400


def test_over_https_a_post_still_needs_a_referrer_from_this_site(app_config):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True, "SECURE_COOKIES": True})
    client = app.test_client()
    base = "https://localhost"
    page = client.get("/de-linde/triage/keelpijn", base_url=base)
    token = soup(page).find("input", {"name": "csrf_token"})["value"]
    data = {"emergency_screen": "none", "csrf_token": token}
    url = "/de-linde/triage/keelpijn"
    assert client.post(url, data=data, base_url=base).status_code == 400  # no Referer
    elsewhere = {"Referer": "https://elders.example/"}
    assert client.post(url, data=data, base_url=base, headers=elsewhere).status_code == 400
    here = {"Referer": f"{base}/de-linde/triage/keelpijn"}
    assert client.post(url, data=data, base_url=base, headers=here).status_code == 303


def test_a_wrong_answer_still_gives_the_error_page_with_what_was_ticked(csrf_app):
    client = csrf_app.test_client()
    token = _token(client)
    patient = Patient(client)
    patient._post("/de-linde/triage/keelpijn", {"emergency_screen": "none", "csrf_token": token})
    patient._post(patient.url, {"general_danger": "none", "csrf_token": token})
    patient._post(patient.url, {**ADULT_WOMAN, "csrf_token": token})
    page = soup(client.get(patient.url))
    proof = page.find("input", {"name": "run_proof"})["value"]
    # "none of these" and another box: not a valid answer, the page says so and keeps both ticked
    sign = next(box["value"] for box in page.select("input[name=alarm_signs]") if box["value"] != "none")
    ticked = ["none", sign]
    response = client.post(patient.url, data={"alarm_signs": ticked, "csrf_token": token, "run_proof": proof})
    assert response.status_code == 422
    checked = {box["value"] for box in soup(response).select("input[name=alarm_signs][checked]")}
    assert checked == set(ticked)
    assert "Haal een van de twee weg" in response.get_data(as_text=True)


# --- the session cookie -------------------------------------------------------------------


def _cookie(client) -> str:
    return client.get_cookie("voordeur_session").value


def test_a_known_cookie_opens_the_session_the_full_check_opens(app, client):
    Patient(client).start("keelpijn")
    value = _cookie(client)
    interface = app.session_interface
    with app.test_request_context("/", headers={"Cookie": f"voordeur_session={value}"}) as ctx:
        first = interface.open_session(app, ctx.request)  # known: this worker made it
        first["runs"].append("changed")  # a session is the request's own: the next one is not changed
        again = interface.open_session(app, ctx.request)
        assert "changed" not in again["runs"] and again["runs"] and again.loaded is not None
        interface._keys.clear()  # forget every known cookie: the full check gives the same session
        checked = interface.open_session(app, ctx.request)
        assert dict(checked) == dict(again)


def test_a_known_cookie_past_the_session_lifetime_opens_an_empty_session(app, client, monkeypatch):
    Patient(client).start("keelpijn")
    value = _cookie(client)
    interface = app.session_interface
    with app.test_request_context("/", headers={"Cookie": f"voordeur_session={value}"}) as ctx:
        assert dict(interface.open_session(app, ctx.request))
        lifetime = int(app.permanent_session_lifetime.total_seconds())
        later = time.time() + lifetime + 5
        monkeypatch.setattr(cookie_session, "time", SimpleNamespace(time=lambda: later))
        assert dict(interface.open_session(app, ctx.request)) == {}
        earlier = time.time() - 120  # a cookie "from the future" (a clock set back) is refused as itsdangerous does
        monkeypatch.setattr(cookie_session, "time", SimpleNamespace(time=lambda: earlier))
        assert dict(interface.open_session(app, ctx.request)) == {}


def test_a_forged_cookie_is_never_taken_for_a_known_one(app, client):
    Patient(client).start("keelpijn")
    value = _cookie(client)
    payload, stamp, signature = value.rsplit(".", 2)
    forged = f"{payload}.{stamp}.{signature[:-2]}{'AA' if not signature.endswith('AA') else 'BB'}"
    with app.test_request_context("/", headers={"Cookie": f"voordeur_session={forged}"}):
        assert dict(session) == {}


def test_the_set_cookie_header_is_the_one_werkzeug_writes(app, client):
    Patient(client).start("keelpijn")
    header = client.get("/de-linde/").headers["Set-Cookie"]
    value = _cookie(client)
    expires = re.search(r"Expires=([^;]+)", header).group(1)
    expected = dump_cookie(
        "voordeur_session", value, expires=expires, path="/", secure=False, httponly=True, samesite="Lax"
    )
    assert header == expected


# --- URLs and Flask's hooks ---------------------------------------------------------------


def test_a_step_url_is_the_url_url_for_builds(app):
    practice, tree = SimpleNamespace(slug="de-linde"), SimpleNamespace(id="keelpijn")
    for base in ("http://localhost/", "http://localhost/praktijk/"):
        with app.test_request_context("/de-linde/", base_url=base):
            for run_id, page_id in (("abc-123_X", "alarm_signs"), ("a b/c", "ü?#%"), ("r", "uitkomst")):
                built = url_for(".page", practice_slug="de-linde", tree_id="keelpijn", run_id=run_id, page_id=page_id)
                assert step_url(practice, tree, run_id, page_id) == built


def test_a_coroutine_function_is_still_recognised_every_time(app):
    def plain() -> None:
        return None

    async def coroutine() -> None:
        return None

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    for _ in range(2):
        with pytest.raises(RuntimeError):  # Flask wraps it, and says it needs the async extra for that
            app.ensure_sync(coroutine)
