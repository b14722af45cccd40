"""How the test modules are handed to the two xdist processes (``tests/conftest.py``): the browser
modules with servers of their own form a work unit apart from the modules on the shared server,
and the two come first, so each process starts on one of them instead of one process running both."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import OWN_SERVERS, ROUND_TRIPS, pytest_collection_modifyitems, work_unit_of

REPO = Path(__file__).resolve().parents[2]


class _Item:
    """What the collection hook reads of a test: its node id and the fixtures it uses."""

    def __init__(self, nodeid: str, fixtures: tuple[str, ...] = ()) -> None:
        self.nodeid = nodeid
        self.fixturenames = list(fixtures)


def _collected(*items: _Item) -> list[str]:
    found = list(items)
    pytest_collection_modifyitems(None, found)  # the hook reads no config
    return [item.nodeid for item in found]


def test_the_two_browser_units_come_first_one_for_each_process():
    order = _collected(
        _Item("tests/unit/test_engine.py::test_a"),
        _Item("tests/app/test_foundations.py::test_wheel"),
        _Item("tests/browser/test_patient_browser.py::test_b", ("live_server",)),
        _Item("tests/server/test_sessions.py::test_c", ("server",)),
        _Item("tests/browser/test_editor_done_when_browser.py::test_d"),
        _Item("tests/browser/test_production_tls.py::test_e"),
    )
    units = list(dict.fromkeys(work_unit_of(nodeid) for nodeid in order))
    assert units == ["own servers", "live server", "tests/app/test_foundations.py", "tests/unit/test_engine.py"]


def test_shared_server_modules_stay_together_and_other_modules_stay_apart():
    assert work_unit_of("tests/browser/test_patient_browser.py::t") == "live server"
    assert work_unit_of("tests/server/test_durability.py::t") == "live server"
    assert work_unit_of("tests/browser/test_production_tls.py::t[chromium]") == "own servers"
    assert work_unit_of("tests/app/patient/test_steps.py::t") == "tests/app/patient/test_steps.py"


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
