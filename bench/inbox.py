#!/usr/bin/env python3
"""Benchmark: an assistant's morning. Chromium handles 40 of 200 requests with reply templates.

Not a timed test: it prints a Markdown table to record in docs/performance.md.

    apt-get install -y chromium
    .venv/bin/python bench/inbox.py [--requests 200] [--handle 40] [--kind econsult]

What it does, as a real assistant would, against a real server:

1. ``voordeur demo`` migrates a temporary database and loads the demo practices.
2. It seeds ``--requests`` requests through the portal's own storage functions
   (``routing.start_run`` and ``requests.submit``, as the patient's form stores them):
   answers taken from the trees' own test cases (so the triage shown is real), several
   complaints, every request kind, urgencies U2–U5, received over the last working days,
   with the answer due as the patient flow computes it. A practice manager's four reply
   templates are stored with ``reply_templates.create``.
3. ``voordeur users create`` makes an assistant; ``voordeur serve`` starts gunicorn
   (2 sync workers, as in production) on a free loopback port.
4. Debian's Chromium (Playwright, ``executable_path``) logs in with password and TOTP,
   opens the inbox filtered on ``--kind`` and opens the first request. Then, ``--handle``
   times: read it, choose the template that fits the complaint (htmx fills the reply),
   tick "close after sending", press "send". The portal closes the request and shows
   the next one of the same list, so the assistant never goes back to the list.

It counts, per request handled, the page loads (the main frame's ``load`` events), the
background requests (htmx), and the user actions (each click, tick, choice or key press
the script makes), and times each request from the moment it is shown until the next
one is. The script reads nothing: the seconds are the machine's share of the work
(server, network, browser), not an assistant's reading time.

Finally it checks in the database that exactly the handled requests are closed, each
with one reply that is the filled-in template (no placeholder left), so a run that
"handled" requests without sending anything cannot report figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from patient_steps import free_port, portal_command, portal_env  # noqa: E402

from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PRACTICE = "de-linde"
PASSWORD = "bench correct horse battery staple"
ASSISTANT = "assistent.bench@example.nl"
MANAGER = "praktijkmanager.bench@example.nl"
ZONE = ZoneInfo("Europe/Amsterdam")  # the portal's default time zone: working hours are Dutch
START_SECONDS = 180
TARGET_LOADS = 2
TARGET_ACTIONS = 3

# The complaints seeded, with what patients typically write (our own words) and the template an
# assistant would choose for them. Requests of other complaints get the general template.
COMPLAINTS = {
    "hoesten": [
        "Ik hoest al drie weken en het wordt niet minder. 's Nachts slaap ik er slecht van.",
        "Mijn zoon hoest veel sinds de verkoudheid, vooral als hij buiten speelt.",
        "Droge hoest sinds ik nieuwe bloeddrukpillen gebruik. Kan dat daarvan komen?",
    ],
    "keelpijn": [
        "Keelpijn sinds vier dagen, slikken doet zeer. Geen koorts.",
        "Mijn dochter heeft keelpijn en witte plekjes achter in de keel.",
    ],
    "huiduitslag": [
        "Rode jeukende plekken op mijn armen sinds een week. Ik heb een foto bijgevoegd.",
        "Een plek op mijn been die groter wordt. Hij doet geen pijn.",
        "Schilferige huid achter de oren bij mijn baby.",
    ],
    "oogklachten": [
        "Mijn oog is rood en plakt 's ochtends dicht.",
        "Ik zie soms vlekjes als ik naar een witte muur kijk.",
    ],
    "rugpijn": [
        "Onderrugpijn na het tillen van een kast, nu vijf dagen.",
        "Al maanden last van mijn rug bij lang zitten op het werk.",
    ],
    "plasklachten": [
        "Branderig gevoel bij het plassen en vaak moeten plassen sinds gisteren.",
        "Ik moet 's nachts drie keer plassen, dat was vroeger niet zo.",
    ],
    "oorpijn": ["Oorpijn rechts sinds het zwemmen, het jeukt ook.", "Mijn oor zit dicht sinds de verkoudheid."],
    "moe": ["Ik ben al een maand erg moe, ook als ik genoeg slaap.", "Moe en kortademig bij de trap."],
    "wond": [
        "Snijwond in mijn vinger van gisteren, hij is wat rood geworden.",
        "Schaafwond op de knie die nattig blijft.",
    ],
    "slapen": ["Ik slaap al weken slecht en lig uren wakker.", "Ik word elke nacht om vier uur wakker."],
}
TEMPLATES = {
    "hoesten": (
        "Hoesten: afspraak maken",
        "Beste {voornaam}, de huisarts wil graag naar uw hoest luisteren. Bel ons op {praktijk_telefoon} "
        "voor een afspraak deze week. Wordt u kortademig, bel dan direct.",
        "hoesten",
    ),
    "keelpijn": (
        "Keelpijn: zelfzorg",
        "Beste {voornaam}, keelpijn gaat meestal vanzelf over. Onder dit bericht staat wat u zelf kunt doen. "
        "Wordt slikken of ademen moeilijk, bel ons dan op {praktijk_telefoon}.",
        "keelpijn",
    ),
    "huiduitslag": (
        "Huid: foto bekeken",
        "Beste {voornaam}, de huisarts heeft uw bericht bekeken. Bel ons op {praktijk_telefoon} voor een "
        "afspraak, dan kijkt de huisarts er samen met u naar.",
        None,
    ),
    "*": (
        "Algemeen: bel de praktijk",
        "Beste {voornaam}, dank voor uw bericht. Wilt u ons bellen op {praktijk_telefoon}? Dan spreken we af "
        "wat de beste volgende stap is.",
        None,
    ),
}
FIRST_NAMES = [
    "Anna",
    "Bram",
    "Chantal",
    "Daan",
    "Esra",
    "Fleur",
    "Gijs",
    "Hatice",
    "Iris",
    "Jeroen",
    "Karim",
    "Lotte",
    "Mohamed",
    "Noor",
    "Olga",
    "Pieter",
]
LAST_NAMES = ["de Vries", "Jansen", "Bakker", "Yilmaz", "van Dijk", "El Amrani", "Visser", "Smit", "de Boer", "Mulder"]
# The prelude's age bands as ages in days, to draw a date of birth that fits the answers.
AGE_DAYS = {
    "baby_0_3m": (1, 88),
    "baby_3_12m": (95, 360),
    "child_1_4": (370, 4 * 365),
    "child_4_12": (4 * 365 + 10, 11 * 365 + 300),
    "teen_12_18": (12 * 365 + 10, 17 * 365 + 300),
    "adult_18_64": (18 * 365 + 10, 64 * 365),
    "senior_65_plus": (65 * 365 + 10, 92 * 365),
}


# --- seeding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seedable:
    """A test case of a tree that ends where a patient can send the practice a request."""

    tree_id: str
    tree_version: int
    prelude_version: int
    answers: dict
    outcome: str
    route: str
    urgency: str
    kind: str


def seedable_cases() -> list[Seedable]:
    """The trees' own cases, walked with the engine, that end in a route with a request kind."""
    from portal.triage.cases import case_answers
    from portal.triage.engine import TriageError, walk
    from portal.triage.model import Outcome
    from portal.triage.rules import load_prelude, load_tree
    from portal.vocabulary import REQUEST_KIND_FOR_ROUTE

    today = date.today()
    prelude, problems = load_prelude(REPO / "triage_rules" / "_prelude.yaml", today)
    if prelude is None:
        raise SystemExit(f"the prelude does not load: {problems}")
    found = []
    for tree_id in COMPLAINTS:
        tree, problems = load_tree(REPO / "triage_rules" / f"{tree_id}.yaml", prelude, today)
        if tree is None:
            raise SystemExit(f"{tree_id} does not load: {problems}")
        for case in tree.cases:
            kind = REQUEST_KIND_FOR_ROUTE.get(case.expect_route)
            if kind is None:
                continue
            answers = {**{k: v for k, v in vars(case.profile).items() if v}, **case_answers(tree, case.answers)}
            try:  # as the inbox shows it: the profile among the answers
                step = walk(tree, answers).step
            except TriageError:  # ends before the profile is asked (from the emergency screen)
                continue
            if not isinstance(step, Outcome):
                continue
            found.append(
                Seedable(
                    tree.id,
                    tree.version,
                    prelude.version,
                    answers,
                    step.id,
                    step.route.value,
                    step.urgency.value,
                    kind.value,
                )
            )
    return found


