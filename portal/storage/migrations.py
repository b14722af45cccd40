"""Named migrations (sqlite-utils' built-in ``Migrations``).

Run them as their own step — ``voordeur migrate``, the Procfile's ``release:``
line, or ``voordeur serve`` before it forks workers — never from several
workers at once. Never edit a shipped migration: add a new one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database, Migrations

migrations = Migrations("voordeur")


@migrations(name="0001_practices_and_routing_log")
def _initial(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE practices (
            slug TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            phone TEXT NOT NULL,
            address TEXT NOT NULL DEFAULT '',
            municipality TEXT NOT NULL,
            municipality_phone TEXT NOT NULL DEFAULT '',
            hap_name TEXT NOT NULL,
            hap_phone TEXT NOT NULL,
            opening_hours TEXT NOT NULL,
            is_demo INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    # The routing log: one row per triage, and never any personal data —
    # no name, IP address, user agent or cookie id. Times are to the minute.
    db.execute(
        """
        CREATE TABLE triage_runs (
            id TEXT PRIMARY KEY,
            practice TEXT NOT NULL REFERENCES practices(slug),
            tree_id TEXT NOT NULL,
            tree_version INTEGER NOT NULL,
            prelude_version INTEGER NOT NULL,
            locale TEXT NOT NULL,
            who_for TEXT,
            age_band TEXT,
            sex TEXT,
            answers TEXT NOT NULL DEFAULT '{}',
            last_node TEXT,
            outcome_node TEXT,
            route TEXT,
            urgency TEXT,
            raised INTEGER NOT NULL DEFAULT 0,
            started_at TEXT NOT NULL,
            last_active_at TEXT NOT NULL,
            finished_at TEXT,
            abandoned INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX triage_runs_practice_started ON triage_runs (practice, started_at)")
    db.execute(
        "CREATE INDEX triage_runs_open ON triage_runs (last_active_at) WHERE finished_at IS NULL AND abandoned = 0"
    )


def migrate(db: Database) -> list[str]:
    """Apply pending migrations; return their names."""
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending


@migrations(name="0002_staff_requests_audit")
def _staff_requests_audit(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('assistant', 'editor', 'evaluator', 'admin')),
            password_hash TEXT NOT NULL,
            totp_secret TEXT,
            totp_confirmed INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE staff_practices (
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            practice TEXT NOT NULL REFERENCES practices(slug),
            PRIMARY KEY (staff_id, practice)
        )
        """
    )
    # Failed logins per key ("password:<email>", "totp:<id>"), shared by all workers.
    db.execute(
        """
        CREATE TABLE auth_failures (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            locked_until TEXT
        )
        """
    )
    db.execute("ALTER TABLE practices ADD COLUMN econsult_daily_cap INTEGER")
    db.execute("ALTER TABLE triage_runs ADD COLUMN cap_redirected INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE triage_runs ADD COLUMN final_route TEXT")
    db.execute("ALTER TABLE triage_runs ADD COLUMN final_urgency TEXT")
    db.execute("ALTER TABLE triage_runs ADD COLUMN disposition_at TEXT")
    # Requests to the practice: the only place personal data lives. Purged after
    # the retention period; the anonymous routing record stays.
    db.execute(
        """
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            reference TEXT NOT NULL UNIQUE,
            status_token TEXT NOT NULL UNIQUE,
            idempotency_key TEXT NOT NULL UNIQUE,
            practice TEXT NOT NULL REFERENCES practices(slug),
            run_id TEXT NOT NULL REFERENCES triage_runs(id),
            kind TEXT NOT NULL CHECK (kind IN ('econsult', 'appointment', 'social', 'callback')),
            status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'in_progress', 'answered', 'closed')),
            urgency TEXT NOT NULL,
            details TEXT NOT NULL DEFAULT '{}',
            name TEXT,
            birth_date TEXT,
            phone TEXT,
            email TEXT,
            for_whom TEXT,
            contact_name TEXT,
            message TEXT,
            alarm_warning_shown INTEGER NOT NULL DEFAULT 0,
            assigned_to INTEGER REFERENCES staff(id),
            created_at TEXT NOT NULL,
            due_at TEXT NOT NULL,
            closed_at TEXT,
            purged_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX requests_open ON requests (practice, status, created_at)")
    db.execute(
        """
        CREATE TABLE request_messages (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id),
            staff_id INTEGER REFERENCES staff(id),
            body TEXT,
            created_at TEXT NOT NULL
        )
        """
    )
    # NEN 7513-style audit trail: append-only (triggers) and hash-chained.
    db.execute(
        """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            staff_id INTEGER,
            practice TEXT,
            request_id INTEGER,
            action TEXT NOT NULL,
            result TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )
        """
    )
    db.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )


