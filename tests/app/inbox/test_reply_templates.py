"""Reply templates: kept per practice by its practice manager, used by assistants in one click,
filled in with the patient's first name and the practice's phone, in the patient's language."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlite_utils import Database

from portal.inbox.placeholders import fill, first_name, unknown
from portal.storage import audit
from portal.storage import reply_templates as templates_store
from portal.storage import requests as store
from portal.storage.migrations import migrate, migrations
from tests.app.inbox.requests_factory import gen_request
from tests.factories import gen_staff, login, soup, text

TEMPLATE = {
    "title": "Hoest langer dan drie weken",
    "body_nl": "Beste {voornaam}, bel ons op {praktijk_telefoon} voor een afspraak.",
    "body_en": "Dear {voornaam}, please call us on {praktijk_telefoon} for an appointment.",
    "page": "hoesten",
}


@pytest.fixture
def manager(client, db):
    staff = gen_staff(db, role="practice_manager", email="manager@example.nl")
    login(client, staff)
    client.get("/staff/de-linde/templates?lang=en")
    return staff


def make_template(client, **changes) -> int:
    response = client.post("/staff/de-linde/templates", data={**TEMPLATE, **changes})
    assert response.status_code == 303, text(response)
    return max(t.id for t in templates_store.for_practice(_db(client), "de-linde"))


def _db(client):
    from portal.storage.db import open_db

    return open_db(client.application.config["VOORDEUR"]["DATABASE"])


def test_a_practice_manager_adds_changes_and_removes_a_template(client, db, manager):
    template_id = make_template(client)
    listed = text(client.get("/staff/de-linde/templates"))
    assert TEMPLATE["title"] in listed and "nl, en" in listed
    client.post(f"/staff/de-linde/templates/{template_id}", data={**TEMPLATE, "title": "Hoest", "body_en": ""})
    (changed,) = templates_store.for_practice(db, "de-linde")
    assert (changed.title, changed.body_en, changed.page) == ("Hoest", "", "hoesten")
    client.post(f"/staff/de-linde/templates/{template_id}/delete")
    assert templates_store.for_practice(db, "de-linde") == []
    actions = [e.action for e in audit.entries(db, limit=3)]
    assert actions == [
        f"template:delete:{template_id}",
        f"template:update:{template_id}",
        f"template:create:{template_id}",
    ]


def test_an_unknown_placeholder_or_empty_text_is_refused_and_the_text_kept(client, db, manager):
    typed = "Beste {voornam}, tot morgen."
    response = client.post("/staff/de-linde/templates", data={**TEMPLATE, "body_nl": typed})
    assert response.status_code == 422
    page = soup(response)
    assert "{voornam}" in page.select_one(".error-summary").get_text()
    assert page.select_one("#body_nl").get_text().strip() == typed
    assert client.post("/staff/de-linde/templates", data={**TEMPLATE, "body_nl": ""}).status_code == 422
    assert templates_store.for_practice(db, "de-linde") == []


def test_an_unknown_self_help_page_is_refused(client, db, manager):
    response = client.post("/staff/de-linde/templates", data={**TEMPLATE, "page": "does-not-exist"})
    assert response.status_code == 422 and templates_store.for_practice(db, "de-linde") == []


@pytest.mark.parametrize(
    ("role", "practices", "expected"),
    [
        ("assistant", ("de-linde",), 403),
        ("editor", ("de-linde",), 403),
        ("evaluator", ("de-linde",), 403),
        ("practice_manager", ("het-anker",), 404),
        ("admin", ("de-linde",), 200),
    ],
)
def test_only_the_practices_own_manager_or_an_admin_manages_templates(client, db, role, practices, expected):
    owner = gen_staff(db, role="practice_manager", email="owner@example.nl")
    created = templates_store.create(
        db, "de-linde", templates_store.TemplateText("T", "Tekst"), staff_id=owner.id, now=datetime.now(UTC)
    )
    login(client, gen_staff(db, role=role, practices=practices))
    assert client.get("/staff/de-linde/templates").status_code == expected
    assert client.get(f"/staff/de-linde/templates/{created.id}").status_code == expected
    posted = {"title": "X", "body_nl": "Y", "page": ""}
    writes = [
        client.post("/staff/de-linde/templates", data=posted),
        client.post(f"/staff/de-linde/templates/{created.id}", data=posted),
        client.post(f"/staff/de-linde/templates/{created.id}/delete"),
    ]
    assert [w.status_code for w in writes] == ([303, 303, 303] if expected == 200 else [expected] * 3)
    if expected != 200:
        assert [(t.title, t.body_nl) for t in templates_store.for_practice(db, "de-linde")] == [("T", "Tekst")]


def test_an_assistant_fills_the_reply_from_a_template_without_javascript(client, db, manager):
    template_id = make_template(client)
    item = gen_request(db, name="Anna de Vries")
    assistant = gen_staff(db)
    login(client, assistant)
    page = soup(client.get(f"/staff/de-linde/requests/{item.id}", query_string={"template": template_id}))
    assert page.select_one("#body").get_text() == "Beste Anna, bel ons op 012 345 6701 voor een afspraak."
    assert page.select_one('#reply-form input[name="template"]')["value"] == str(template_id)
    assert page.select_one("#template option[selected]")["value"] == str(template_id)
    entry = audit.entries(db, limit=1)[0]
    assert (entry.action, entry.request_id, entry.detail) == ("view:request", item.id, f"template:{template_id}")


def test_the_english_text_is_used_for_a_patient_who_triaged_in_english(client, db, manager):
    template_id = make_template(client)
    dutch_only = make_template(client, title="Alleen Nederlands", body_en="")
    item = gen_request(db, name="John Smith", locale="en")
    chosen = soup(client.get(f"/staff/de-linde/requests/{item.id}", query_string={"template": template_id}))
    assert chosen.select_one("#body").get_text().startswith("Dear John, please call us on ")
    fallback = soup(client.get(f"/staff/de-linde/requests/{item.id}", query_string={"template": dutch_only}))
    assert fallback.select_one("#body").get_text().startswith("Beste John,")


def test_a_reply_from_a_template_links_the_self_help_page_on_the_status_page(client, db, manager):
    template_id = make_template(client)
    item = gen_request(db)
    client.post(
        f"/staff/de-linde/requests/{item.id}/reply",
        data={
            "body": "Beste Anna, lees dit even.",
            "template": str(template_id),
            "close": "y",
            "route": "self_care",
            "urgency": "U5",
        },
    )
    assert [m.page for m in store.messages(db, item.id)] == ["hoesten"]
    assert [(e.action, e.detail) for e in audit.entries(db, limit=2)][1] == ("reply", f"template:{template_id}")
    patient = client.application.test_client()
    status = soup(patient.get(f"/status/{item.status_token}"))
    link = status.select_one(".message a[href]")
    assert link["href"] == "/de-linde/zelfhulp/hoesten" and link.get_text()
    assert patient.get(link["href"]).status_code == 200


def test_another_practices_template_cannot_be_used(client, db, manager):
    other = gen_staff(db, role="practice_manager", practices=("het-anker",), email="anker@example.nl")
    foreign = templates_store.create(
        db,
        "het-anker",
        templates_store.TemplateText("Anker", "Geheim {voornaam}", page="hoesten"),
        staff_id=other.id,
        now=datetime.now(UTC),
    )
    item = gen_request(db)
    page = soup(client.get(f"/staff/de-linde/requests/{item.id}", query_string={"template": foreign.id}))
    assert "Geheim" not in page.select_one("#body").get_text()
    client.post(f"/staff/de-linde/requests/{item.id}/reply", data={"body": "Hallo", "template": str(foreign.id)})
    assert [m.page for m in store.messages(db, item.id)] == [None]


def test_placeholders_are_filled_and_typos_are_found():
    values = {"voornaam": first_name("  Anna   de Vries "), "praktijk_telefoon": "010 123"}
    assert (
        fill("Dag {voornaam}, bel {praktijk_telefoon}. {onbekend} {}", values) == "Dag Anna, bel 010 123. {onbekend} {}"
    )
    assert unknown("{voornaam} {voornam} {Voornaam} {praktijk_telefoon}") == ["Voornaam", "voornam"]
    assert first_name(None) == "" and first_name("") == ""


def test_the_upgrade_keeps_staff_and_their_links_and_accepts_the_new_role(tmp_path):
    from portal.storage.db import open_db

    db = open_db(tmp_path / "old.db")
    migrations.apply(db, stop_before="0008_reply_templates_and_practice_manager")
    db.execute(
        "INSERT INTO practices (slug, name, phone, municipality, hap_name, hap_phone, opening_hours) "
        "VALUES ('p', 'P', '1', 'M', 'H', '2', '{}')"
    )
    db.execute(
        "INSERT INTO staff (id, email, name, role, password_hash, created_at, totp_last_step) "
        "VALUES (7, 'a@x.nl', 'A', 'assistant', 'h', 'now', 42)"
    )
    db.execute("INSERT INTO staff_practices VALUES (7, 'p')")
    db.execute(
        "INSERT INTO staff_sessions (id, public_id, staff_id, created_at, last_seen_at) VALUES ('s', 'p', 7, 'n', 'n')"
    )
    db.conn.commit()
    assert migrate(db)[0] == "0008_reply_templates_and_practice_manager"
    assert list(db.query("SELECT id, role, totp_last_step FROM staff")) == [
        {"id": 7, "role": "assistant", "totp_last_step": 42}
    ]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA foreign_keys").fetchone() == (1,)
    insert = "INSERT INTO staff (email, name, role, password_hash, created_at) VALUES (?, 'N', ?, 'h', 'n')"
    db.execute(insert, ["m@x.nl", "practice_manager"])
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute(insert, ["z@x.nl", "boss"])
    fresh = Database(memory=True)
    migrate(fresh)
    assert "page" in fresh["request_messages"].columns_dict


def test_users_create_accepts_the_practice_manager_role(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "pm@example.nl",
            "--name",
            "PM",
            "--role",
            "practice_manager",
            "--practice",
            "de-linde",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "practice_manager" in runner.invoke(args=["users", "create", "--help"]).output