def birth_date(rng: random.Random, age_band: str | None, today: date) -> str:
    low, high = AGE_DAYS.get(age_band or "", AGE_DAYS["adult_18_64"])
    born = today - timedelta(days=rng.randint(low, high))
    return born.isoformat()


def seed(database: Path, count: int, rng: random.Random, manager_id: int) -> dict[str, int]:
    """``count`` requests and the practice's templates, through the portal's storage functions."""
    from portal.storage import reply_templates
    from portal.storage import requests as store
    from portal.storage.db import open_db
    from portal.storage.routing import Progress, start_run
    from portal.workdays import answer_due

    cases = seedable_cases()
    db = open_db(database)
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    template_ids = {}
    for complaint, (title, body, page) in TEMPLATES.items():
        text = reply_templates.TemplateText(title=title, body_nl=body, page=page)
        template_ids[complaint] = reply_templates.create(db, PRACTICE, text, staff_id=manager_id, now=now).id
    # Most requests are e-consults; the rest are spread over the other kinds, as in a practice.
    by_kind: dict[str, list[Seedable]] = {}
    for case in cases:
        by_kind.setdefault(case.kind, []).append(case)
    weights = {"econsult": 0.6, "appointment": 0.2, "callback": 0.12, "social": 0.08}
    kinds = [k for k in weights if k in by_kind]
    for number in range(count):
        kind = rng.choices(kinds, [weights[k] for k in kinds])[0]
        case = rng.choice(by_kind[kind])
        received = now - timedelta(minutes=rng.randint(5, 3 * 24 * 60))
        local = received.astimezone(ZONE)
        due = local + timedelta(hours=1) if kind == "callback" else answer_due(local)
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        run_id = start_run(
            db,
            practice=PRACTICE,
            tree_id=case.tree_id,
            tree_version=case.tree_version,
            prelude_version=case.prelude_version,
            locale="nl" if rng.random() < 0.9 else "en",
            progress=Progress(
                answers=case.answers,
                last_node=case.outcome,
                outcome_node=case.outcome,
                route=case.route,
                urgency=case.urgency,
            ),
            now=received,
        )
        details = {
            "tree": case.tree_id,
            "version": case.tree_version,
            "outcome": case.outcome,
            "route": case.route,
            "answers": case.answers,
            "prelude_version": case.prelude_version,
        }
        store.submit(
            db,
            store.NewRequest(
                practice=PRACTICE,
                run_id=run_id,
                kind=kind,
                urgency=case.urgency,
                idempotency_key=f"bench-{number}",
                name=name,
                birth_date=birth_date(rng, case.answers.get("age_band"), today),
                phone=f"06 {rng.randint(10_000_000, 99_999_999)}",
                email=f"patient{number}@example.nl",
                message=rng.choice(COMPLAINTS[case.tree_id]),
                details=details,
            ),
            now=received,
            due=due,
        )
    db.close()
    return template_ids