@migrations(name="0003_page_feedback")
def _page_feedback(db: Database) -> None:
    # "Heeft deze informatie u geholpen?" — yes/no and a reason from a fixed list,
    # never free text; linked to the anonymous routing record when the page was
    # reached from a triage outcome.
    db.execute(
        """
        CREATE TABLE page_feedback (
            id INTEGER PRIMARY KEY,
            page TEXT NOT NULL,
            language TEXT NOT NULL,
            run_id TEXT REFERENCES triage_runs(id),
            helped INTEGER NOT NULL,
            reason TEXT,
            at TEXT NOT NULL
        )
        """
    )


@migrations(name="0004_practice_municipalities")
def _practice_municipalities(db: Database) -> None:
    # A practice may serve patients from several municipalities; the first is `municipality`.
    db.execute("ALTER TABLE practices ADD COLUMN other_municipalities TEXT NOT NULL DEFAULT '[]'")


@migrations(name="0005_evaluation")
def _evaluation(db: Database) -> None:
    db.execute("ALTER TABLE triage_runs ADD COLUMN questions INTEGER")
    db.execute("ALTER TABLE triage_runs ADD COLUMN counterfactual TEXT")
    db.execute("CREATE INDEX triage_runs_started ON triage_runs (started_at)")
    db.execute("CREATE INDEX triage_runs_disposed ON triage_runs (disposition_at) WHERE final_route IS NOT NULL")
    # Monthly figures from before go-live (nulmeting), entered or imported by evaluators.
    db.execute(
        """
        CREATE TABLE baseline (
            practice TEXT NOT NULL REFERENCES practices(slug),
            month TEXT NOT NULL,
            consults INTEGER NOT NULL,
            phone_calls INTEGER NOT NULL,
            econsults INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (practice, month)
        )
        """
    )
    # Daily rollups of the routing log: every dashboard view reads these, never the raw log.
    db.execute(
        """
        CREATE TABLE stats_daily (
            day TEXT NOT NULL, practice TEXT NOT NULL, tree_id TEXT NOT NULL, tree_version INTEGER NOT NULL,
            route TEXT, urgency TEXT, state TEXT NOT NULL, second_contact INTEGER NOT NULL,
            cap_redirected INTEGER NOT NULL, counterfactual TEXT, n INTEGER NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX stats_daily_day ON stats_daily (day, practice)")
    db.execute(
        "CREATE TABLE stats_questions (day TEXT NOT NULL, practice TEXT NOT NULL, tree_id TEXT NOT NULL, "
        "questions INTEGER NOT NULL, minutes INTEGER NOT NULL, n INTEGER NOT NULL)"
    )
    db.execute("CREATE INDEX stats_questions_day ON stats_questions (day, practice)")
    db.execute(
        "CREATE TABLE stats_dropout (day TEXT NOT NULL, practice TEXT NOT NULL, tree_id TEXT NOT NULL, "
        "tree_version INTEGER NOT NULL, last_node TEXT, n INTEGER NOT NULL)"
    )
    db.execute("CREATE INDEX stats_dropout_day ON stats_dropout (day, practice)")
    db.execute(
        "CREATE TABLE stats_disposition (day TEXT NOT NULL, practice TEXT NOT NULL, tree_id TEXT NOT NULL, "
        "tree_version INTEGER NOT NULL, outcome_node TEXT NOT NULL, route TEXT NOT NULL, urgency TEXT NOT NULL, "
        "final_route TEXT NOT NULL, final_urgency TEXT NOT NULL, n INTEGER NOT NULL)"
    )
    db.execute("CREATE INDEX stats_disposition_day ON stats_disposition (day, practice)")
    db.execute("CREATE TABLE stats_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migrations(name="0006_production_hardening")
def _production_hardening(db: Database) -> None:
    # TOTP: the last time step used, so a code cannot be used twice. A one-time
    # password from `voordeur users create/reset-password` must be changed at first login.
    db.execute("ALTER TABLE staff ADD COLUMN totp_last_step INTEGER")
    db.execute("ALTER TABLE staff ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0")
    # Staff sessions live here, not only in the cookie, so logout, a password or
    # second-factor reset and disabling an account end them everywhere at once.
    # `id` is the SHA-256 of the secret in the cookie; `public_id` names the
    # session in the audit log without revealing the secret.
    db.execute(
        """
        CREATE TABLE staff_sessions (
            id TEXT PRIMARY KEY,
            public_id TEXT NOT NULL UNIQUE,
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            source TEXT,
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            ended_at TEXT,
            end_reason TEXT
        )
        """
    )
    db.execute("CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id) WHERE ended_at IS NULL")
    # Mail goes through a durable outbox: written in the same transaction as
    # what it announces, delivered outside the request by `voordeur outbox`.
    # It holds no address or text: both are read from the request at delivery,
    # so a purged request's mail is never sent.
    db.execute(
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            dedupe_key TEXT NOT NULL UNIQUE,
            request_id INTEGER NOT NULL REFERENCES requests(id),
            template TEXT NOT NULL,
            locale TEXT NOT NULL,
            base_url TEXT NOT NULL,
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            sent_at TEXT,
            gave_up_at TEXT,
            last_error TEXT
        )
        """
    )
    db.execute("CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL AND gave_up_at IS NULL")
    # NEN 7513: where an access came from, in which session, and what a list showed.
    db.execute("ALTER TABLE audit_log ADD COLUMN source TEXT")
    db.execute("ALTER TABLE audit_log ADD COLUMN session TEXT")
    db.execute("ALTER TABLE audit_log ADD COLUMN detail TEXT")
    # Rate limits for anonymous submissions, shared by all workers. Keys are
    # keyed hashes, never a raw address; old windows are deleted as they pass.
    db.execute(
        """
        CREATE TABLE rate_limits (
            key TEXT NOT NULL,
            window TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (key, window)
        )
        """
    )
    # /healthz writes this one row to prove the database takes writes.
    db.execute("CREATE TABLE health_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL)")
    db.execute("CREATE INDEX requests_run ON requests (run_id)")


