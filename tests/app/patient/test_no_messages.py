"""An unsafe home: an outcome marked ``no_messages`` offers nothing to send (issue 11, Veilig Thuis).

A call-back, a reply or a notification mail could reach the person the patient is afraid of.
"""

from __future__ import annotations

import yaml

from tests.app.patient.test_outcome_wording import walk
from tests.conftest import RULES
from tests.factories import Patient, request_url, soup

_CASES = yaml.safe_load((RULES / "onveilig_thuis.yaml").read_text("utf-8"))["cases"]
#: The tree's own case for "violence at home, and not safe to be called".
NOT_SAFE_TO_CONTACT = next(
    c for c in _CASES if c["expect"]["outcome"] == "urgent_today_no_contact" and "situation" in c["answers"]
)


def _not_safe_to_contact_outcome(client, db) -> Patient:
    patient = Patient(client)
    walk(patient, "onveilig_thuis", {**NOT_SAFE_TO_CONTACT["profile"], **NOT_SAFE_TO_CONTACT["answers"]})
    node = db.execute("SELECT outcome_node FROM triage_runs WHERE id = ?", [patient.run_id]).fetchone()[0]
    assert node == "urgent_today_no_contact"
    return patient


def test_the_outcome_offers_no_request_and_the_request_url_is_refused(client, db):
    patient = _not_safe_to_contact_outcome(client, db)
    page = soup(patient.page())
    assert "Veilig Thuis" in page.get_text() or "veilige telefoon" in page.get_text()
    assert not [a for a in page.select("a[href]") if a["href"].endswith("/verzoek")]
    assert not page.select('form[action$="/verzoek"]')
    assert client.get(request_url(patient)).status_code == 404
    assert client.post(request_url(patient), data={"name": "X"}).status_code in (400, 404)


def test_an_outcome_without_the_mark_still_offers_its_request(client):
    from tests.factories import econsult_run

    patient = econsult_run(client)
    assert client.get(request_url(patient)).status_code == 200
