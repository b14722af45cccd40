"""Every staff route × every kind of visitor. Another practice's ids are 'not found'."""

from __future__ import annotations

import pytest

from portal.storage import requests as store
from tests.factories import gen_staff, login, send_econsult

ROUTES = [
    ("GET", "/staff/de-linde/inbox"),
    ("GET", "/staff/de-linde/requests/{id}"),
    ("POST", "/staff/de-linde/requests/{id}/claim"),
    ("POST", "/staff/de-linde/requests/{id}/assign"),
    ("POST", "/staff/de-linde/requests/{id}/reply"),
    ("POST", "/staff/de-linde/requests/{id}/reroute"),
    ("POST", "/staff/de-linde/requests/{id}/close"),
    ("GET", "/staff/audit"),
]
FORMS = {
    "reply": {"body": "Goed dat u het meldt."},
    "reroute": {"target": "appointment"},
    "close": {"route": "econsult", "urgency": "U5"},
}
# visitor → expected status per route (same order as ROUTES)
MATRIX = {
    "anonymous": [303, 303, 303, 303, 303, 303, 303, 303],
    "assistant_a": [200, 200, 303, 303, 303, 303, 303, 403],
    "assistant_b": [404, 404, 404, 404, 404, 404, 404, 403],
    "editor": [403, 403, 403, 403, 403, 403, 403, 403],
    "evaluator": [403, 403, 403, 403, 403, 403, 403, 403],
    "admin_a": [200, 200, 303, 303, 303, 303, 303, 200],
}
VISITORS = {
    "assistant_a": ("assistant", ("de-linde",)),
    "assistant_b": ("assistant", ("het-anker",)),
    "editor": ("editor", ("de-linde",)),
    "evaluator": ("evaluator", ("de-linde",)),
    "admin_a": ("admin", ("de-linde",)),
}


@pytest.mark.parametrize("visitor", list(MATRIX))
def test_access_matrix(client, db, visitor):
    send_econsult(client)
    (item,) = store.inbox(db, "de-linde")
    if visitor != "anonymous":
        role, practices = VISITORS[visitor]
        login(client, gen_staff(db, role=role, practices=practices))
    for (method, route), expected in zip(ROUTES, MATRIX[visitor], strict=True):
        url = route.format(id=item.id)
        data = FORMS.get(url.rsplit("/", 1)[-1], {})
        if url.endswith("/assign"):
            data = {"assignee": client_staff_id(db, visitor)}
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        assert response.status_code == expected, (visitor, method, url)


def test_an_assistant_cannot_reach_another_practices_request_through_their_own_practice(client, db):
    send_econsult(client)
    (item,) = store.inbox(db, "de-linde")
    login(client, gen_staff(db, practices=("het-anker",)))
    assert client.get(f"/staff/het-anker/requests/{item.id}").status_code == 404
    assert item.reference not in client.get("/staff/het-anker/inbox").get_data(as_text=True)


def client_staff_id(db, visitor: str) -> int:
    """Assign to oneself: the one assignee every visitor with inbox access may choose."""
    from portal.storage.staff import list_staff

    staff = list_staff(db)
    return staff[-1].id if staff else 0