@migrations(name="0007_validation_rounds")
def _validation_rounds(db: Database) -> None:
    # A validation round: readers play vignettes through the patient flow from a signed start
    # URL (`voordeur validate session`). Its runs are marked with the round and left out of
    # every evaluation figure. No reader is named: the label says which round, not who.
    db.execute(
        """
        CREATE TABLE validation_rounds (
            id TEXT PRIMARY KEY,
            practice TEXT NOT NULL REFERENCES practices(slug),
            label TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            closed_at TEXT
        )
        """
    )
    db.execute("ALTER TABLE triage_runs ADD COLUMN validation_round TEXT REFERENCES validation_rounds(id)")
    db.execute(
        "CREATE INDEX triage_runs_validation ON triage_runs (validation_round) WHERE validation_round IS NOT NULL"
    )
    # What the reader of a validation run saw: a hash per page on the path, taken while the tree
    # version they played was live, so a replay can tell an unchanged path from a changed one.
    db.execute(
        """
        CREATE TABLE validation_paths (
            run_id TEXT PRIMARY KEY REFERENCES triage_runs(id),
            tree_version INTEGER NOT NULL,
            prelude_version INTEGER NOT NULL,
            pages TEXT NOT NULL
        )
        """
    )


@migrations(name="0008_reply_templates_and_practice_manager", transactional=False)
def _reply_templates_and_practice_manager(db: Database) -> None:
    # Not in sqlite-utils' transaction: widening the staff role CHECK means rebuilding the
    # table (SQLite cannot alter a CHECK), and that needs foreign keys off, which SQLite
    # ignores inside a transaction. The rebuild then runs in a transaction of its own, and
    # every step is skipped when already done, so a crash before the migration is recorded
    # leaves nothing half-applied.
    from .db import immediate

    foreign_keys = next(iter(db.execute("PRAGMA foreign_keys").fetchall()))[0]
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        with immediate(db):
            (staff_sql,) = db.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'staff'"
            ).fetchone()
            if "'practice_manager'" not in staff_sql:
                # The 12-step rebuild of https://sqlite.org/lang_altertable.html#otheralter:
                # the same definition (with every column added since) under a new name, plus the role.
                widened = staff_sql.replace("'admin')", "'admin', 'practice_manager')", 1)
                assert widened != staff_sql, "the staff role CHECK list was not found"
                db.execute(widened.replace("CREATE TABLE staff", "CREATE TABLE staff_new", 1))
                db.execute("INSERT INTO staff_new SELECT * FROM staff")
                db.execute("DROP TABLE staff")
                db.execute("ALTER TABLE staff_new RENAME TO staff")
                problems = db.execute("PRAGMA foreign_key_check").fetchall()
                assert not problems, f"foreign keys broken by the staff rebuild: {problems}"
            # Reply templates, per practice, written by its practice manager. A body in Dutch and,
            # optionally, in English: the patient's language is used where it exists. `page` is a
            # self-help page's slug that is linked under the reply on the patient's status page.
            db.execute(
                """
                CREATE TABLE IF NOT EXISTS reply_templates (
                    id INTEGER PRIMARY KEY,
                    practice TEXT NOT NULL REFERENCES practices(slug),
                    title TEXT NOT NULL,
                    body_nl TEXT NOT NULL,
                    body_en TEXT NOT NULL DEFAULT '',
                    page TEXT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """
            )
            db.execute("CREATE INDEX IF NOT EXISTS reply_templates_practice ON reply_templates (practice, title)")
            # A reply sent from a template with a self-help page keeps that page's slug, so the
            # status page can link it (a slug, never personal data).
            columns = {row[1] for row in db.execute("PRAGMA table_info(request_messages)").fetchall()}
            if "page" not in columns:
                db.execute("ALTER TABLE request_messages ADD COLUMN page TEXT")
    finally:
        db.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")


