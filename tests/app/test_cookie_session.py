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
