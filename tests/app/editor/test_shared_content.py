"""The social map, the prelude and the search lexicon, changed in the browser (issue 14).

The social map is published at once by a practice manager (their own municipalities) or
an editor, with history and audit; the prelude and the lexicon go through the change
control of trees: draft → checks → submit → a second person → publish.
"""

from __future__ import annotations

import re

import pytest

from portal import create_app
from portal.storage import audit
from portal.storage import content_versions as versions
from tests.factories import gen_staff, login, soup, text

MAP = "/staff/editor/social-map"
ZUIDERDAM = "zuiderdam-demo"  # De Linde's municipality (Het Anker serves it too)
NOORDHAVEN = "noordhaven-demo"  # Het Anker's own
OLD_PHONE, NEW_PHONE = "012 345 67 13", "012 345 99 99"


def _english(client):
    client.set_cookie("voordeur_lang", "en")
    return client


@pytest.fixture
def people(app, db):
    """A practice manager of De Linde, two editors, a clinical reviewer; each with their own browser."""
    found = {}
    for name, role, practices in [
        ("mia", "practice_manager", ("de-linde",)),
        ("ann", "editor", ("de-linde",)),
        ("ben", "editor", ("de-linde",)),
        ("cas", "clinical_reviewer", ("de-linde",)),
    ]:
        client = _english(app.test_client())
        login(client, gen_staff(db, role=role, practices=practices, email=f"{name}@example.nl"))
        found[name] = client
    return found


def _service_form(client, slug: str, service_type: str) -> dict[str, str]:
    """The fields of the edit form as the browser would send them back unchanged."""
    page = soup(client.get(f"{MAP}/{slug}/services/{service_type}"))
    form = page.select_one("form[novalidate]")
    data = {i["name"]: i.get("value", "") for i in form.select("input") if i.get("type") != "checkbox"}
    data |= {t["name"]: t.get_text() for t in form.select("textarea")}
    data["type"] = form.select_one("select option[selected]")["value"]
    return data


def _patient_map(client, practice: str = "de-linde", slug: str = ZUIDERDAM) -> str:
    return text(client.get(f"/{practice}/sociale-kaart/{slug}"))


# --- the social map ----------------------------------------------------------------------------


def test_a_practice_manager_changes_a_phone_number_and_patients_see_it_at_once(app, people, db):
    mia = people["mia"]
    assert OLD_PHONE in _patient_map(app.test_client())
    data = _service_form(mia, ZUIDERDAM, "schuldhulp") | {"phone": NEW_PHONE}
    response = mia.post(f"{MAP}/{ZUIDERDAM}/services/schuldhulp", data=data)
    assert response.status_code == 303
    assert "Patients see it at once" in text(mia.get(response.headers["Location"]))

    shown = _patient_map(app.test_client())
    assert NEW_PHONE in shown and OLD_PHONE not in shown
    live = versions.current(db, "social_map", ZUIDERDAM)
    assert (live.origin, live.number, live.review_comment) == ("editor", 1, "changed schuldhulp")
    entry = next(e for e in audit.entries(db) if e.action == "social-map:published")
    assert entry.detail.startswith(f"social_map:{ZUIDERDAM}#{live.id} v1")
    history = soup(mia.get(f"{MAP}/{ZUIDERDAM}/history"))
    assert [a.get_text() for a in history.select("tbody a")] == ["version 1"]


def test_a_practice_manager_may_not_change_another_practices_municipality(people):
    mia = people["mia"]
    assert mia.get(f"{MAP}/{NOORDHAVEN}").status_code == 403
    assert mia.get(f"{MAP}/{NOORDHAVEN}/services/schuldhulp").status_code == 403
    assert mia.post(f"{MAP}/{NOORDHAVEN}/services/schuldhulp/remove").status_code == 403
    listed = [a.get_text() for a in soup(mia.get(f"{MAP}/")).select("main a")]
    assert "Zuiderdam (demo)" in listed and "Noordhaven (demo)" not in listed


def test_an_editor_may_change_every_municipality(people):
    assert people["ann"].get(f"{MAP}/{NOORDHAVEN}").status_code == 200