@migrations(name="0009_evaluation_rollups")
def _evaluation_rollups(db: Database) -> None:
    # The daily rollups barely compressed the log (298 k rows for 1 M runs) because one table held
    # every dimension any view needs. Now each view's grain has its own table, and every table holds
    # the same counts per day, week (keyed by its Monday), month, quarter and year (keyed by their
    # first day), so a year reads a few quarters' and months' rows plus edge days
    # (portal/storage/stats.py).
    for table in ("stats_daily", "stats_questions", "stats_dropout", "stats_disposition"):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    dimensions = {
        "stats_flow": "tree_id TEXT NOT NULL, state TEXT NOT NULL, route TEXT, urgency TEXT",
        "stats_signals": "tree_id TEXT NOT NULL, route TEXT NOT NULL, second_contact INTEGER NOT NULL, "
        "cap_redirected INTEGER NOT NULL, counterfactual TEXT",
        "stats_measures": "tree_id TEXT NOT NULL, measure TEXT NOT NULL, value INTEGER NOT NULL",
        "stats_dropout": "tree_id TEXT NOT NULL, tree_version INTEGER NOT NULL, last_node TEXT",
        "stats_disposition": "tree_id TEXT NOT NULL, tree_version INTEGER NOT NULL, outcome_node TEXT NOT NULL, "
        "route TEXT NOT NULL, urgency TEXT NOT NULL, final_route TEXT NOT NULL, final_urgency TEXT NOT NULL",
    }
    for table, columns in dimensions.items():
        db.execute(
            f"CREATE TABLE {table} (grain TEXT NOT NULL CHECK (grain IN ('day', 'week', 'month', 'quarter', 'year')), "
            f"day TEXT NOT NULL, practice TEXT NOT NULL, {columns}, n INTEGER NOT NULL)"
        )
        # Covering: a view reads its rows from the index alone, in key order.
        names = ", ".join(column.split()[0] for column in columns.split(", "))
        db.execute(f"CREATE INDEX {table}_grain_day ON {table} (grain, day, practice, {names}, n)")
    # Incremental refresh: every change to a routing record that a rollup counts marks its day
    # (the UTC date it started) as to be recomputed, whichever code path made the change — a step,
    # the sweep, an assistant's decision weeks later, a validation mark. INSERT OR IGNORE on a day
    # already marked writes nothing, so a patient's step pays one index lookup.
    db.execute("CREATE TABLE stats_dirty (day TEXT PRIMARY KEY) WITHOUT ROWID")
    mark = "INSERT OR IGNORE INTO stats_dirty (day) VALUES (substr(NEW.started_at, 1, 10));"
    db.execute(f"CREATE TRIGGER triage_runs_stats_insert AFTER INSERT ON triage_runs BEGIN {mark} END")
    db.execute(
        "CREATE TRIGGER triage_runs_stats_update AFTER UPDATE OF started_at, practice, tree_id, tree_version, "
        "answers, last_node, outcome_node, route, urgency, finished_at, abandoned, final_route, final_urgency, "
        f"questions, counterfactual, cap_redirected, validation_round ON triage_runs BEGIN {mark} "
        "INSERT OR IGNORE INTO stats_dirty (day) VALUES (substr(OLD.started_at, 1, 10)); END"
    )
    db.execute(
        "CREATE TRIGGER triage_runs_stats_delete AFTER DELETE ON triage_runs BEGIN "
        "INSERT OR IGNORE INTO stats_dirty (day) VALUES (substr(OLD.started_at, 1, 10)); END"
    )
    # Fill them here, in the release step before any worker starts, rather than in the first
    # dashboard request (which would hold the write lock for about a minute per million runs).
    from .stats import fill_all

    fill_all(db, tables=tuple(dimensions))  # the rollups of later migrations fill themselves there