# --- the browser -------------------------------------------------------------------------------


@dataclass
class Counter:
    """What the assistant's browser did: page loads, htmx requests, and the script's actions."""

    loads: int = 0
    background: int = 0
    actions: int = 0

    def snapshot(self) -> tuple[int, int, int]:
        return self.loads, self.background, self.actions


@dataclass
class Handled:
    reference: str
    complaint: str
    loads: int
    background: int
    actions: int
    seconds: float
    fill_seconds: float  # choosing the template until the reply box holds it (htmx)
    send_seconds: float  # pressing send until the next request is shown


@dataclass
class Run:
    handled: list[Handled] = field(default_factory=list)
    login_seconds: float = 0.0
    first_open: tuple[int, int, int] = (0, 0, 0)


def watch(page, counter: Counter) -> None:
    """Count the main frame's page loads and the background (htmx) requests."""
    page.on("load", lambda _page: setattr(counter, "loads", counter.loads + 1))

    def on_request(request) -> None:
        if request.resource_type in ("xhr", "fetch"):
            counter.background += 1

    page.on("request", on_request)


def act(counter: Counter, action) -> None:
    """One user action: a click, a tick, a choice or a key press."""
    counter.actions += 1
    action()


def log_in(page, base: str, counter: Counter) -> None:
    import pyotp

    page.goto(f"{base}/staff/login")
    page.fill("#email", ASSISTANT)
    page.fill("#password", PASSWORD)
    page.click("form.narrow-form button[type=submit]")
    page.wait_for_selector("code.secret")
    secret = page.inner_text("code.secret")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("form.narrow-form button[type=submit]")
    page.wait_for_selector("#inbox-list")