@pytest.mark.parametrize("role", ["assistant", "evaluator", "clinical_reviewer"])
def test_other_roles_may_not_change_the_social_map(client, db, role):
    login(client, gen_staff(db, role=role))
    assert client.get(f"{MAP}/").status_code == 403
    assert client.get(f"{MAP}/{ZUIDERDAM}/services/schuldhulp").status_code == 403
    assert client.post(f"{MAP}/{ZUIDERDAM}/services/schuldhulp", data={"phone": "1"}).status_code == 403


def test_a_wrong_field_is_named_in_words_and_what_was_typed_stays(app, people, db):
    mia = people["mia"]
    data = _service_form(mia, ZUIDERDAM, "schuldhulp") | {"phone": "bel ons", "web": "http://x.nl", "how_en": ""}
    response = mia.post(f"{MAP}/{ZUIDERDAM}/services/schuldhulp", data=data)
    assert response.status_code == 422
    page = soup(response)
    assert page.title.get_text().startswith("Error:")
    summary = page.select_one(".error-summary").get_text(" ")
    assert "A phone number has only digits" in summary and "A web address starts with https://" in summary
    assert "Fill in “How to reach it (English)”" in summary
    assert page.select_one("#phone")["value"] == "bel ons" and page.select_one("#web")["value"] == "http://x.nl"
    assert versions.current(db, "social_map", ZUIDERDAM) is None and OLD_PHONE in _patient_map(app.test_client())


def test_a_service_is_removed_and_added(app, people, db):
    ann = people["ann"]
    name = "Taalhuis Zuiderdam"
    assert name in _patient_map(app.test_client())
    assert "no longer shown" in text(ann.get(f"{MAP}/{ZUIDERDAM}/services/taalhulp/remove"))
    response = ann.post(f"{MAP}/{ZUIDERDAM}/services/taalhulp/remove", data={"based_on": ""})
    assert response.status_code == 303
    assert name not in _patient_map(app.test_client())

    page = soup(ann.get(f"{MAP}/{ZUIDERDAM}/services/new"))
    assert [o["value"] for o in page.select("#type option")] == ["taalhulp"]  # the kinds not listed yet
    new = {
        "type": "taalhulp",
        "name": "Taalpunt Zuiderdam",
        "what_nl": "Hulp bij lezen en schrijven.",
        "what_en": "Help with reading and writing.",
        "how_nl": "Kom langs in de bibliotheek.",
        "how_en": "Drop in at the library.",
        "phone": "012 345 67 99",
        "based_on": str(_live_id(db)),
    }
    assert ann.post(f"{MAP}/{ZUIDERDAM}/services/new", data=new).status_code == 303
    assert "Taalpunt Zuiderdam" in _patient_map(app.test_client())
    assert versions.current(db, "social_map", ZUIDERDAM).number == 2
    # The same kind of help twice is refused, with what was typed kept.
    again = ann.post(f"{MAP}/{ZUIDERDAM}/services/new", data={**new, "based_on": str(_live_id(db))})
    assert again.status_code == 422 and "already has this kind of help" in text(again)
    assert soup(again).select_one("#name")["value"] == "Taalpunt Zuiderdam"


def _live_id(db) -> int:
    return versions.current(db, "social_map", ZUIDERDAM).id


def test_a_change_saved_meanwhile_by_someone_else_is_not_overwritten(app, people, db):
    mia, ann = people["mia"], people["ann"]
    stale = _service_form(mia, ZUIDERDAM, "schuldhulp") | {"phone": NEW_PHONE}
    fresh = _service_form(ann, ZUIDERDAM, "schuldhulp") | {"name": "Schuldhulp Zuiderdam en omstreken"}
    assert ann.post(f"{MAP}/{ZUIDERDAM}/services/schuldhulp", data=fresh).status_code == 303
    response = mia.post(f"{MAP}/{ZUIDERDAM}/services/schuldhulp", data=stale)
    assert response.status_code == 409 and "Someone else changed this social map" in text(response)
    assert soup(response).select_one("#phone")["value"] == NEW_PHONE  # what was typed stays
    shown = _patient_map(app.test_client())
    assert "Schuldhulp Zuiderdam en omstreken" in shown and NEW_PHONE not in shown


