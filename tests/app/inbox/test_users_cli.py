"""Operators manage staff accounts from the command line."""

from __future__ import annotations

from portal.storage.staff import find_staff
from tests.factories import gen_staff


def test_users_create_with_a_one_time_password(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Sam@Example.nl",
            "--name",
            "Sam",
            "--role",
            "assistant",
            "--practice",
            "de-linde",
            "--practice",
            "het-anker",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "One-time password" in result.output
    staff = find_staff(db, "sam@example.nl")
    assert staff.practices == ("de-linde", "het-anker") and not staff.totp_confirmed
    assert "sam@example.nl" in runner.invoke(args=["users", "list"]).output


def _create(practice: str, *extra: str) -> list[str]:
    return [
        "users",
        "create",
        "--email",
        "a@b.nl",
        "--name",
        "A",
        "--role",
        "admin",
        "--practice",
        practice,
        *extra,
    ]


def test_users_create_refuses_an_unknown_practice_and_a_short_password(runner):
    unknown = runner.invoke(args=_create("nergens"))
    assert unknown.exit_code != 0 and "unknown practice" in unknown.output
    short = runner.invoke(args=_create("de-linde", "--password-stdin"), input="short\n")
    assert short.exit_code != 0 and "at least 12" in short.output


def test_users_reset_password_lets_the_colleague_log_in_with_the_new_one(runner, client, db):
    from tests.factories import login

    staff = gen_staff(db)
    result = runner.invoke(args=["users", "reset-password", staff.email])
    assert result.exit_code == 0, result.output
    new_password = result.output.strip().rsplit(": ", 1)[1]
    response = login(client, staff, password=new_password)
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/password")
    own = "zeilboot kaneel vensterbank"
    client.post("/staff/password", data={"current": new_password, "new": own, "repeat": own})
    assert client.get("/staff/de-linde/inbox").status_code == 200


def test_users_disable_and_reset_2fa(runner, db):
    staff = gen_staff(db)
    assert runner.invoke(args=["users", "reset-2fa", staff.email]).exit_code == 0
    assert find_staff(db, staff.email).totp_secret is None
    assert runner.invoke(args=["users", "disable", staff.email]).exit_code == 0
    assert not find_staff(db, staff.email).active
    assert runner.invoke(args=["users", "disable", "nobody@example.nl"]).exit_code != 0
