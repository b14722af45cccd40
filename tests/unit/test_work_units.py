"""How the test modules are handed to the xdist processes (``tests/conftest.py``): the browser modules
with servers of their own form a work unit, the modules on a shared server two more, each on a server
and Chromium of the process that runs it; the three come first, so the processes start on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import (
    LIVE_SERVER_SCOPE,
    OWN_SERVERS,
    ROUND_TRIPS,
    SECOND_SHARED_SERVER,
    pytest_collection_modifyitems,
    work_unit_of,
)

REPO = Path(__file__).resolve().parents[2]
SHARED_SERVER_MODULES = sorted(
    str(path.relative_to(REPO))
    for folder in LIVE_SERVER_SCOPE
    for path in (REPO / folder).glob("test_*.py")
    if str(path.relative_to(REPO)) not in OWN_SERVERS
)


class _Item:
    """What the collection hook reads of a test: its node id and the fixtures it uses."""

    def __init__(self, nodeid: str, fixtures: tuple[str, ...] = ()) -> None:
        self.nodeid = nodeid
        self.fixturenames = list(fixtures)


def _collected(*items: _Item) -> list[str]:
    found = list(items)
    pytest_collection_modifyitems(None, found)  # the hook reads no config
    return [item.nodeid for item in found]


def test_the_three_browser_units_come_first():
    second = SECOND_SHARED_SERVER[0]
    order = _collected(
        _Item("tests/unit/test_engine.py::test_a"),
        _Item("tests/app/test_foundations.py::test_wheel"),
        _Item(f"{second}::test_f", ("live_server",)),
        _Item("tests/browser/test_patient_browser.py::test_b", ("live_server",)),
        _Item("tests/browser/test_editor_done_when_browser.py::test_d"),
        _Item("tests/browser/test_production_tls.py::test_e"),
    )
    units = list(dict.fromkeys(work_unit_of(nodeid) for nodeid in order))
    assert units == [
        "live server",
        "live server 2",
        "own servers",
        "tests/app/test_foundations.py",
        "tests/unit/test_engine.py",
    ]


def test_shared_server_modules_form_two_units_and_other_modules_stay_apart():
    assert work_unit_of("tests/browser/test_patient_browser.py::t") == "live server"
    assert {work_unit_of(f"{module}::t") for module in SECOND_SHARED_SERVER} == {"live server 2"}
    assert work_unit_of("tests/browser/test_production_tls.py::t[chromium]") == "own servers"
    assert work_unit_of("tests/app/patient/test_steps.py::t") == "tests/app/patient/test_steps.py"


def test_every_shared_server_module_is_in_one_of_the_two_units_and_both_have_modules():
    """The split: each module that may use the shared server runs in exactly one of the two
    shared-server units, and neither unit is empty (an empty one would be no split at all)."""
    units = {module: work_unit_of(f"{module}::t") for module in SHARED_SERVER_MODULES}
    assert set(units.values()) == {"live server", "live server 2"}, units


def test_every_module_named_for_the_second_shared_server_exists_and_may_use_it():
    """A renamed module would quietly join the first unit again; a module with servers of its own
    does not belong on a shared server."""
    assert SECOND_SHARED_SERVER
    assert all((REPO / module).is_file() for module in SECOND_SHARED_SERVER)
    assert all(module.startswith(LIVE_SERVER_SCOPE) for module in SECOND_SHARED_SERVER)
    assert not set(SECOND_SHARED_SERVER) & set(OWN_SERVERS)


def test_a_module_with_servers_of_its_own_that_asks_for_the_shared_server_is_refused():
    with pytest.raises(pytest.UsageError, match="live_server"):
        _collected(_Item("tests/browser/test_production_tls.py::test_x", ("live_server",)))


def test_every_module_named_as_having_servers_of_its_own_exists():
    """A renamed module would quietly join the shared unit again."""
    assert all((REPO / module).is_file() for module in OWN_SERVERS)


def test_the_whole_tree_round_trip_modules_are_one_unit_and_exist():
    """They share one process's kept ruamel readings; a renamed module would quietly pay them again."""
    assert all((REPO / module).is_file() for module in ROUND_TRIPS)
    assert {work_unit_of(f"{module}::t") for module in ROUND_TRIPS} == {"round trips"}
