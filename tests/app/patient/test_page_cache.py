"""Pages rendered once for everyone at the same place (``pagecache``): the same HTML as a fresh
render, with each patient's own run id, CSRF token and run proof, and nothing of another patient."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string
from jinja2 import ChoiceLoader, DictLoader

from portal import create_app
from portal.patient import pagecache
from portal.patient.ownership import PROOF_FIELD, _serializer
from portal.storage.db import get_db
from portal.storage.routing import get_run
from tests.factories import ADULT_MAN, ADULT_WOMAN, NO_RISK, Patient, soup

TOKEN = re.compile(r'(name="(?:csrf_token|run_proof)" value=")[^"]*(")')


def _same_page(cached: str, fresh: str) -> None:
    """Equal but for the token and the proof (both made anew for each response)."""
    assert TOKEN.sub(r"\1…\2", cached) == TOKEN.sub(r"\1…\2", fresh)


def _both(app, client, url: str, headers: dict | None = None) -> tuple[str, str]:
    app.config["PAGE_CACHE"] = True
    client.get(url, headers=headers)  # fills the cache
    cached = client.get(url, headers=headers).get_data(as_text=True)
    app.config["PAGE_CACHE"] = False
    fresh = client.get(url, headers=headers).get_data(as_text=True)
    app.config["PAGE_CACHE"] = True
    return cached, fresh


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_cached_page_is_the_page_a_fresh_render_gives(app, client, lang, htmx):
    client.get(f"/de-linde/?lang={lang}")
    headers = {"HX-Request": "true"} if htmx else None
    patient = Patient(client)
    pages = ["/de-linde/triage/hoesten", "/de-linde/"]
    patient.start("hoesten")
    pages.append(patient.url)  # the profile page
    patient.answer(**ADULT_MAN)
    pages.append(patient.url)  # the first question
    patient.answer(breath_signs="none")
    pages.append(patient.history[-2])  # the first question again, now with its answer chosen
    for url in pages:
        cached, fresh = _both(app, client, url, headers)
        _same_page(cached, fresh)


def test_every_page_of_a_whole_triage_is_the_same_cached_or_not(app, client):
    patient = Patient(client)
    patient.start("keelpijn")
    for answer in (ADULT_WOMAN, {"alarm_signs": "none"}):
        cached, fresh = _both(app, client, patient.url)
        _same_page(cached, fresh)
        patient.answer(**answer)
    while "/uitkomst" not in patient.url:
        page = soup(client.get(patient.url))
        values = {}
        for radio in page.select("input[type=radio]"):
            values.setdefault(radio["name"], radio["value"])
        for box in page.select("input[type=checkbox][value=none]"):
            values[box["name"]] = "none"
        cached, fresh = _both(app, client, patient.url)
        _same_page(cached, fresh)
        patient.answer(**(NO_RISK if "risk_group" in values else values))


def test_each_patient_gets_their_own_run_id_token_and_proof(app):
    first, second = app.test_client(), app.test_client()
    pages = []
    for client in (first, second):
        patient = Patient(client)
        patient.start("keelpijn")
        patient.answer(**ADULT_WOMAN)
        pages.append((patient, soup(client.get(patient.url))))
    (one, page_one), (two, page_two) = pages
    assert one.run_id != two.run_id
    for patient, page in pages:
        assert page.find("form")["action"].split("/")[4] == patient.run_id
        proof = page.find("input", {"name": PROOF_FIELD})["value"]
        with app.app_context():
            assert _serializer().loads(proof) == patient.run_id
    tokens = [page.find("input", {"name": "csrf_token"})["value"] for _, page in pages]
    assert tokens[0] != tokens[1]
    assert pagecache.RUN_ID not in str(page_one) + str(page_two)


def test_what_one_patient_posts_never_shows_in_another_patients_page(app):
    """The next panel of an htmx answer is cached: the form in it must not read the POST."""
    attacker, victim = Patient(app.test_client(), htmx=True), Patient(app.test_client(), htmx=True)
    attacker.start("keelpijn")
    attacker.answer(**ADULT_WOMAN, alarm_signs="drooling")  # a field of the *next* page, too
    victim.start("keelpijn")
    for page in (victim.answer(**ADULT_WOMAN), victim.client.get(victim.url, headers={"HX-Request": "true"})):
        assert soup(page).find("input", {"name": "alarm_signs"}) is not None
        assert soup(page).find("input", checked=True) is None


def test_a_changed_practice_shows_at_once(app, client):
    assert "Huisartsenpraktijk De Linde" in client.get("/de-linde/").get_data(as_text=True)
    with app.app_context():
        get_db().execute("UPDATE practices SET name = 'Praktijk Nieuwe Naam' WHERE slug = 'de-linde'")
    assert "Praktijk Nieuwe Naam" in client.get("/de-linde/").get_data(as_text=True)


def test_an_answer_read_without_the_form_is_stored_as_the_form_would(app_config):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    token = soup(client.get("/de-linde/triage/keelpijn")).find("input", {"name": "csrf_token"})["value"]
    patient = Patient(client)
    patient._post("/de-linde/triage/keelpijn", {"emergency_screen": "none", "csrf_token": token})
    patient._post(patient.url, {"general_danger": "none", "csrf_token": token})
    patient._post(patient.url, {**ADULT_WOMAN, "csrf_token": token})
    question = patient.url
    refused = client.post(question, data={"alarm_signs": "maybe", "csrf_token": token})
    assert refused.status_code == 422  # not an offered answer: the form says why
    saved = client.post(question, data={"alarm_signs": "none", "csrf_token": token})
    assert saved.status_code == 303
    with app.app_context():
        assert get_run(get_db(), patient.run_id).answers["alarm_signs"] == ["none"]
    # A bad token never stores, even though the error page shows the form again.
    forged = client.post(question, data={"alarm_signs": "drooling", "csrf_token": "forged"})
    assert forged.status_code == 400
    with app.app_context():
        assert get_run(get_db(), patient.run_id).answers["alarm_signs"] == ["none"]


@pytest.fixture
def probe_app(app):
    app.jinja_loader  # noqa: B018 (Flask builds its loader lazily)
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "probe/plain.html": "<p>{{ word }} {{ locale }}</p>",
                    "probe/reads_request.html": "<p>{{ word }} {{ request.path }}</p>",
                    "probe/reads_htmx.html": "<p>{{ word }} {{ htmx.current_url }}</p>",
                }
            ),
            app.jinja_env.loader,
        ]
    )
    return app


@pytest.mark.parametrize("template", ["probe/reads_request.html", "probe/reads_htmx.html"])
def test_a_page_that_reads_the_request_is_rendered_anew_each_time(probe_app, template):
    for path in ("/a", "/b"):
        with probe_app.test_request_context(path, headers={"HX-Request": "true", "HX-Current-URL": path}):
            html = pagecache.render(template, ("probe",), lambda _run: {"word": "hi"})
            assert path in html


def test_a_page_is_rendered_once_per_key(probe_app):
    built = []

    def build(_run):
        built.append(1)
        return {"word": "hi"}

    with probe_app.test_request_context("/"):
        first = pagecache.render("probe/plain.html", ("probe",), build)
        again = pagecache.render("probe/plain.html", ("probe",), build)
        other = pagecache.render("probe/plain.html", ("probe", 2), build)
        assert first == again == other == render_template_string("<p>hi {{ locale }}</p>")
    assert len(built) == 2