@migrations(name="0011_conversation")
def _conversation(db: Database) -> None:
    # The patient answers back on the status page (issue 13). Each message says who wrote it; a
    # patient's message has no staff_id. Purging already empties every message's body.
    db.execute(
        "ALTER TABLE request_messages ADD COLUMN author TEXT NOT NULL DEFAULT 'practice' "
        "CHECK (author IN ('practice', 'patient'))"
    )
    # `patient_replied_at`: the patient's message that still waits for the practice (set by the
    # patient's message, cleared by the practice's next reply or close): the inbox row shows it.
    # `reopened_at` / `reopen_count`: when and how often a patient's message put an answered or
    # closed request back in the inbox with a fresh deadline.
    db.execute("ALTER TABLE requests ADD COLUMN patient_replied_at TEXT")
    db.execute("ALTER TABLE requests ADD COLUMN reopened_at TEXT")
    db.execute("ALTER TABLE requests ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0")


@migrations(name="0010_photos")
def _photos(db: Database) -> None:
    # Photos with an e-consult (issue 13), re-encoded on arrival (portal/photos.py: pixels only, no
    # EXIF or GPS). A photo belongs to a request; `message_id` is set when it came with a later
    # message of the patient (the conversation), NULL when it came with the request itself.
    # Deleted when the request is purged (secure_delete is on, so the bytes are overwritten).
    photo_columns = (
        "filename TEXT NOT NULL, "
        "content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')), "
        "width INTEGER NOT NULL, height INTEGER NOT NULL, "
        "data BLOB NOT NULL, created_at TEXT NOT NULL"
    )
    db.execute(
        "CREATE TABLE request_photos (id INTEGER PRIMARY KEY, "
        "request_id INTEGER NOT NULL REFERENCES requests(id), "
        f"message_id INTEGER REFERENCES request_messages(id), {photo_columns})"
    )
    db.execute("CREATE INDEX request_photos_request ON request_photos (request_id, id)")
    # Photos added on the form before it is sent (the patient still checks the answers), tied to the
    # triage and the form's idempotency key; moved to request_photos when sent, removed by
    # `voordeur sweep` when never sent.
    db.execute(
        "CREATE TABLE pending_photos (id INTEGER PRIMARY KEY, "
        f"run_id TEXT NOT NULL REFERENCES triage_runs(id), draft_key TEXT NOT NULL, {photo_columns})"
    )
    db.execute("CREATE INDEX pending_photos_draft ON pending_photos (run_id, draft_key, id)")
    db.execute("CREATE INDEX pending_photos_created ON pending_photos (created_at)")


