"""Operator-facing hardening: configuration, files on disk, health (production-hardening review)."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest

from portal import create_app
from portal.config import ConfigError
from portal.storage import requests as store
from portal.storage.db import open_db
from tests.factories import send_econsult


def test_production_refuses_to_start_without_its_public_address(app_config):
    with pytest.raises(ConfigError, match="VOORDEUR_PUBLIC_URL"):
        create_app({**app_config, "ENV": "production", "PUBLIC_URL": None})
    create_app({**app_config, "ENV": "production", "PUBLIC_URL": "https://voordeur.example.nl/"})


def test_the_database_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "new.db"
    open_db(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    open_db(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_purged_text_is_gone_from_the_database_file_and_its_wal(client, db, db_path):
    _patient, _response = send_econsult(client, message="Zeldzaam-woord-xq17 in mijn vraag")
    item = store.for_practice(db, "de-linde", 1)
    now = datetime.now(UTC)
    db.execute(
        "UPDATE requests SET status = 'closed', closed_at = ? WHERE id = ?",
        [
            (now - timedelta(days=40)).isoformat(timespec="seconds"),
            item.id,
        ],
    )
    db.conn.commit()
    assert store.purge_closed(db, now - timedelta(days=30), now) == 1
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert b"Zeldzaam-woord-xq17" not in raw


def test_behind_a_proxy_each_patient_is_counted_by_their_own_address(app_config):
    from tests.factories import ECONSULT_FORM, econsult_run, request_url

    def send(app, forwarded_for: str) -> int:
        client = app.test_client()
        patient = econsult_run(client)
        data = {**ECONSULT_FORM, "idempotency_key": "k-" + patient.run_id}
        return client.post(request_url(patient), data=data, headers={"X-Forwarded-For": forwarded_for}).status_code

    proxied = create_app({**app_config, "PROXIES": 1, "REQUESTS_PER_CLIENT_HOUR": 1})
    assert [send(proxied, "203.0.113.1"), send(proxied, "203.0.113.2")] == [303, 303]
    direct = create_app({**app_config, "PROXIES": 0, "REQUESTS_PER_CLIENT_HOUR": 1})
    assert [send(direct, "203.0.113.3"), send(direct, "203.0.113.4")] == [303, 429]


def test_healthz_writes_to_prove_the_database_takes_writes(client, db):
    assert client.get("/healthz").status_code == 200
    assert db.execute("SELECT count(*) FROM health_probe").fetchone()[0] == 1


def test_sweep_drops_rate_limit_windows_of_yesterday(runner, db):
    from portal.storage import throttle

    long_ago = datetime.now(UTC) - timedelta(days=2)
    throttle.within_limit(db, "request:old", limit=5, window=timedelta(hours=1), now=long_ago)
    throttle.within_limit(db, "request:new", limit=5, window=timedelta(hours=1), now=datetime.now(UTC))
    assert runner.invoke(args=["sweep"]).exit_code == 0
    assert [row["key"] for row in db.query("SELECT key FROM rate_limits")] == ["request:new"]


def test_a_patients_address_never_reaches_the_log(app_config, caplog):
    import logging

    from tests.conftest import free_port

    app = create_app({**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": free_port()})  # nothing listens
    client = app.test_client()
    caplog.set_level(logging.DEBUG)
    _patient, response = send_econsult(client, email="geheim.adres@example.nl")
    assert response.status_code == 303
    result = app.test_cli_runner().invoke(args=["outbox"])
    assert "geheim.adres" not in caplog.text + result.output
    db = open_db(app_config["DATABASE"])
    errors = [row["last_error"] or "" for row in db.query("SELECT last_error FROM outbox")]
    db.close()
    assert errors and not any("geheim.adres" in error for error in errors)