def test_a_published_social_map_survives_a_restart_with_a_broken_file_on_disk(app_config, people, content_copy):
    mia = people["mia"]
    data = _service_form(mia, ZUIDERDAM, "schuldhulp") | {"phone": NEW_PHONE}
    assert mia.post(f"{MAP}/{ZUIDERDAM}/services/schuldhulp", data=data).status_code == 303
    (content_copy / "social_map" / f"{ZUIDERDAM}.yaml").write_text("municipality: [broken", "utf-8")

    restarted = create_app(app_config)  # a new worker on the same database
    assert NEW_PHONE in _patient_map(restarted.test_client())


def test_an_older_version_is_put_back_at_once(app, people, db):
    mia = people["mia"]
    for phone in (NEW_PHONE, "012 345 88 88"):
        data = _service_form(mia, ZUIDERDAM, "schuldhulp") | {"phone": phone}
        assert mia.post(f"{MAP}/{ZUIDERDAM}/services/schuldhulp", data=data).status_code == 303
    first = versions.history(db, "social_map", ZUIDERDAM)[-1]
    page = soup(mia.get(f"{MAP}/{ZUIDERDAM}/versions/{first.id}"))
    assert "removed" in page.select_one("table.diff").get_text()
    response = mia.post(f"{MAP}/{ZUIDERDAM}/versions/{first.id}/restore", data={"based_on": str(_live_id(db))})
    assert response.status_code == 303
    assert NEW_PHONE in _patient_map(app.test_client())
    assert versions.current(db, "social_map", ZUIDERDAM).number == 3


def test_a_municipality_without_a_map_gets_one_from_its_first_service(app_config, db, content_copy):
    (content_copy / "social_map" / f"{NOORDHAVEN}.yaml").unlink()
    app = create_app(app_config)
    manager = _english(app.test_client())
    login(manager, gen_staff(db, role="practice_manager", practices=("het-anker",), email="max@example.nl"))
    page = soup(manager.get(f"{MAP}/"))
    start = next(a for a in page.select("main a") if "Start the social map" in a.get_text())
    assert "Noordhaven (demo)" in start.parent.get_text()
    first = {
        "type": "schuldhulp",
        "name": "Schuldhulp Noordhaven",
        "what_nl": "Gratis hulp bij schulden.",
        "what_en": "Free help with debts.",
        "how_nl": "Bel voor een afspraak.",
        "how_en": "Call for an appointment.",
        "phone": "012 345 68 13",
        "based_on": "",
    }
    response = manager.post(start["href"], data=first)
    assert response.status_code == 303
    patient = app.test_client()
    assert patient.get("/het-anker/sociale-kaart/").headers["Location"].endswith(f"/sociale-kaart/{NOORDHAVEN}")
    assert "Schuldhulp Noordhaven" in _patient_map(patient, "het-anker", NOORDHAVEN)
    assert versions.current(db, "social_map", NOORDHAVEN).number == 1


# --- the lexicon ------------------------------------------------------------------------------


def _draft_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return int(re.search(r"/changes/(\d+)$", response.headers["Location"]).group(1))


def _review(client, version_id: int, decision: str = "approve", comment: str = ""):
    return client.post(f"/staff/editor/changes/{version_id}/review", data={"decision": decision, "comment": comment})


def _finds(client, query: str) -> list[str]:
    return [
        tile.get_text() for tile in soup(client.get("/de-linde/", query_string={"q": query})).select("#results .tile")
    ]


def test_a_new_search_word_is_wording_and_reaches_search_after_a_second_editor(app, people, db):
    ann, ben = people["ann"], people["ben"]
    assert "Keelpijn" not in _finds(app.test_client(), "schuurpapierkeel")
    version_id = _draft_id(ann.post("/staff/editor/shared/lexicon/terms/keelpijn", data={"add_nl": "schuurpapierkeel"}))
    page = text(ann.get(f"/staff/editor/changes/{version_id}"))
    assert "Wording only" in page
    ann.post(f"/staff/editor/changes/{version_id}/submit", data={"release_note": ""})
    assert _review(ben, version_id).status_code == 303
    assert versions.get(db, version_id).status == "published"
    assert _finds(app.test_client(), "schuurpapierkeel")[0] == "Keelpijn"
    actions = [e.action for e in audit.entries(db) if e.action.startswith("content:")]
    assert actions[:3] == ["content:published", "content:submitted", "content:draft-saved"]


