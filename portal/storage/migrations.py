"""Named migrations (sqlite-utils' built-in ``Migrations``).

Run them as their own step — ``voordeur migrate``, the Procfile's ``release:``
line, or ``voordeur serve`` before it forks workers — never from several
workers at once. Never edit a shipped migration: add a new one.
"""

from __future__ import annotations

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
        "CREATE INDEX triage_runs_open ON triage_runs (last_active_at) "
        "WHERE finished_at IS NULL AND abandoned = 0"
    )


def migrate(db: Database) -> list[str]:
    """Apply pending migrations; return their names."""
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending
