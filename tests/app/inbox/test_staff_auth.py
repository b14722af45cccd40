"""Staff log in with a password and a TOTP code; nothing about patients before both."""

from __future__ import annotations

import urllib.parse

import pyotp

from portal.storage.staff import find_staff
from tests.factories import STAFF_PASSWORD, gen_staff, login, send_econsult, soup, text


def test_passwords_are_stored_as_argon2id(db):
    staff = gen_staff(db)
    assert staff.password_hash.startswith("$argon2id$")
    assert STAFF_PASSWORD not in staff.password_hash


def test_a_password_alone_shows_no_patient_data(client, db):
    staff = gen_staff(db)
    send_econsult(client)
    response = client.post("/staff/login", data={"email": staff.email, "password": STAFF_PASSWORD})
    assert response.headers["Location"].endswith("/staff/2fa")
    inbox = client.get("/staff/de-linde/inbox")
    assert inbox.status_code == 303 and "/staff/login" in inbox.headers["Location"]
    assert client.get("/staff/de-linde/requests/1").status_code == 303


def test_both_factors_open_the_inbox(client, db):
    staff = gen_staff(db)
    send_econsult(client)
    response = login(client, staff)
    assert response.headers["Location"].endswith("/staff/de-linde/inbox")
    assert "Anna de Vries" in text(client.get("/staff/de-linde/inbox"))


def test_the_first_login_enrols_totp_with_a_locally_made_qr_code(client, db):
    from portal.staff.credentials import hash_password
    from portal.storage.staff import create_staff

    create_staff(
        db,
        email="nieuw@example.nl",
        name="Nieuw",
        role="assistant",
        practices=["de-linde"],
        password_hash=hash_password(STAFF_PASSWORD),
    )
    client.post("/staff/login", data={"email": "nieuw@example.nl", "password": STAFF_PASSWORD})
    page = soup(client.get("/staff/2fa"))
    qr = page.select_one("img.qr")["src"]
    assert qr.startswith("data:image/svg+xml") and "xmlns" in urllib.parse.unquote(qr)  # without it, no image
    secret = page.select_one("code.secret").get_text()
    assert client.post("/staff/2fa", data={"code": "000000"}).status_code == 422
    response = client.post("/staff/2fa", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 303
    assert find_staff(db, "nieuw@example.nl").totp_confirmed


def test_the_session_is_replaced_at_each_login_step(client, db):
    staff = gen_staff(db)
    client.get("/staff/login")
    with client.session_transaction() as session:
        session["marker"] = "before login"
    client.post("/staff/login", data={"email": staff.email, "password": STAFF_PASSWORD})
    with client.session_transaction() as session:
        first_sid = session["sid"]
        assert "marker" not in session
    client.post("/staff/2fa", data={"code": pyotp.TOTP(staff.totp_secret).now()})
    with client.session_transaction() as session:
        assert session["sid"] != first_sid and session["staff_session"]


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, db):
    staff = gen_staff(db)
    for _ in range(5):
        assert (
            client.post("/staff/login", data={"email": staff.email, "password": "wrong password!"}).status_code == 422
        )
    response = client.post("/staff/login", data={"email": staff.email, "password": STAFF_PASSWORD})
    assert response.status_code == 422 and "Te veel pogingen" in text(response)


def test_five_wrong_codes_lock_the_second_factor(client, db):
    staff = gen_staff(db)
    client.post("/staff/login", data={"email": staff.email, "password": STAFF_PASSWORD})
    for _ in range(5):
        client.post("/staff/2fa", data={"code": "000000"})
    response = client.post("/staff/2fa", data={"code": pyotp.TOTP(staff.totp_secret).now()})
    assert "Te veel pogingen" in text(response)


def test_an_unknown_address_gets_the_same_answer_as_a_wrong_password(client, db):
    gen_staff(db)
    unknown = client.post("/staff/login", data={"email": "nobody@example.nl", "password": STAFF_PASSWORD})
    assert "Het e-mailadres of wachtwoord klopt niet" in text(unknown)


def test_an_idle_session_ends(client, db):
    staff = gen_staff(db)
    login(client, staff)
    assert client.get("/staff/de-linde/inbox").status_code == 200
    db.execute("UPDATE staff_sessions SET last_seen_at = datetime('now', '-16 minutes')")
    db.conn.commit()
    assert client.get("/staff/de-linde/inbox").status_code == 303


def test_a_disabled_account_is_logged_out_at_once(client, db):
    from portal.storage.staff import set_active

    staff = gen_staff(db)
    login(client, staff)
    set_active(db, staff.id, False)
    assert client.get("/staff/de-linde/inbox").status_code == 303


def test_login_does_not_redirect_off_site(client, db):
    staff = gen_staff(db)
    client.post("/staff/login?next=//evil.example/x", data={"email": staff.email, "password": STAFF_PASSWORD})
    response = client.post("/staff/2fa", data={"code": pyotp.TOTP(staff.totp_secret).now()})
    assert response.headers["Location"].startswith("/staff/")


def test_staff_cookies_are_httponly_lax_and_secure_when_configured(app_config, db):
    from portal import create_app

    staff = gen_staff(db)
    client = create_app({**app_config, "SECURE_COOKIES": True}).test_client()
    response = client.post(
        "/staff/login", data={"email": staff.email, "password": STAFF_PASSWORD}, base_url="https://localhost"
    )
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