def test_removing_a_search_word_is_clinical_logic_and_needs_a_clinical_reviewer(app, people, db):
    ann, ben, cas = people["ann"], people["ben"], people["cas"]
    version_id = _draft_id(ann.post("/staff/editor/shared/lexicon/terms/keelpijn", data={"remove": "nl:zere keel"}))
    page = text(ann.get(f"/staff/editor/changes/{version_id}"))
    assert "Clinical logic" in page and "'zere keel' no longer leads to 'keelpijn'" in page
    ann.post(f"/staff/editor/changes/{version_id}/submit", data={"release_note": "Too vague."})
    _review(ben, version_id)
    assert versions.get(db, version_id).status == "submitted"  # an editor may not approve logic
    _review(cas, version_id)
    assert versions.get(db, version_id).status == "published"


def test_a_word_that_already_leads_elsewhere_is_refused_and_kept_in_the_form(people, db):
    ann = people["ann"]
    response = ann.post("/staff/editor/shared/lexicon/terms/keelpijn", data={"add_nl": "maagzuur\nnieuw woord"})
    assert response.status_code == 422
    assert "“maagzuur” already leads to “buikpijn”" in text(response)
    assert soup(response).select_one("#add_nl").get_text() == "maagzuur\nnieuw woord"
    assert versions.open_versions(db) == []


def test_the_lexicon_in_raw_yaml_reports_a_broken_draft_by_line(people, rules_dir):
    ann = people["ann"]
    source = (rules_dir / "_lexicon.yaml").read_text("utf-8").replace("  keelpijn:\n", "  keelpijn_x:\n", 1)
    version_id = _draft_id(ann.post("/staff/editor/shared/lexicon/edit", data={"source": source}))
    summary = soup(ann.get(f"/staff/editor/changes/{version_id}")).select_one(".error-summary").get_text(" ")
    assert "there is no tree 'keelpijn_x'" in summary


# --- the prelude ------------------------------------------------------------------------------

QUESTION_NL = "Is er nu een van deze dingen aan de hand?"


def test_a_prelude_change_is_clinical_logic_checked_on_every_tree(app, app_config, people, db, rules_dir):
    ann, ben, cas = people["ann"], people["ben"], people["cas"]
    source = (rules_dir / "_prelude.yaml").read_text("utf-8").replace(QUESTION_NL, "Gebeurt nu een van deze dingen?")
    version_id = _draft_id(ann.post("/staff/editor/shared/prelude/edit", data={"source": source}))
    page = text(ann.get(f"/staff/editor/changes/{version_id}"))
    assert "Clinical logic" in page and "raise the number after “version:”" in page  # even a wording change
    assert re.search(r"Every tree was loaded on this prelude and its cases were run: \d\d trees", page)

    raised = source.replace("version: 2", "version: 3", 1)
    version_id = _draft_id(ann.post("/staff/editor/shared/prelude/edit", data={"source": raised}))
    ann.post(f"/staff/editor/changes/{version_id}/submit", data={"release_note": "Shorter question."})
    assert versions.get(db, version_id).status == "submitted"
    _review(ben, version_id)
    assert versions.get(db, version_id).status == "submitted"  # only a clinical reviewer
    _review(cas, version_id)
    assert versions.get(db, version_id).status == "published"
    with app.test_request_context():
        from portal.rulebook import rules

        assert rules().prelude.version == 3

    (rules_dir / "_prelude.yaml").write_text("kind: prelude\nnodes: [broken", "utf-8")
    restarted = create_app(app_config)  # a new worker; the file on disk is broken
    with restarted.test_request_context():
        from portal.rulebook import rules

        assert rules().prelude.version == 3 and len(rules().trees) > 50
    assert restarted.test_client().get("/de-linde/triage/keelpijn").status_code == 200


