"""Staff accounts: role, practices, password hash (argon2id), TOTP second factor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from ..vocabulary import Role, member
from .db import immediate


@dataclass(frozen=True)
class Staff:
    id: int
    email: str
    name: str
    role: str
    practices: tuple[str, ...]
    password_hash: str
    totp_secret: str | None
    totp_confirmed: bool
    active: bool
    must_change_password: bool = False

    def works_for(self, practice: str) -> bool:
        return practice in self.practices


def _load(db: Database, row: dict) -> Staff:
    practices = tuple(
        r["practice"]
        for r in db.query("SELECT practice FROM staff_practices WHERE staff_id = ? ORDER BY practice", [row["id"]])
    )
    return Staff(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        practices=practices,
        password_hash=row["password_hash"],
        totp_secret=row["totp_secret"],
        totp_confirmed=bool(row["totp_confirmed"]),
        active=bool(row["active"]),
        must_change_password=bool(row.get("must_change_password")),
    )


def create_staff(
    db: Database,
    *,
    email: str,
    name: str,
    role: str,
    practices: list[str],
    password_hash: str,
    must_change_password: bool = False,
) -> Staff:
    if member(Role, role) is None:
        raise ValueError(f"role must be one of {', '.join(Role)}")
    with immediate(db):
        cursor = db.execute(
            "INSERT INTO staff (email, name, role, password_hash, must_change_password, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                email.strip().lower(),
                name,
                role,
                password_hash,
                int(must_change_password),
                datetime.now(UTC).isoformat(timespec="seconds"),
            ],
        )
        staff_id = cursor.lastrowid
        assert staff_id is not None
        for practice in practices:
            db.execute("INSERT INTO staff_practices (staff_id, practice) VALUES (?, ?)", [staff_id, practice])
    staff = get_staff(db, staff_id)
    assert staff is not None
    return staff


def get_staff(db: Database, staff_id: int) -> Staff | None:
    rows = list(db.query("SELECT * FROM staff WHERE id = ?", [staff_id]))
    return _load(db, rows[0]) if rows else None


def find_staff(db: Database, email: str) -> Staff | None:
    rows = list(db.query("SELECT * FROM staff WHERE email = ?", [email.strip().lower()]))
    return _load(db, rows[0]) if rows else None


def list_staff(db: Database) -> list[Staff]:
    return [_load(db, row) for row in db.query("SELECT * FROM staff ORDER BY email")]


def _update(db: Database, staff_id: int, **columns: object) -> None:
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    with immediate(db):
        db.execute(f"UPDATE staff SET {assignments} WHERE id = :id", {**columns, "id": staff_id})


def set_password_hash(db: Database, staff_id: int, password_hash: str, *, must_change: bool = False) -> None:
    """A new password. ``must_change`` marks a one-time password: it must be replaced at the next login."""
    _update(db, staff_id, password_hash=password_hash, must_change_password=int(must_change))


def use_totp_step(db: Database, staff_id: int, step: int) -> bool:
    """Record that the TOTP time step ``step`` was used; False when it (or a later one) already was.

    A code stays valid for up to 90 seconds (one step either side): without this,
    someone who saw a code could log in with it again within that time.
    """
    with immediate(db):
        cursor = db.execute(
            "UPDATE staff SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)",
            [step, staff_id, step],
        )
    return cursor.rowcount == 1


def set_totp_secret(db: Database, staff_id: int, secret: str) -> None:
    """A new, unconfirmed secret: the account must enrol (scan and confirm) again."""
    _update(db, staff_id, totp_secret=secret, totp_confirmed=0)


def confirm_totp(db: Database, staff_id: int) -> None:
    _update(db, staff_id, totp_confirmed=1)


def reset_totp(db: Database, staff_id: int) -> None:
    _update(db, staff_id, totp_secret=None, totp_confirmed=0, totp_last_step=None)


def set_active(db: Database, staff_id: int, active: bool) -> None:
    _update(db, staff_id, active=int(active))