@migrations(name="0012_content_versions_and_clinical_reviewer", transactional=False)
def _content_versions(db: Database) -> None:
    # Not in sqlite-utils' transaction, for the same reason as 0008: the staff role CHECK gains
    # 'clinical_reviewer' by rebuilding the table, with foreign keys off. Every step is skipped
    # when already done. (0008 does the same inline; it has shipped, so it stays as it was.)
    from .db import immediate

    with _foreign_keys_off(db), immediate(db):
        _add_staff_role(db, after="practice_manager", role="clinical_reviewer")
        # Every version of every tree and self-help page (issue 14): drafts, changes waiting for
        # review, and the published versions patients get, which survive restarts. `key` is the
        # tree id or the page slug (`language` '' for a tree); `number` is given when a version
        # is published (1, 2, …). `origin` says where the text came from: 'file' (the shipped
        # file, by `voordeur migrate` or `content import`), 'editor' (the browser), 'rollback'
        # (a reviewed return to an older text), 'emergency' (an admin's immediate rollback).
        db.execute(
            """
                CREATE TABLE IF NOT EXISTS content_versions (
                    id INTEGER PRIMARY KEY,
                    content_kind TEXT NOT NULL CHECK (content_kind IN ('tree', 'page')),
                    key TEXT NOT NULL,
                    language TEXT NOT NULL DEFAULT '' CHECK (language IN ('', 'nl', 'en')),
                    number INTEGER,
                    version_status TEXT NOT NULL CHECK (version_status IN ('draft', 'submitted', 'approved',
                        'rejected', 'published', 'superseded', 'withdrawn')),
                    origin TEXT NOT NULL CHECK (origin IN ('file', 'editor', 'rollback', 'emergency')),
                    classification TEXT CHECK (classification IN ('none', 'wording', 'logic')),
                    changes TEXT NOT NULL DEFAULT '[]',
                    source TEXT NOT NULL,
                    based_on INTEGER REFERENCES content_versions(id),
                    author_id INTEGER REFERENCES staff(id),
                    reviewer_id INTEGER REFERENCES staff(id),
                    review_comment TEXT,
                    release_note TEXT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    submitted_at TEXT,
                    reviewed_at TEXT,
                    published_at TEXT,
                    UNIQUE (content_kind, key, language, number)
                )
                """
        )
        db.execute(
            "CREATE INDEX IF NOT EXISTS content_versions_key ON content_versions (content_kind, key, language, id)"
        )
        # Workers compare max(id) of the published versions to see that something was published.
        db.execute("CREATE INDEX IF NOT EXISTS content_versions_status ON content_versions (version_status, id)")


@migrations(name="0014_evaluation_glance_indexes")
def _evaluation_glance_indexes(db: Database) -> None:
    # The dashboard's headlines read e-consults per practice and period, and self-help feedback per
    # period (portal/storage/glance.py): without these, each read scanned the whole table.
    db.execute("CREATE INDEX IF NOT EXISTS requests_kind_created ON requests (kind, practice, created_at)")
    db.execute("CREATE INDEX IF NOT EXISTS page_feedback_at ON page_feedback (at)")


