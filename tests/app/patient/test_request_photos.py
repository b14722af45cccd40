"""Photos with an e-consult: checked, cleaned, kept through the check page, refused with a clear reason."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from portal.storage import photos as photo_store
from portal.storage import requests as store
from tests import photo_files
from tests.factories import ECONSULT_FORM, econsult_run, request_url, soup, text

TYPED = {**ECONSULT_FORM, "message": "Een rode plek op mijn arm, zie de foto's.", "action": "check"}


@pytest.fixture
def patient(client):
    client.get("/de-linde/?lang=en")  # the new texts are asserted in English until the catalogue has them
    return econsult_run(client)


def upload(client, patient, files: list[tuple[bytes, str]], **fields):
    """The form with photos chosen, as the browser sends it (multipart)."""
    data = {**TYPED, "idempotency_key": f"key-{patient.run_id}", **fields}
    data["photos"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post(request_url(patient), data=data, content_type="multipart/form-data")


def send_from_check_page(client, patient, check_page, **pressed):
    """Press a button on the check page: every answer goes back as the page's hidden fields."""
    form = soup(check_page).select_one('form:has(button[value="send"])')
    data = MultiDict((i["name"], i.get("value", "")) for i in form.select("input[type=hidden]"))
    for name, value in (pressed or {"action": "send"}).items():
        data[name] = value
    return client.post(request_url(patient), data=data)


def stored_photos(db):
    (item,) = store.inbox(db, "de-linde")
    return item, [photo_store.photo(db, "de-linde", item.id, p.id) for p in photo_store.photos_for(db, item.id)]


def test_three_photos_are_listed_on_the_check_page_and_arrive_with_the_request(client, db, patient):
    files = [(photo_files.phone_jpeg(), f"IMG_000{n}.jpg") for n in (1, 2, 3)]
    check = upload(client, patient, files)
    assert check.status_code == 200
    page = text(check)
    assert "Check your answers before sending" in page
    assert "3 photos attached" in page and all(name in page for _data, name in files)
    assert store.inbox(db, "de-linde") == []  # nothing is sent before "Send"
    sent = send_from_check_page(client, patient, check)
    assert sent.status_code == 303 and "/status/" in sent.headers["Location"]
    _item, photos = stored_photos(db)
    assert [p.filename for p in photos] == ["IMG_0001.jpg", "IMG_0002.jpg", "IMG_0003.jpg"]
    assert all(p.content_type == "image/jpeg" for p in photos)
    assert photo_store.pending(db, patient.run_id, f"key-{patient.run_id}") == []


def test_the_stored_bytes_carry_no_exif_or_gps_and_stand_upright(client, db, patient):
    check = upload(client, patient, [(photo_files.phone_jpeg((300, 100), orientation=6), "staand.jpg")])
    send_from_check_page(client, patient, check)
    _item, (stored,) = stored_photos(db)
    image = photo_files.read(stored.data)
    assert dict(image.getexif()) == {} and image.getexif().get_ifd(photo_files.GPS_IFD) == {}
    assert b"Telefoonmerk" not in stored.data
    assert image.size == (100, 300)
    assert image.convert("RGB").getpixel((50, 10))[2] > 200  # the blue edge is on top, as the phone showed it


@pytest.mark.parametrize(
    ("content", "name", "said"),
    [
        (photo_files.text_named_jpg(), "foto.jpg", "is not a photo we can open"),
        (photo_files.truncated_jpeg(), "half.jpg", "is damaged or incomplete"),
        (photo_files.decompression_bomb(), "bom.png", "has too many pixels to open"),
        (photo_files.eleven_megabytes(), "groot.jpg", "is larger than 10 MB"),
    ],
    ids=["text-named-jpg", "truncated-jpeg", "decompression-bomb", "11-MB"],
)
def test_a_refused_photo_is_named_with_the_reason_and_the_typed_text_is_kept(client, db, patient, content, name, said):
    response = upload(client, patient, [(content, name), (photo_files.phone_jpeg(), "goed.jpg")])
    assert response.status_code == 422
    page = soup(response)
    assert page.title.get_text().startswith("Error:")
    error = page.select_one("#photos-error").get_text()
    assert name in error and said in error
    assert [a["href"] for a in page.select(".error-summary a")] == ["#photos"]
    assert page.find("textarea", {"name": "message"}).get_text() == TYPED["message"]
    assert page.find("input", {"name": "name"})["value"] == TYPED["name"]
    assert [page.find("input", {"name": f"birth_{p}"})["value"] for p in ("day", "month", "year")] == [
        "17",
        "5",
        "1980",
    ]
    # The good photo of the same batch is kept, so only the refused one has to be chosen again.
    assert [p.filename for p in photo_store.pending(db, patient.run_id, f"key-{patient.run_id}")] == ["goed.jpg"]
    assert "goed.jpg" in page.select_one("#photos-hint").find_parent("div").get_text()
    assert store.inbox(db, "de-linde") == []


