"""Photos with a patient's message on the status page: cleaned, kept with the message, seen by staff only."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from portal.storage import photos as photo_store
from portal.storage import requests as store
from tests import photo_files
from tests.app.inbox.requests_factory import gen_request
from tests.factories import gen_staff, login, soup


@pytest.fixture
def answered(client, db):
    """A request the practice answered, and the assistant's own browser, logged in."""
    item = gen_request(db)
    assistant = client.application.test_client()
    login(assistant, gen_staff(db))
    assistant.post(f"/staff/de-linde/requests/{item.id}/reply", data={"body": "Stuur een foto van de plek."})
    return item, assistant


def send(client, item, files, body="Hier is de foto van de plek."):
    """The status page's form with photos chosen, as the browser sends it (multipart)."""
    data = {"body": body, "photos": [(io.BytesIO(content), name) for content, name in files]}
    return client.post(f"/status/{item.status_token}/reactie?lang=en", data=data, content_type="multipart/form-data")


def test_photos_arrive_with_the_message_and_only_staff_see_them(client, db, answered):
    item, assistant = answered
    response = send(client, item, [(photo_files.phone_jpeg(), "IMG_0001.jpg"), (photo_files.png(), "plek.png")])
    assert response.status_code == 303
    message = store.messages(db, item.id)[-1]
    stored = photo_store.photos_for(db, item.id)
    assert [(p.filename, p.message_id) for p in stored] == [("IMG_0001.jpg", message.id), ("plek.png", message.id)]
    kept = photo_store.photo(db, "de-linde", item.id, stored[0].id)
    assert b"Telefoonmerk" not in kept.data  # re-encoded: no EXIF (make, GPS)

    patient_page = soup(client.get(f"/status/{item.status_token}?lang=en"))
    own = patient_page.select("#gesprek li.message--own")[-1]
    assert "2 photos sent: IMG_0001.jpg, plek.png" in own.get_text(" ", strip=True)
    assert patient_page.select("#gesprek img") == []  # the patient sees names, never the pictures

    detail = soup(assistant.get(f"/staff/de-linde/requests/{item.id}"))
    thumbnails = detail.select(f"#message-{message.id} ul.photos img")
    assert len(thumbnails) == 2
    assert assistant.get(thumbnails[0]["src"]).headers["Cache-Control"] == "no-store"
    assert client.get(thumbnails[0]["src"]).status_code in (302, 303, 401, 403, 404)  # not for the patient


def test_a_file_that_is_not_a_photo_sends_nothing_and_keeps_the_text(client, db, answered):
    item, _assistant = answered
    response = send(client, item, [(photo_files.text_named_jpg(), "notitie.jpg")], body="Mijn tekst blijft staan")
    assert response.status_code == 422
    page = soup(response)
    assert page.find("textarea", id="body").get_text() == "Mijn tekst blijft staan"
    assert "notitie.jpg" in page.select_one("#photos-error").get_text()
    assert page.select_one("#photos-again") is not None
    assert [m.author for m in store.messages(db, item.id)] == ["practice"]
    assert photo_store.photos_for(db, item.id) == []


def test_more_than_three_photos_are_refused(client, db, answered):
    item, _assistant = answered
    files = [(photo_files.png(), f"foto{n}.png") for n in range(4)]
    response = send(client, item, files)
    assert response.status_code == 422 and "foto3.png" in soup(response).select_one("#photos-error").get_text()
    assert photo_store.photos_for(db, item.id) == []


def test_the_form_works_without_javascript_as_multipart(client, answered):
    item, _assistant = answered
    form = soup(client.get(f"/status/{item.status_token}")).select_one('form[action$="/reactie"]')
    assert form["method"] == "post" and form["enctype"] == "multipart/form-data"
    assert form.select_one("input[type=file][name=photos][multiple]") is not None


def test_photos_of_messages_are_purged_with_the_request(client, db, answered):
    item, assistant = answered
    send(client, item, [(photo_files.png(), "plek.png")])
    assistant.post(f"/staff/de-linde/requests/{item.id}/close", data={"route": "econsult", "urgency": "U5"})
    store.purge_closed(db, closed_before=datetime.now(UTC) + timedelta(days=1), now=datetime.now(UTC))
    assert db.execute("SELECT count(*) FROM request_photos WHERE request_id = ?", [item.id]).fetchone()[0] == 0


def test_the_soep_note_says_a_message_came_with_photos(client, db, answered):
    item, assistant = answered
    send(client, item, [(photo_files.png(), "plek.png")], body="Zo ziet het eruit.")
    note = soup(assistant.get(f"/staff/de-linde/requests/{item.id}")).find("textarea", id="his").get_text()
    assert any(
        line.strip().startswith("Reactie patiënt") and "(1 foto): Zo ziet het eruit." in line
        for line in note.splitlines()
    )