def shown_reference(page) -> str:
    return page.inner_text("h1").split()[-1]


def handle(page, counter: Counter, titles: dict[str, str], complaint_of: dict[str, str], expected: dict) -> Handled:
    """One request, from the moment it is shown until the next one (or the list) is."""
    started = time.perf_counter()
    before = counter.snapshot()
    reference = shown_reference(page)
    complaint = complaint_of[reference]
    title = titles.get(complaint, titles["*"])
    choosing = time.perf_counter()
    with page.expect_response(lambda response: "template=" in response.url):
        act(counter, lambda: page.select_option("#template", label=title))  # htmx fills the reply
    page.wait_for_function("document.querySelector('#body').value.startsWith('Beste ')")
    filled = time.perf_counter()
    expected[reference] = page.input_value("#body")
    act(counter, lambda: page.check("#reply-close"))
    sending = time.perf_counter()
    with page.expect_navigation():
        act(counter, lambda: page.click("#reply-form button[type=submit]"))
    after = counter.snapshot()
    shown = time.perf_counter()
    return Handled(
        reference,
        complaint,
        loads=after[0] - before[0],
        background=after[1] - before[1],
        actions=after[2] - before[2],
        seconds=shown - started,
        fill_seconds=filled - choosing,
        send_seconds=shown - sending,
    )


def drive(base: str, kind: str, handle_count: int, complaint_of: dict[str, str], expected: dict) -> Run:
    from playwright.sync_api import sync_playwright

    titles = {complaint: title for complaint, (title, _body, _page) in TEMPLATES.items()}
    run = Run()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
        page = context.new_page()
        started = time.perf_counter()
        log_in(page, base, Counter())
        run.login_seconds = time.perf_counter() - started
        page.goto(f"{base}/staff/{PRACTICE}/inbox?kind={kind}")
        counter = Counter()
        watch(page, counter)
        with page.expect_navigation():
            act(counter, lambda: page.click("#inbox-list tbody a >> nth=0"))
        run.first_open = counter.snapshot()
        for number in range(handle_count):
            done = handle(page, counter, titles, complaint_of, expected)
            run.handled.append(done)
            if number + 1 < handle_count:
                note = page.inner_text(".ok-message")
                if done.reference not in note:
                    raise SystemExit(f"after closing {done.reference} the next page says: {note!r}")
        browser.close()
    return run


# --- checks and report -------------------------------------------------------------------------


