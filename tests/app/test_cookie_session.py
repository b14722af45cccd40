"""The session cookie, made with less work, is the cookie Flask makes."""

from __future__ import annotations

import time

from flask import session
from flask.sessions import SecureCookieSessionInterface

from portal.cookie_session import SessionInterface
from tests.factories import ADULT_WOMAN, Patient


def test_an_unchanged_session_is_signed_again_as_flask_would(app, client):
    Patient(client).start("keelpijn")
    interface = app.session_interface
    assert isinstance(interface, SessionInterface)
    value = client.get_cookie("voordeur_session").value
    with app.test_request_context("/", headers={"Cookie": f"voordeur_session={value}"}) as ctx:
        opened = interface.open_session(app, ctx.request)
        assert opened.loaded is not None and dict(opened)
        for _ in range(5):  # within one second both sign the same payload with the same timestamp
            start = int(time.time())
            ours = interface._signed(app, opened)
            flasks = SecureCookieSessionInterface().get_signing_serializer(app).dumps(dict(opened))
            if int(time.time()) == start:
                break
        assert ours == flasks


def test_a_changed_session_is_encoded_anew(app, client):
    patient = Patient(client)
    patient.start("keelpijn")
    before = client.get_cookie("voordeur_session").value
    Patient(client).start("hoesten")  # binds a second run: the session changes
    after = client.get_cookie("voordeur_session").value
    assert before.rsplit(".", 2)[0] != after.rsplit(".", 2)[0]
    with app.test_request_context("/", headers={"Cookie": f"voordeur_session={after}"}):
        assert len(session["runs"]) == 2


def test_every_page_still_slides_the_session_and_varies_on_cookie_once(client):
    patient = Patient(client)
    patient.start("keelpijn")
    patient.answer(**ADULT_WOMAN)
    for _ in range(2):
        response = client.get(patient.url)
        assert "Expires=" in response.headers["Set-Cookie"]
        assert [v.strip() for v in response.headers["Vary"].split(",")].count("Cookie") == 1
        assert client.get(patient.url).status_code == 200  # the re-signed cookie opens the same run


def test_a_cookie_with_a_bad_signature_opens_an_empty_session(app, client):
    Patient(client).start("keelpijn")
    value = client.get_cookie("voordeur_session").value
    forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    with app.test_request_context("/", headers={"Cookie": f"voordeur_session={forged}"}):
        assert dict(session) == {}


def _opened(app, value: str):
    """The session ``SessionInterface`` opens from this cookie, and Flask's own serializer for the same keys."""
    interface = app.session_interface
    with app.test_request_context("/", headers={"Cookie": f"voordeur_session={value}"}) as ctx:
        opened = interface.open_session(app, ctx.request)
    return interface, opened, SecureCookieSessionInterface().get_signing_serializer(app)


def test_a_cookie_signed_this_second_comes_back_as_flask_would_sign_it(app, client, monkeypatch):
    Patient(client).start("keelpijn")
    value = client.get_cookie("voordeur_session").value
    interface, opened, flasks = _opened(app, value)
    signed_at = opened.cookie[1]
    monkeypatch.setattr(time, "time", lambda: signed_at + 0.9)  # the same second: the very same bytes
    with app.test_request_context("/"):
        assert interface._signed(app, opened) == flasks.dumps(dict(opened)) == value
    monkeypatch.setattr(time, "time", lambda: signed_at + 1.0)  # a second later: a new timestamp, so it slides
    with app.test_request_context("/"):
        later = interface._signed(app, opened)
    assert later == flasks.dumps(dict(opened)) != value


def test_a_cookie_under_an_old_key_is_signed_with_the_new_key_within_its_second(app, client, monkeypatch):
    Patient(client).start("keelpijn")
    value = client.get_cookie("voordeur_session").value
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [app.secret_key])
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-" + "y" * 40)
    interface, opened, flasks = _opened(app, value)
    assert dict(opened) and opened.cookie is not None  # the old key still opens it
    monkeypatch.setattr(time, "time", lambda: opened.cookie[1] + 0.5)
    with app.test_request_context("/"):
        again = interface._signed(app, opened)
    assert again == flasks.dumps(dict(opened)) != value


def test_the_page_after_an_answer_in_the_same_second_keeps_the_run_and_its_cookie(client, monkeypatch):
    patient = Patient(client)
    patient.start("keelpijn")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)  # the answer and the page it leads to share a second
    assert patient.answer(**ADULT_WOMAN).status_code == 303
    assert patient.page().status_code == 200
    before = client.get_cookie("voordeur_session").value
    page = patient.page()  # the session holds what it held: the cookie is the one Flask would sign again
    assert page.status_code == 200
    assert page.headers["Set-Cookie"].startswith(f"voordeur_session={before}; Expires=")
    assert [v.strip() for v in page.headers["Vary"].split(",")].count("Cookie") == 1
    assert patient.page().status_code == 200
