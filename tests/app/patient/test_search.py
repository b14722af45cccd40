"""Search as patients type it: whole sentences, crisis words, and browsing by body part."""

from __future__ import annotations

from tests.factories import soup


def test_a_full_dutch_sentence_finds_the_complaint(client):
    page = soup(client.get("/de-linde/?q=ik+heb+pijn+in+mijn+buik"))
    assert page.select("#results .tile")[0].get_text() == "Buikpijn"


def test_a_full_sentence_finds_the_complaint_with_htmx_too(client):
    response = client.get("/de-linde/?q=pijn+in+mijn+keel", headers={"HX-Request": "true", "HX-Target": "results"})
    page = soup(response)
    assert page.select("#results .tile")[0].get_text() == "Keelpijn"


def test_crisis_words_show_113_and_112_on_the_results_page_itself(client):
    for query in ("zelfmoord", "ik wil dood", "i want to die"):
        page = soup(client.get("/de-linde/", query_string={"q": query}))
        numbers = [a["href"] for a in page.select("#results a[href^='tel:']")]
        assert numbers[:3] == ["tel:113", "tel:08000113", "tel:112"], query


def test_an_ordinary_search_shows_no_crisis_box(client):
    page = soup(client.get("/de-linde/?q=keelpijn"))
    assert page.select("#results a[href='tel:113']") == []


def test_nothing_found_offers_the_body_parts_and_the_catch_all(client):
    page = soup(client.get("/de-linde/?q=xqzv"))
    links = page.select("#results a")
    assert any(a["href"] == "/de-linde/waar/buik" for a in links)
    assert links[-1]["href"] == "/de-linde/triage/algemeen"


def test_a_body_part_lists_its_complaints_without_javascript(client):
    start = soup(client.get("/de-linde/"))
    assert start.select_one('a[href="/de-linde/waar/buik"]') is not None
    page = soup(client.get("/de-linde/waar/buik"))
    assert page.h1.get_text() == "Buik, maag en darmen"
    assert "Buikpijn" in [a.get_text() for a in page.select(".tiles .tile")]


def test_an_unknown_body_part_is_404(client):
    assert client.get("/de-linde/waar/nergens").status_code == 404


def test_the_start_page_also_finds_self_help_pages(client):
    page = soup(client.get("/de-linde/?q=schulden"))
    assert any("/zelfhulp/" in a["href"] for a in page.select("#results a"))
