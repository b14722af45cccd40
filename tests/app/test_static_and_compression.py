"""Versioned static URLs cached for a year, and compression only where it cannot leak a secret."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli
import pytest
from flask_wtf.csrf import generate_csrf

from portal import create_app
from portal.assets import IMMUTABLE, StaticVersions, file_versions
from tests.factories import ADULT_WOMAN, Patient, soup

STATIC = Path(__file__).resolve().parents[2] / "portal" / "static"
BROTLI = {"Accept-Encoding": "br"}


def _version(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def _static_links(response) -> list[str]:
    page = soup(response)
    links = [tag["href"] for tag in page.find_all("link") if "/static/" in tag["href"]]
    return links + [tag["src"] for tag in page.find_all("script") if tag.get("src")]


def test_every_static_link_of_a_page_carries_its_files_content_hash(client):
    links = _static_links(client.get("/de-linde/"))
    assert len(links) == 4  # icon, stylesheet, htmx, our script
    for link in links:
        path, version = re.fullmatch(r"/static/(.+)\?v=([0-9a-f]{12})", link).groups()
        assert version == _version(path)


def test_a_static_file_at_its_current_version_is_cached_for_a_year(client):
    response = client.get(f"/static/voordeur.css?v={_version('voordeur.css')}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("query", ["", "?v=000000000000", "?v="])
def test_a_static_file_without_its_current_version_is_revalidated_as_before(client, query):
    response = client.get(f"/static/voordeur.css{query}")
    assert response.status_code == 200
    assert "immutable" not in response.headers["Cache-Control"]
    assert "no-cache" in response.headers["Cache-Control"]


def test_a_cacheable_static_file_never_carries_the_session_cookie(client):
    Patient(client).start("keelpijn")  # a session with a bound run
    assert client.get_cookie("voordeur_session") is not None
    response = client.get(f"/static/voordeur.js?v={_version('voordeur.js')}")
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert "Set-Cookie" not in response.headers
    assert "Set-Cookie" in client.get("/de-linde/").headers  # pages still slide the session


def test_a_changed_file_gets_a_new_version(tmp_path):
    (tmp_path / "site.css").write_text("body { color: black }")
    before = StaticVersions(tmp_path, watch=False).version("site.css")
    watching = StaticVersions(tmp_path, watch=True)
    (tmp_path / "site.css").write_text("body { color: navy }")
    after = StaticVersions(tmp_path, watch=False).version("site.css")
    assert before != after == file_versions(tmp_path)["site.css"]
    assert watching.version("site.css") == after  # development: noticed without a restart


def test_the_version_is_fixed_at_start_up_in_production(tmp_path):
    (tmp_path / "site.css").write_text("a")
    versions = StaticVersions(tmp_path, watch=False)
    first = versions.version("site.css")
    (tmp_path / "site.css").write_text("b")
    assert versions.version("site.css") == first  # hashed once; a deploy restarts the workers


def test_static_files_are_compressed_with_brotli_or_gzip(client):
    original = (STATIC / "vendor" / "htmx-2.0.11.min.js").read_bytes()
    url = f"/static/vendor/htmx-2.0.11.min.js?v={_version('vendor/htmx-2.0.11.min.js')}"
    for _ in range(2):  # compressed once, then from memory: the same bytes
        response = client.get(url, headers=BROTLI)
        assert response.headers["Content-Encoding"] == "br"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert brotli.decompress(response.data) == original
        assert int(response.headers["Content-Length"]) == len(response.data) < len(original) / 2
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == original
    assert "Content-Encoding" not in client.get(url).headers  # a client that asks for none gets none


def test_a_range_request_for_a_static_file_is_not_compressed(client):
    response = client.get("/static/voordeur.css", headers={**BROTLI, "Range": "bytes=0-99"})
    assert response.status_code == 206
    assert "Content-Encoding" not in response.headers
    assert response.data == (STATIC / "voordeur.css").read_bytes()[:100]


def test_the_public_start_page_is_compressed(client):
    plain = client.get("/de-linde/").get_data()
    for _ in range(2):
        response = client.get("/de-linde/", headers=BROTLI)
        assert response.headers["Content-Encoding"] == "br"
        assert brotli.decompress(response.data) == plain
    searched = client.get("/de-linde/?q=keel", headers={"Accept-Encoding": "gzip"})
    assert searched.headers["Content-Encoding"] == "gzip"
    assert b"keel" in gzip.decompress(searched.data)


@pytest.mark.parametrize(
    "path",
    [
        "/de-linde/triage/keelpijn",  # a question page: CSRF token
        "/de-linde/zelfhulp/keelpijn",  # a self-help page: its feedback form has a CSRF token
        "/staff/login",
    ],
)
def test_a_page_with_a_csrf_token_is_never_compressed(app_config, path):
    """BREACH: a token that is the same on every page of a session, next to reflected input."""
    client = create_app({**app_config, "WTF_CSRF_ENABLED": True}).test_client()
    response = client.get(path, headers=BROTLI)
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.get_data(as_text=True)
    assert "Content-Encoding" not in response.headers


def test_a_question_page_with_the_run_proof_is_never_compressed(client):
    patient = Patient(client)
    patient.start("keelpijn")
    patient.answer(**ADULT_WOMAN)
    response = client.get(patient.url, headers=BROTLI)
    assert 'name="run_proof"' in response.get_data(as_text=True)
    assert "Content-Encoding" not in response.headers
    htmx = Patient(client, htmx=True)
    htmx.start("keelpijn")
    answered = htmx.answer(**ADULT_WOMAN)  # the next panel, with its token and proof
    assert "Content-Encoding" not in answered.headers


def test_a_public_page_that_issued_a_token_is_not_compressed(app_config):
    """Should a form ever be added to a public page, compression stops for it rather than leak."""
    app = create_app(app_config)
    app.before_request(generate_csrf)
    response = app.test_client().get("/de-linde/", headers=BROTLI)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