@contextmanager
def _foreign_keys_off(db: Database) -> Iterator[None]:
    """Foreign keys off for a table rebuild, then back as they were.

    SQLite ignores this pragma inside a transaction, so migrations that rebuild a table
    run outside sqlite-utils' transaction (``transactional=False``) and open their own.
    """
    foreign_keys = next(iter(db.execute("PRAGMA foreign_keys").fetchall()))[0]
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        db.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")


def _add_staff_role(db: Database, *, after: str, role: str) -> None:
    """Widen the staff role CHECK with ``role`` (placed after the list's last value ``after``).

    SQLite cannot alter a CHECK: this is the 12-step rebuild of
    https://sqlite.org/lang_altertable.html#otheralter — the same definition (with every
    column added since) under a new name, plus the role. Skipped when the role is there.
    """
    (staff_sql,) = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'staff'").fetchone()
    if f"'{role}'" in staff_sql:
        return
    widened = staff_sql.replace(f"'{after}')", f"'{after}', '{role}')", 1)
    assert widened != staff_sql, "the staff role CHECK list was not found"
    # After a rename SQLite keeps the name quoted: CREATE TABLE "staff".
    renamed = re.sub(r'^CREATE TABLE "?staff"?', "CREATE TABLE staff_new", widened, count=1)
    assert renamed != widened, "the staff CREATE TABLE statement was not found"
    db.execute(renamed)
    db.execute("INSERT INTO staff_new SELECT * FROM staff")
    db.execute("DROP TABLE staff")
    db.execute("ALTER TABLE staff_new RENAME TO staff")
    problems = db.execute("PRAGMA foreign_key_check").fetchall()
    assert not problems, f"foreign keys broken by the staff rebuild: {problems}"


@migrations(name="0016_content_versions_for_prelude_lexicon_and_social_maps", transactional=False)
def _content_versions_shared_files(db: Database) -> None:
    # Issue 14: the prelude, the search lexicon and the social maps get versions in the
    # database too (drafts and review for the prelude and lexicon; direct publishing with
    # history for the social maps), so they survive restarts and a broken file on disk.
    # `key` is 'prelude', 'lexicon' or the social map's slug. SQLite cannot alter a CHECK:
    # the table is rebuilt with foreign keys off (it refers to itself through based_on).
    from .db import immediate

    with _foreign_keys_off(db), immediate(db):
        _widen_check(
            db,
            table="content_versions",
            old="content_kind IN ('tree', 'page')",
            new="content_kind IN ('tree', 'page', 'prelude', 'lexicon', 'social_map')",
        )


def _widen_check(db: Database, *, table: str, old: str, new: str) -> None:
    """Replace the CHECK text ``old`` of ``table`` by ``new`` with the 12-step rebuild (see
    ``_add_staff_role``), keeping every row and index. Skipped when ``new`` is already there."""
    (table_sql,) = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()
    if new in table_sql:
        return
    widened = table_sql.replace(old, new, 1)
    assert widened != table_sql, f"the CHECK {old!r} was not found in {table}"
    renamed = re.sub(rf'^CREATE TABLE "?{table}"?', f"CREATE TABLE {table}_new", widened, count=1)
    assert renamed != widened, f"the {table} CREATE TABLE statement was not found"
    indexes = [
        sql
        for (sql,) in db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", [table]
        ).fetchall()
    ]
    db.execute(renamed)
    db.execute(f"INSERT INTO {table}_new SELECT * FROM {table}")
    db.execute(f"DROP TABLE {table}")
    db.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    for sql in indexes:
        db.execute(sql)
    problems = db.execute("PRAGMA foreign_key_check").fetchall()
    assert not problems, f"foreign keys broken by the {table} rebuild: {problems}"