def test_a_fourth_photo_is_refused_at_once_and_later(client, db, patient):
    files = [(photo_files.phone_jpeg(), f"IMG_{n}.jpg") for n in range(1, 5)]
    response = upload(client, patient, files)
    assert response.status_code == 422
    assert "“IMG_4.jpg” was not added: you can send at most 3 photos" in text(response)
    key = f"key-{patient.run_id}"
    assert [p.filename for p in photo_store.pending(db, patient.run_id, key)] == ["IMG_1.jpg", "IMG_2.jpg", "IMG_3.jpg"]
    again = upload(client, patient, [(photo_files.phone_jpeg(), "IMG_5.jpg")])
    assert again.status_code == 422 and "“IMG_5.jpg” was not added" in text(again)
    assert len(photo_store.pending(db, patient.run_id, key)) == 3


def test_the_patient_removes_a_photo_on_the_check_page(client, db, patient):
    check = upload(client, patient, [(photo_files.phone_jpeg(), "houden.jpg"), (photo_files.png(), "weg.png")])
    (weg,) = [p for p in photo_store.pending(db, patient.run_id, f"key-{patient.run_id}") if p.filename == "weg.png"]
    after = send_from_check_page(client, patient, check, remove_photo=str(weg.id))
    assert after.status_code == 200 and "1 photo attached" in text(after) and "weg.png" not in text(after)
    send_from_check_page(client, patient, after)
    _item, photos = stored_photos(db)
    assert [p.filename for p in photos] == ["houden.jpg"]


def test_a_heic_photo_from_an_iphone_is_accepted_as_a_jpeg(client, db, patient):
    check = upload(client, patient, [(photo_files.heic(), "IMG_0004.HEIC")])
    assert check.status_code == 200
    send_from_check_page(client, patient, check)
    _item, (stored,) = stored_photos(db)
    assert stored.content_type == "image/jpeg" and photo_files.read(stored.data).format == "JPEG"


def test_photos_of_a_form_never_sent_are_removed_by_the_sweep(app, client, db, patient):
    upload(client, patient, [(photo_files.phone_jpeg(), "vergeten.jpg")])
    key = f"key-{patient.run_id}"
    runner = app.test_cli_runner()
    assert "Removed 0 photo(s)" in runner.invoke(args=["sweep"]).output  # still fresh: the patient may send it
    assert len(photo_store.pending(db, patient.run_id, key)) == 1
    thirteen_hours_ago = (datetime.now(UTC) - timedelta(hours=13)).isoformat(timespec="seconds")
    db.execute("UPDATE pending_photos SET created_at = ?", [thirteen_hours_ago])
    db.conn.commit()
    assert "Removed 1 photo(s)" in runner.invoke(args=["sweep"]).output
    assert photo_store.pending(db, patient.run_id, key) == []


def test_photos_too_large_together_get_a_clear_page_not_a_bare_413(client, patient):
    big = b"\0" * (32 * 1024 * 1024)
    response = upload(client, patient, [(big, "a.jpg")])
    assert response.status_code == 413
    page = text(response)
    assert "Your photos are too large" in page and "at most 3 photos of at most 10 MB" in page


def test_other_routes_keep_the_small_body_limit(client, patient):
    response = client.post("/de-linde/triage/keelpijn", data={"emergency_screen": "x" * 300_000})
    assert response.status_code == 413
    assert "Your photos are too large" not in text(response)


def test_a_form_other_than_an_econsult_ignores_photos(client, db):
    from tests.factories import ADULT_MAN, worries_run

    patient = worries_run(client, low_mood="yes", profile=ADULT_MAN)
    data = {**ECONSULT_FORM, "message": "", "dayparts": ["morning"], "idempotency_key": "appt"}
    data["photos"] = [(io.BytesIO(photo_files.phone_jpeg()), "foto.jpg")]
    assert client.post(request_url(patient), data=data, content_type="multipart/form-data").status_code == 303
    item, photos = stored_photos(db)
    assert item.kind == "appointment" and photos == []


def test_with_the_csrf_check_on_a_photo_larger_than_the_usual_body_limit_gets_through(app_config, client, db):
    """The CSRF check reads the body before the view: the form's larger limit must already hold then."""
    import os

    from PIL import Image

    from portal.app import create_app
    from portal.patient.ownership import proof

    patient = econsult_run(client)  # walked without CSRF; the form is then sent by a browser with it on
    noisy = io.BytesIO()
    Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(noisy, "JPEG", quality=95)
    assert noisy.tell() > 300 * 1024  # more than the 256 KB every other route allows
    browser = create_app({**app_config, "WTF_CSRF_ENABLED": True}).test_client()
    token = soup(browser.get("/de-linde/triage/keelpijn")).find("input", {"name": "csrf_token"})["value"]
    data = {**TYPED, "csrf_token": token, "run_proof": proof(patient.run_id, "test-secret")}
    data["photos"] = [(io.BytesIO(noisy.getvalue()), "ruis.jpg")]
    response = browser.post(request_url(patient), data=data, content_type="multipart/form-data")
    assert response.status_code == 200 and "ruis.jpg" in text(response)


def test_choosing_photos_again_and_again_is_limited_per_form(client, db, patient, monkeypatch):
    monkeypatch.setattr("portal.patient.limits.PHOTOS_PER_RUN_HOUR", 2)
    response = upload(client, patient, [(photo_files.phone_jpeg(), f"IMG_{n}.jpg") for n in (1, 2, 3)])
    assert response.status_code == 422
    assert "“IMG_3.jpg” was not added: many photos were chosen on this form" in text(response)
    assert len(photo_store.pending(db, patient.run_id, f"key-{patient.run_id}")) == 2