def test_a_prelude_draft_that_breaks_a_tree_names_the_tree_and_cannot_be_submitted(people, db, rules_dir):
    ann = people["ann"]
    source = (rules_dir / "_prelude.yaml").read_text("utf-8")
    start = source.index("      - value: travel_outside_europe")
    end = source.index("      - value: dont_know", start)
    broken = (source[:start] + source[end:]).replace("version: 2", "version: 3", 1)
    version_id = _draft_id(ann.post("/staff/editor/shared/prelude/edit", data={"source": broken}))
    page = soup(ann.get(f"/staff/editor/changes/{version_id}"))
    summary = page.select_one(".error-summary").get_text(" ")
    assert "A tree fails on this prelude: diarree.yaml" in summary
    assert page.find("button", string=re.compile("Submit")) is None


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("assistant", 403, 403),
        ("evaluator", 403, 403),
        ("practice_manager", 403, 403),
        ("clinical_reviewer", 200, 403),
        ("editor", 200, 200),
    ],
)
def test_only_editors_change_the_prelude_and_lexicon(client, db, role, read, write):
    login(client, gen_staff(db, role=role))
    for name in ("prelude", "lexicon"):
        assert client.get(f"/staff/editor/shared/{name}/history").status_code == read
        assert client.get(f"/staff/editor/shared/{name}/edit").status_code == write
    assert client.get("/staff/editor/shared/lexicon/terms").status_code == write
    assert client.get("/staff/editor/shared/lexicon/terms/keelpijn").status_code == write


def test_a_published_lexicon_survives_a_restart_with_the_file_gone(app, app_config, people, db, rules_dir):
    ann, ben = people["ann"], people["ben"]
    version_id = _draft_id(ann.post("/staff/editor/shared/lexicon/terms/keelpijn", data={"add_nl": "schuurpapierkeel"}))
    ann.post(f"/staff/editor/changes/{version_id}/submit", data={"release_note": ""})
    _review(ben, version_id)
    (rules_dir / "_lexicon.yaml").unlink()
    restarted = create_app(app_config)
    assert _finds(restarted.test_client(), "schuurpapierkeel")[0] == "Keelpijn"


def test_export_writes_the_social_map_patients_get(app, runner, people, tmp_path):
    mia = people["mia"]
    data = _service_form(mia, ZUIDERDAM, "schuldhulp") | {"phone": NEW_PHONE}
    assert mia.post(f"{MAP}/{ZUIDERDAM}/services/schuldhulp", data=data).status_code == 303
    result = runner.invoke(args=["content", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert NEW_PHONE in (tmp_path / "out" / "content" / "social_map" / f"{ZUIDERDAM}.yaml").read_text("utf-8")


def test_migrate_records_the_shipped_prelude_lexicon_and_social_maps(runner, db, app_config, rules_dir):
    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    for kind, key in [("prelude", "prelude"), ("lexicon", "lexicon"), ("social_map", ZUIDERDAM)]:
        assert versions.current(db, kind, key).origin == "file", kind
    (rules_dir / "_prelude.yaml").write_text("kind: prelude\nnodes: [broken", "utf-8")
    restarted = create_app(app_config)  # never changed in the browser, and still safe from a broken file
    assert restarted.test_client().get("/de-linde/triage/keelpijn").status_code == 200


def test_every_page_opens_in_dutch(app, db):
    client = app.test_client()  # no language cookie: Dutch
    login(client, gen_staff(db, role="admin", email="dora@example.nl"))
    for url in [
        f"{MAP}/",
        f"{MAP}/{ZUIDERDAM}",
        f"{MAP}/{ZUIDERDAM}/services/new",
        f"{MAP}/{ZUIDERDAM}/services/schuldhulp",
        f"{MAP}/{ZUIDERDAM}/services/schuldhulp/remove",
        f"{MAP}/{ZUIDERDAM}/history",
        "/staff/editor/shared/prelude/edit",
        "/staff/editor/shared/lexicon/edit",
        "/staff/editor/shared/prelude/history",
        "/staff/editor/shared/lexicon/terms",
        "/staff/editor/shared/lexicon/terms/keelpijn",
        "/staff/editor/",
        "/staff/de-linde/practice",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert soup(response).html["lang"] == "nl", url
