"""Bad query input and bad uploads on the evaluation pages (and the audit log) are the
sender's mistake: 400 or 422 with a message that says what to fix, never a 500."""

from __future__ import annotations

import io

import pytest

from tests.factories import gen_staff, login, text


@pytest.fixture
def evaluator(client, db):
    login(client, gen_staff(db, role="evaluator", practices=("de-linde", "het-anker")))
    return client


@pytest.fixture
def admin(client, db):
    login(client, gen_staff(db, role="admin", practices=("de-linde",)))
    return client


# --- dates and years in the query ---------------------------------------------------------------


BAD_PERIODS = [
    ("van=abc", "Schrijf datums als JJJJ-MM-DD"),
    ("tot=2026-13-01", "Schrijf datums als JJJJ-MM-DD"),
    ("van=2026-02-30", "Schrijf datums als JJJJ-MM-DD"),
    ("van=2026-06-01&tot=2026-01-01", "De begindatum moet voor de einddatum liggen"),
    ("van=2000-01-01&tot=2026-01-01", "Kies een periode van hoogstens drie jaar"),
    ("van=0001-01-01&tot=0001-01-31", "Kies datums tussen"),
    ("tot=9999-12-31", "Kies datums tussen"),
    ("van=9999-12-01&tot=9999-12-31", "Kies datums tussen"),
]


# One login per test (logging in costs a password hash): the cases are looped, not parametrized.
def test_a_bad_period_is_a_400_that_says_what_to_fix(evaluator):
    for url in ("/staff/evaluatie/", "/staff/evaluatie/export.csv", "/staff/evaluatie/export.json"):
        for query, message in BAD_PERIODS:
            response = evaluator.get(f"{url}?{query}")
            assert response.status_code == 400, (url, query)
            assert message in text(response), (url, query)


def test_an_absurd_year_on_the_yearly_report_is_a_400(evaluator):
    for year in ("-1", "0", "1", "99999", "abc", "2026.5", "9999"):
        response = evaluator.get(f"/staff/evaluatie/jaarverslag?jaar={year}")
        assert response.status_code == 400, year
        assert "Kies een jaar tussen 2000 en 2100" in text(response), year


def test_a_sensible_year_still_works(evaluator):
    for query in ("", "?jaar=", "?jaar=2025"):
        assert evaluator.get(f"/staff/evaluatie/jaarverslag{query}").status_code == 200, query


def test_the_yearly_report_message_is_in_english_too(evaluator):
    response = evaluator.get("/staff/evaluatie/jaarverslag?jaar=-1&lang=en")
    assert response.status_code == 400
    assert "Choose a year between 2000 and 2100" in text(response)


def test_a_bad_page_number_on_the_audit_log_is_a_400(admin):
    for page in ("abc", "1.5", "99999999999999999999999"):
        response = admin.get(f"/staff/audit?page={page}")
        assert response.status_code == 400, page
        assert "paginanummer" in text(response), page
    for page in ("", "1", "0", "-3", "2"):
        assert admin.get(f"/staff/audit?page={page}").status_code == 200, page


# --- the baseline import ------------------------------------------------------------------------

HEADER = "practice,month,consults,phone_calls,econsults\n"


def _upload(client, content: bytes, name: str = "nulmeting.csv"):
    return client.post(
        "/staff/evaluatie/nulmeting",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _assert_refused(response, message: str, case: str = "") -> None:
    assert response.status_code == 422, case
    page = text(response)
    assert message in page, (case, page)
    assert "Nulmeting" in page and "Importeren" in page, case  # the form is shown again


BAD_FILES = [
    ("not UTF-8", (HEADER + "de-linde,2025-01,Caf\xe9,10,0\n").encode("latin-1"), "niet in UTF-8"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "geen CSV-bestand"),
    ("xlsx", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "geen CSV-bestand"),
    ("missing columns", b"practice,month\nde-linde,2025-01\n", "Ontbrekende kolommen: consults, phone_calls"),
    ("empty", b"", "Het bestand bevat geen rijen"),
    ("header only", HEADER.encode(), "Het bestand bevat geen rijen"),
    ("short row", (HEADER + "de-linde,2025-01\n").encode(), "Rij 1: consults ontbreekt"),
    ("text", (HEADER + "de-linde,2025-01,veel,10,0\n").encode(), "Rij 1: consults moet een heel getal"),
    ("negative", (HEADER + "de-linde,2025-01,100,-5,0\n").encode(), "Rij 1: phone_calls moet een heel getal"),
    ("huge", (HEADER + "de-linde,2025-01,100,5,99999999999999999999\n").encode(), "Rij 1: econsults moet"),
    ("decimal", (HEADER + "de-linde,2025-01,1.5,5,0\n").encode(), "Rij 1: consults moet een heel getal"),
    ("month", (HEADER + "de-linde,januari,100,5,0\n").encode(), "Rij 1: schrijf de maand"),
    ("year", (HEADER + "de-linde,0001-01,100,5,0\n").encode(), "Rij 1: schrijf de maand"),
    ("practice", (HEADER + "elders,2025-01,100,5,0\n").encode(), "Rij 1: praktijk elders"),
]


def test_a_bad_baseline_file_is_refused_with_a_message_and_the_form(evaluator):
    for case, content, message in BAD_FILES:
        _assert_refused(_upload(evaluator, content), message, case)


def test_a_refused_file_saves_nothing(evaluator, db):
    response = _upload(evaluator, (HEADER + "de-linde,2025-01,100,5,0\nde-linde,2025-02,x,5,0\n").encode())
    _assert_refused(response, "Rij 2:")
    assert list(db.query("SELECT * FROM baseline")) == []


def test_a_good_file_from_excel_is_saved(evaluator, db):
    # a byte order mark, bare \r line ends (Mac), a capitalised header, no econsults column
    content = "\ufeffPractice, Month,consults,phone_calls\rde-linde,2025-01,100,50\rhet-anker,2025-2,90,40\r"
    response = _upload(evaluator, content.encode("utf-8"))
    assert response.status_code == 303
    rows = [(r["practice"], r["month"], r["consults"], r["econsults"]) for r in db.query("SELECT * FROM baseline")]
    assert sorted(rows) == [("de-linde", "2025-01", 100, 0), ("het-anker", "2025-02", 90, 0)]


def test_a_bad_baseline_form_is_refused_with_a_message(evaluator):
    good = {"practice": "de-linde", "month": "2025-01", "consults": "100", "phone_calls": "5"}
    for change, message in (
        ({"consults": ""}, "Rij 1: consults ontbreekt"),
        ({"phone_calls": None}, "Rij 1: phone_calls ontbreekt"),
        ({"consults": "-1"}, "Rij 1: consults moet een heel getal van 0 tot en met 10000000 zijn, niet “-1”"),
        ({"month": "2025-13"}, "Rij 1: schrijf de maand"),
    ):
        form = {k: v for k, v in {**good, **change}.items() if v is not None}
        _assert_refused(evaluator.post("/staff/evaluatie/nulmeting", data=form), message, str(change))