@contextmanager
def serving(env: dict[str, str], port: int) -> Iterator[str]:
    """``voordeur serve`` (gunicorn, 2 sync workers) until the block ends; yields its base URL.

    Waits up to ``START_SECONDS`` for ``/healthz``: on a busy shared machine the workers
    take long to load the trees.
    """
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(portal_command(port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise SystemExit(f"voordeur serve exited with {process.returncode}")
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"voordeur serve did not answer within {START_SECONDS} s") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def portal_app(env: dict[str, str]):
    """The portal built in this process with the server's settings, for seeding through its storage."""
    os.environ.update({name: value for name, value in env.items() if name.startswith("VOORDEUR_")})
    from portal import create_app

    return create_app()


def create_user(voordeur: str, env: dict[str, str], email: str, role: str) -> int:
    """An account made as an operator makes one (``voordeur users create``); returns its id."""
    from portal.storage.db import open_db
    from portal.storage.staff import find_staff

    made = subprocess.run(
        [
            voordeur,
            "users",
            "create",
            "--email",
            email,
            "--name",
            role.replace("_", " ").title(),
            "--role",
            role,
            "--practice",
            PRACTICE,
            "--password-stdin",
        ],
        env=env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        raise SystemExit(made.stderr)
    db = open_db(env["VOORDEUR_DATABASE"])
    found = find_staff(db, email)
    db.close()
    assert found is not None
    return found.id


def references(database: Path) -> dict[str, str]:
    """Reference → complaint, for choosing the template as an assistant reads the request."""
    from portal.storage.db import open_db

    db = open_db(database)
    rows = db.query("SELECT reference, json_extract(details, '$.tree') AS tree FROM requests")
    found = {row["reference"]: row["tree"] for row in rows}
    db.close()
    return found


def verify(database: Path, expected: dict[str, str]) -> None:
    """Exactly the handled requests are closed, each with the one reply the browser showed."""
    from portal.storage.db import open_db

    db = open_db(database)
    closed = {
        row["reference"]: row["bodies"]
        for row in db.query(
            "SELECT r.reference, group_concat(m.body, '\x1f') AS bodies FROM requests r "
            "LEFT JOIN request_messages m ON m.request_id = r.id WHERE r.status = 'closed' GROUP BY r.id"
        )
    }
    db.close()
    if set(closed) != set(expected):
        raise SystemExit(f"closed {sorted(closed)} but handled {sorted(expected)}")
    for reference, body in expected.items():
        if closed[reference] != body.strip() or "{" in body:
            raise SystemExit(f"{reference}: the stored reply is {closed[reference]!r}, the browser showed {body!r}")


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(run: Run, seeded: int, kind: str, elapsed: float) -> str:
    handled = run.handled
    loads = [h.loads for h in handled]
    actions = [h.actions for h in handled]
    background = [h.background for h in handled]
    seconds = [h.seconds for h in handled]
    total_loads = sum(loads) + run.first_open[0]
    total_actions = sum(actions) + run.first_open[2]
    met = max(loads) <= TARGET_LOADS and max(actions) <= TARGET_ACTIONS
    load = os.getloadavg()
    lines = [
        f"Handled {len(handled)} of {seeded} seeded requests (list filtered on kind = {kind}), "
        f"each read, replied to with a template and closed. Machine: {platform.node()}, "
        f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "| per request handled (read, template, close) | median | max | target |",
        "|---|---|---|---|",
        f"| page loads | {median(loads):g} | {max(loads)} | ≤ {TARGET_LOADS} |",
        f"| user actions (clicks, ticks, choices, keys) | {median(actions):g} | {max(actions)} | ≤ {TARGET_ACTIONS} |",
        f"| background requests (htmx) | {median(background):g} | {max(background)} | |",
        f"| seconds, shown → next request shown | {median(seconds):.2f} | {max(seconds):.2f} "
        f"(p90 {percentile(seconds, 0.9):.2f}) | |",
        f"| of which: template chosen → reply filled (htmx) | {median([h.fill_seconds for h in handled]):.2f} "
        f"| {max(h.fill_seconds for h in handled):.2f} | |",
        f"| of which: send → next request shown (POST, 303, GET) | {median([h.send_seconds for h in handled]):.2f} "
        f"| {max(h.send_seconds for h in handled):.2f} | |",
        "",
        "| whole run | value |",
        "|---|---|",
        f"| opening the first request from the list (once) | {run.first_open[0]} page load, "
        f"{run.first_open[2]} action |",
        f"| page loads for {len(handled)} requests, first open included | {total_loads} "
        f"({total_loads / len(handled):.2f} per request) |",
        f"| user actions for {len(handled)} requests, first open included | {total_actions} "
        f"({total_actions / len(handled):.2f} per request) |",
        f"| seconds for {len(handled)} requests | {sum(seconds):.1f} ({sum(seconds) / len(handled):.2f} per request) |",
        f"| log in (password + TOTP) | {run.login_seconds:.1f} s |",
        f"| whole benchmark (seed, serve, browse, check) | {elapsed:.0f} s |",
        "",
        f"Common path target (≤ {TARGET_LOADS} page loads, ≤ {TARGET_ACTIONS} actions per request): "
        + ("**met**." if met else "**not met**."),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests to seed (default 200)")
    parser.add_argument("--handle", type=int, default=40, help="requests to handle (default 40)")
    parser.add_argument("--kind", default="econsult", help="the inbox filter worked through (default econsult)")
    parser.add_argument("--seed", type=int, default=13, help="random seed for the requests (default 13)")
    options = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="voordeur-inbox-bench-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        env = portal_env(workdir, port)
        voordeur = portal_command(port)[0]
        subprocess.run([voordeur, "demo"], env=env, check=True, capture_output=True)
        database = Path(env["VOORDEUR_DATABASE"])
        create_user(voordeur, env, ASSISTANT, "assistant")
        manager_id = create_user(voordeur, env, MANAGER, "practice_manager")
        with portal_app(env).app_context():  # the server's settings, so the same audit key
            seed(database, options.requests, random.Random(options.seed), manager_id)
        complaint_of = references(database)
        expected: dict[str, str] = {}
        with serving(env, port) as base:
            run = drive(base, options.kind, options.handle, complaint_of, expected)
        verify(database, expected)
    print(report(run, options.requests, options.kind, time.perf_counter() - started))


if __name__ == "__main__":
    main()
