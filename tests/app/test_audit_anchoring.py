"""The audit log is tamper-evident against someone with write access to the database.

Each attack below is what such a person could do: drop the append-only
triggers, delete or rewrite rows, recompute the hashes, lower
``sqlite_sequence``. The old, unkeyed chain called all of these "intact".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal.storage import audit
from tests.factories import gen_staff, login, soup

GENESIS = "0" * 64
OLD_FIELDS = ("at", "staff_id", "practice", "request_id", "action", "result")
NEW_FIELDS = (*OLD_FIELDS, "source", "session", "detail")
Digest = Callable[[str, dict], str]


@pytest.fixture
def checkpoints(tmp_path: Path) -> Path:
    return tmp_path / "elsewhere" / "audit-checkpoints.log"


@pytest.fixture
def app_config(app_config: dict, checkpoints: Path) -> dict:
    return {**app_config, "AUDIT_CHECKPOINT_FILE": str(checkpoints)}


@pytest.fixture
def key(app) -> str:
    return app.config["VOORDEUR"]["AUDIT_KEY"]


@pytest.fixture
def log(app, db) -> list[int]:
    """Six rows, as a day in the inbox writes them; returns their ids."""
    for n in range(6):
        audit.append(
            db,
            action="view:inbox" if n % 2 else "view:request",
            staff_id=1,
            practice="de-linde",
            request_id=None if n % 2 else 100 + n,
            source="192.0.2.7",
            session=f"sess-{n // 3}",
            detail=audit.ids_detail([101, 102, 103]) if n % 2 else None,
        )
    return [row["id"] for row in db.query("SELECT id FROM audit_log ORDER BY id")]


# --- what an attacker computes: independent of portal.storage.audit's internals ----------------


def plain_old(prev_hash: str, row: dict) -> str:
    """The pre-upgrade digest: unkeyed SHA-256 over the first seven fields."""
    return hashlib.sha256(
        json.dumps([prev_hash, *(row[f] for f in OLD_FIELDS)], separators=(",", ":")).encode()
    ).hexdigest()


def plain_new(prev_hash: str, row: dict) -> str:
    """An unkeyed SHA-256 over every field, the new ones included."""
    return hashlib.sha256(
        json.dumps([prev_hash, *(row[f] for f in NEW_FIELDS)], separators=(",", ":")).encode()
    ).hexdigest()


def keyed(key: str) -> Digest:
    def digest(prev_hash: str, row: dict) -> str:
        content = json.dumps([prev_hash, *(row[f] for f in NEW_FIELDS)], separators=(",", ":"))
        return hmac.new(key.encode(), content.encode(), hashlib.sha256).hexdigest()

    return digest


def drop_triggers(db) -> None:
    db.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    db.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")


def rewrite(db, digest: Digest, changes: dict[int, dict]) -> None:
    """Change some rows, then recompute every hash so the chain links up again."""
    drop_triggers(db)
    prev_hash = GENESIS
    for row in list(db.query("SELECT * FROM audit_log ORDER BY id")):
        row.update(changes.get(row["id"], {}), prev_hash=prev_hash)
        row["hash"] = prev_hash = digest(prev_hash, row)
        columns = [c for c in row if c != "id"]
        db.execute(
            f"UPDATE audit_log SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
            [*(row[c] for c in columns), row["id"]],
        )
    db.conn.commit()


def remove_newest(db, count: int) -> None:
    """Delete the newest rows and lower the sequence, so no gap and no 'missing at the end' shows."""
    drop_triggers(db)
    db.execute("DELETE FROM audit_log WHERE id > (SELECT max(id) FROM audit_log) - ?", [count])
    db.execute("UPDATE sqlite_sequence SET seq = (SELECT max(id) FROM audit_log) WHERE name = 'audit_log'")
    db.conn.commit()


def no_checkpoints(tmp_path: Path) -> Path:
    return tmp_path / "no-such-file.log"


# --- (a) rows removed from the end, sequence lowered -----------------------------------------


def test_removed_newest_rows_with_a_lowered_sequence_are_found_by_the_checkpoint(db, log, tmp_path):
    assert audit.checkpoint(db) == (
        log[-1],
        db.execute("SELECT hash FROM audit_log WHERE id = ?", [log[-1]]).fetchone()[0],
    )
    remove_newest(db, 2)
    # The chain and the sequence alone no longer show it: that is what the checkpoint is for.
    assert audit.verify(db, checkpoint_file=no_checkpoints(tmp_path)) == []
    problems = audit.verify(db)
    assert any(f"rows {log[-2]}–{log[-1]} were removed after the checkpoint of" in p for p in problems), problems


def test_removed_rows_are_found_even_when_the_app_logged_new_rows_in_their_place(db, log):
    audit.checkpoint(db)
    remove_newest(db, 2)
    audit.append(db, action="view:inbox", staff_id=1, practice="de-linde")
    audit.append(db, action="view:inbox", staff_id=1, practice="de-linde")
    problems = audit.verify(db)
    assert any(f"row {log[-1]}: its hash differs from the checkpoint" in p for p in problems), problems


# --- (b) the chain rewritten without the key --------------------------------------------------


EMPTIED = {"source": None, "session": None, "detail": None}


@pytest.mark.parametrize(
    ("digest", "emptied"),
    [
        # the old format, new columns emptied: every row then looks like a pre-upgrade row
        (plain_old, True),
        (plain_new, False),
    ],
    ids=["old-format", "sha256-of-all-fields"],
)
def test_a_chain_rewritten_with_plain_sha256_is_reported(db, log, digest, emptied, tmp_path):
    changes = {row_id: dict(EMPTIED) if emptied else {} for row_id in log}
    changes[log[0]]["staff_id"] = 99
    rewrite(db, digest, changes)
    problems = audit.verify(db, checkpoint_file=no_checkpoints(tmp_path))
    assert problems, "a chain rewritten without the key must not verify"
    assert any("key" in p for p in problems), problems


def test_a_last_row_forged_in_the_old_format_is_reported(db, log, tmp_path):
    drop_triggers(db)
    head = dict(next(iter(db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1"))))
    head.update(action="view:nothing", source=None, session=None, detail=None)
    head["hash"] = plain_old(head["prev_hash"], head)
    db.execute(
        "UPDATE audit_log SET action = ?, source = NULL, session = NULL, detail = NULL, hash = ? WHERE id = ?",
        [head["action"], head["hash"], head["id"]],
    )
    db.conn.commit()
    problems = audit.verify(db, checkpoint_file=no_checkpoints(tmp_path))
    assert problems == [f"row {log[-1]}: unkeyed hash after keyed rows (the chain was rewritten without the audit key)"]


# --- (c) the chain rewritten with the key: the checkpoint still sees it -----------------------


def test_a_chain_rewritten_with_the_key_is_found_by_the_checkpoint(db, log, key, tmp_path):
    audit.checkpoint(db)
    rewrite(db, keyed(key), {log[1]: {"staff_id": 99}})
    assert audit.verify(db, checkpoint_file=no_checkpoints(tmp_path)) == []  # the key alone cannot tell
    problems = audit.verify(db)
    assert any(f"row {log[-1]}: its hash differs from the checkpoint of" in p for p in problems), problems


# --- (d) the CLI: cron writes checkpoints, verify exits 0 and 1 --------------------------------


def test_checkpoint_and_verify_on_the_command_line(db, log, runner, checkpoints):
    first = runner.invoke(args=["audit", "checkpoint"])
    assert first.exit_code == 0 and f"row {log[-1]}" in first.output, first.output
    again = runner.invoke(args=["audit", "checkpoint"])
    assert again.exit_code == 0 and "nothing new" in again.output
    lines = checkpoints.read_text().splitlines()
    assert len(lines) == 1
    at, row_id, row_hash = lines[0].split()
    assert datetime.fromisoformat(at).tzinfo is not None and int(row_id) == log[-1] and len(row_hash) == 64
    assert stat.S_IMODE(checkpoints.stat().st_mode) == 0o600

    audit.append(db, action="logout", staff_id=1)
    assert "row" in runner.invoke(args=["audit", "checkpoint"]).output
    assert len(checkpoints.read_text().splitlines()) == 2
    intact = runner.invoke(args=["audit", "verify"])
    assert intact.exit_code == 0 and "intact" in intact.output, intact.output

    remove_newest(db, 1)
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and "removed after the checkpoint of" in broken.output, broken.output


def test_checkpoint_writes_nothing_for_an_empty_log(app, tmp_path):
    from portal.storage.db import open_db
    from portal.storage.migrations import migrate

    empty = open_db(tmp_path / "empty.db")
    migrate(empty)
    path = tmp_path / "empty-checkpoints.log"
    assert audit.checkpoint(empty, checkpoint_file=path) is None
    assert audit.verify(empty, checkpoint_file=path) == []
    empty.close()


# --- (e) source, session and detail are stored and covered by the hash --------------------------


def test_source_session_and_detail_are_stored_and_covered_by_the_hash(db, log, tmp_path):
    newest = audit.entries(db, limit=1)[0]
    assert (newest.source, newest.session, newest.detail) == ("192.0.2.7", "sess-1", "[101,102,103]")
    drop_triggers(db)
    db.execute("UPDATE audit_log SET source = '198.51.100.1' WHERE id = ?", [log[2]])
    db.conn.commit()
    problems = audit.verify(db, checkpoint_file=no_checkpoints(tmp_path))
    assert problems == [
        f"row {log[2]}: its content does not match its keyed hash (the row was changed or the chain rewritten)"
    ]


@pytest.mark.parametrize("column", ["session", "detail"])
def test_a_changed_session_or_detail_is_reported(db, log, column, tmp_path):
    drop_triggers(db)
    db.execute(f"UPDATE audit_log SET {column} = 'other' WHERE id = ?", [log[3]])
    db.conn.commit()
    assert any(f"row {log[3]}" in p for p in audit.verify(db, checkpoint_file=no_checkpoints(tmp_path)))


# --- rows from before the keyed chain ----------------------------------------------------------


def _insert_legacy_rows(db, count: int) -> None:
    """Rows as the pre-upgrade code wrote them: plain SHA-256, no source/session/detail."""
    prev_hash = GENESIS
    for n in range(count):
        row = {"at": f"2025-01-0{n + 1}T08:00:00+00:00", "staff_id": 1, "practice": "de-linde", "request_id": None}
        row.update(action="view:inbox", result="ok")
        row_hash = plain_old(prev_hash, row)
        db.execute(
            "INSERT INTO audit_log (at, staff_id, practice, request_id, action, result, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [*(row[f] for f in OLD_FIELDS), prev_hash, row_hash],
        )
        prev_hash = row_hash
    db.conn.commit()


def test_rows_from_before_the_upgrade_still_verify_when_keyed_rows_follow(app, db, tmp_path):
    _insert_legacy_rows(db, 3)
    audit.append(db, action="login:password", staff_id=1, source="192.0.2.7", session="s1")
    assert audit.verify(db, checkpoint_file=no_checkpoints(tmp_path)) == []


def test_a_log_of_only_unkeyed_rows_is_reported(app, db, tmp_path):
    _insert_legacy_rows(db, 2)
    problems = audit.verify(db, checkpoint_file=no_checkpoints(tmp_path))
    assert problems and problems[-1].startswith("no row carries the audit key's hash")


def test_rows_signed_with_another_key_do_not_verify(db, log, tmp_path):
    problems = audit.verify(db, key="not-the-key", checkpoint_file=no_checkpoints(tmp_path))
    assert len(problems) == len(log) + 1


def test_append_refuses_to_write_without_a_configured_key(db, monkeypatch):
    monkeypatch.setattr(audit, "_settings", audit._Settings())
    with pytest.raises(audit.AuditNotConfigured):
        audit.append(db, action="logout", staff_id=1)
    assert next(iter(db.query("SELECT count(*) AS n FROM audit_log")))["n"] == 0


# --- the admin's view ------------------------------------------------------------------------


def test_the_audit_page_shows_source_session_and_detail_with_headers(client, db, log):
    admin = gen_staff(db, role="admin")
    login(client, admin)
    page = soup(client.get("/staff/audit"))
    headers = [th.get_text(strip=True) for th in page.select("table thead th")]
    assert {"Bronadres", "Sessie", "Getoond / details"} <= set(headers), headers
    assert all(th.get("scope") == "col" for th in page.select("table thead th"))
    cells = [td.get_text(strip=True) for td in page.select("tbody tr")[-1].find_all("td")]
    assert "192.0.2.7" in cells and "sess-0" in cells
    assert "[101, 102, 103]" in page.get_text()
    assert page.select_one(".ok-message") is not None


def test_the_checkpoint_file_is_appended_to_never_rewritten(db, log, checkpoints):
    checkpoints.parent.mkdir(parents=True)
    checkpoints.write_text("2026-01-01T00:00:00+00:00 1 " + "a" * 64 + "\n")
    checkpoints.chmod(0o600)
    audit.checkpoint(db, now=datetime(2026, 11, 22, 12, tzinfo=UTC))
    lines = checkpoints.read_text().splitlines()
    assert lines[0].endswith("a" * 64) and lines[1].startswith("2026-11-22T12:00:00+00:00 ")
    assert any("row 1: its hash differs from the checkpoint of 2026-01-01" in p for p in audit.verify(db))


def test_an_unreadable_or_garbled_checkpoint_file_is_a_problem_not_a_crash(db, log, checkpoints):
    checkpoints.parent.mkdir(parents=True)
    checkpoints.write_text("not a checkpoint\n")
    assert any("line 1: not `<time> <row id> <hash>`" in p for p in audit.verify(db))
    checkpoints.write_bytes(b"\xff\xfe garbage\n")
    assert any("cannot be read" in p for p in audit.verify(db))