@migrations(name="0015_self_help_returns")
def _self_help_returns(db: Database) -> None:
    # "Self-help that held" (issue 15): a triage that ended in self-care is marked `returned` when
    # the same browser, within 14 days, starts the same complaint again or sends a request to the
    # practice (portal/patient/returns.py). A flag, nothing more: no link to the later triage or
    # request, no cookie id. Not a column the rollups count, so the stats trigger ignores it.
    if "returned" not in {column.name for column in db.table("triage_runs").columns}:
        db.execute("ALTER TABLE triage_runs ADD COLUMN returned INTEGER NOT NULL DEFAULT 0")
    # The dashboard counts returned self-care triages per practice and period from this index
    # alone (portal/storage/routing.py, `returned_self_care`): it holds only the returned ones, and
    # every column the count reads (SQLite checks the WHERE terms again from the index).
    db.execute(
        "CREATE INDEX IF NOT EXISTS triage_runs_returned ON triage_runs "
        "(practice, started_at, tree_id, route, validation_round, returned) "
        "WHERE returned = 1 AND route = 'self_care' AND validation_round IS NULL"
    )


@migrations(name="0017_evaluation_route_rollup")
def _evaluation_route_rollup(db: Database) -> None:
    # Issue 15: the dashboard's headline figures and its comparisons with the previous period and
    # last year need finished triages per route and counterfactual answer only, yet read them from
    # `stats_signals`, split by complaint, second contact and cap redirect: at a million runs a
    # 90-day period with ragged edges read some 12,000 rows there for 23 figures. This rollup holds
    # the same counts without those dimensions (portal/storage/stats.py, `stats_routes`).
    db.execute(
        "CREATE TABLE IF NOT EXISTS stats_routes (grain TEXT NOT NULL "
        "CHECK (grain IN ('day', 'week', 'month', 'quarter', 'year')), day TEXT NOT NULL, practice TEXT NOT NULL, "
        "route TEXT NOT NULL, counterfactual TEXT, n INTEGER NOT NULL)"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS stats_routes_grain_day ON stats_routes "
        "(grain, day, practice, route, counterfactual, n)"
    )
    # Filled from `stats_signals` (the same finished runs, counted on the same days, every grain):
    # sums of its rows over the dimensions left out, so no pass over the routing log is needed.
    # Days marked as changed stay marked; the next refresh brings both tables up to date.
    db.execute("DELETE FROM stats_routes")
    db.execute(
        "INSERT INTO stats_routes (grain, day, practice, route, counterfactual, n) "
        "SELECT grain, day, practice, route, counterfactual, sum(n) FROM stats_signals "
        "GROUP BY grain, day, practice, route, counterfactual HAVING sum(n) != 0"
    )


@migrations(name="0018_answer_in_one_statement")
def _answer_in_one_statement(db: Database) -> None:
    # Issue 16: an answer counted itself in `rate_limits` (an upsert, now and then a delete) and then
    # updated its run: two tables written per answer. The run's row now holds its own answers in the
    # current hour (portal/storage/routing.py, `record_progress`), so an answer is one UPDATE. A
    # count and the hour it is for: nothing about the patient, and not a column the rollups count.
    names = {column.name for column in db.table("triage_runs").columns}
    if "steps_window" not in names:
        db.execute("ALTER TABLE triage_runs ADD COLUMN steps_window INTEGER")
    if "steps_in_window" not in names:
        db.execute("ALTER TABLE triage_runs ADD COLUMN steps_in_window INTEGER NOT NULL DEFAULT 0")
    # Every patient request reads its practice. A worker kept it until the database changed, but with
    # two workers answering it changed before nearly every request. This mark moves only when a
    # practice row does (portal/storage/db.py, `unchanged_read` with `mark=`).
    db.execute("CREATE TABLE IF NOT EXISTS change_marks (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
    db.execute("INSERT OR IGNORE INTO change_marks (name, n) VALUES ('practices', 0)")
    for event in ("INSERT", "UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER IF NOT EXISTS practices_mark_{event.lower()} AFTER {event} ON practices "
            "BEGIN UPDATE change_marks SET n = n + 1 WHERE name = 'practices'; END"
        )
