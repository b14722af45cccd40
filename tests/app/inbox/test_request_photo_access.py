"""A patient's photos: only staff of that practice see them, every look is audited, nothing is cached,
and a purged request leaves no photo behind."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from portal.storage import audit
from portal.storage import photos as photo_store
from portal.storage import requests as store
from tests import photo_files
from tests.factories import ECONSULT_FORM, econsult_run, gen_staff, login, request_url, soup

VISITORS = {
    "assistant_a": ("assistant", ("de-linde",)),
    "assistant_b": ("assistant", ("het-anker",)),
    "editor": ("editor", ("de-linde",)),
    "evaluator": ("evaluator", ("de-linde",)),
    "admin_a": ("admin", ("de-linde",)),
}
# What the other inbox routes give each visitor (tests/app/inbox/test_access_matrix.py).
EXPECTED = {"anonymous": 303, "assistant_a": 200, "assistant_b": 404, "editor": 403, "evaluator": 403, "admin_a": 200}


def send_with_photo(client, db):
    """An e-consult with one photo, sent straight from the form (as a check page's "Send" does)."""
    patient = econsult_run(client)
    data = {**ECONSULT_FORM, "idempotency_key": f"key-{patient.run_id}"}
    data["photos"] = [(io.BytesIO(photo_files.phone_jpeg()), "arm.jpg")]
    response = client.post(request_url(patient), data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    (item,) = store.inbox(db, "de-linde")
    (photo,) = photo_store.photos_for(db, item.id)
    return item, photo


def photo_url(item, photo, practice: str = "de-linde") -> str:
    return f"/staff/{practice}/requests/{item.id}/photos/{photo.id}"


def audit_rows(db, action: str):
    return [e for e in audit.entries(db, limit=1000, offset=0) if e.action == action]


@pytest.mark.parametrize("visitor", list(EXPECTED))
def test_photo_access_matrix(client, db, visitor):
    item, photo = send_with_photo(client, db)
    staff_client = client.application.test_client()
    if visitor != "anonymous":
        role, practices = VISITORS[visitor]
        login(staff_client, gen_staff(db, role=role, practices=practices))
    response = staff_client.get(photo_url(item, photo))
    assert response.status_code == EXPECTED[visitor], visitor
    viewed = audit_rows(db, "view:photo")
    if EXPECTED[visitor] == 200:
        assert response.mimetype == "image/jpeg" and response.data[:2] == b"\xff\xd8"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert [(e.request_id, e.practice, e.detail) for e in viewed] == [(item.id, "de-linde", f"photo:{photo.id}")]
    else:
        assert viewed == [] and response.data[:2] != b"\xff\xd8"
    if visitor == "anonymous":
        assert "/staff/login" in response.headers["Location"]


def test_another_practices_staff_cannot_reach_a_photo_through_their_own_practice(client, db):
    item, photo = send_with_photo(client, db)
    staff_client = client.application.test_client()
    login(staff_client, gen_staff(db, practices=("het-anker",)))
    assert staff_client.get(photo_url(item, photo, practice="het-anker")).status_code == 404


def test_a_photo_id_of_another_request_is_not_found(client, db):
    first, photo = send_with_photo(client, db)
    patient = econsult_run(client)
    client.post(request_url(patient), data={**ECONSULT_FORM, "idempotency_key": "zonder-foto"})
    second = next(r for r in store.inbox(db, "de-linde") if r.id != first.id)
    staff_client = client.application.test_client()
    login(staff_client, gen_staff(db))
    assert staff_client.get(f"/staff/de-linde/requests/{second.id}/photos/{photo.id}").status_code == 404


def test_the_request_page_shows_the_photos_as_thumbnails_that_open_the_photo(client, db):
    item, photo = send_with_photo(client, db)
    staff_client = client.application.test_client()
    login(staff_client, gen_staff(db))
    page = soup(staff_client.get(f"/staff/de-linde/requests/{item.id}"))
    (link,) = page.select(".photos a")
    assert link["href"] == photo_url(item, photo) and link.img["src"] == photo_url(item, photo)
    assert "arm.jpg" in link.img["alt"]


def test_a_purged_request_leaves_no_photo_bytes(client, db, db_path):
    item, photo = send_with_photo(client, db)
    stored = photo_store.photo(db, "de-linde", item.id, photo.id)
    staff = gen_staff(db)
    now = datetime.now(UTC)
    store.close(db, item, staff.id, route="econsult", urgency="U5", now=now - timedelta(days=40))
    assert store.purge_closed(db, closed_before=now - timedelta(days=30), now=now) == 1
    assert photo_store.photos_for(db, item.id) == []
    assert photo_store.photo(db, "de-linde", item.id, photo.id) is None
    db.conn.commit()
    raw = db_path.read_bytes()
    wal = db_path.with_name(db_path.name + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert stored.data[200:264] not in raw  # secure_delete and the checkpoint: the bytes are gone from disk
    staff_client = client.application.test_client()
    login(staff_client, staff)
    assert staff_client.get(photo_url(item, photo)).status_code == 404
