"""The inbox list: read the filters from the URL, and turn stored requests into rows.

The view (``routes.index``) stays thin: it asks this module what was asked,
asks storage for the rows and counts, audits the ids it shows and renders.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_timedelta
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from .. import clock
from ..rulebook import live_trees
from ..storage import requests as store
from ..vocabulary import RequestKind, RequestStatus, member
from .summary import age_on, first_line, search_date, sex_word

#: The quick filters' names, in the order shown.
VIEW_LABELS = {
    "all": _l("All open"),
    "mine": _l("Mine"),
    "unassigned": _l("Unassigned"),
    "overdue": _l("Overdue"),
}
SEX_LABELS = {"woman": _l("woman"), "man": _l("man"), "girl": _l("girl"), "boy": _l("boy")}
SEARCH_CHARACTERS = 100
_TREE_ID = re.compile(r"[a-z0-9_]{1,64}")


def read_query(args: MultiDict[str, str], staff_id: int) -> store.InboxQuery:
    """The list's filters from the query string; anything unknown is ignored, never a 500."""
    view = args.get("view", "all")
    complaint = (args.get("complaint") or "").strip()
    text = (args.get("q") or "").strip()[:SEARCH_CHARACTERS]
    born = search_date(text) if text else None
    return store.InboxQuery(
        view=view if view in store.VIEWS else "all",
        kind=member(RequestKind, args.get("kind")),
        # Any tree id, also of a tree removed since: its requests must stay findable.
        complaint=complaint if _TREE_ID.fullmatch(complaint) else None,
        status=member(RequestStatus, args.get("status")),
        search=None if born or not text else text,
        birth_date=born,
        staff_id=staff_id,
    )


def audit_action(query: store.InboxQuery) -> str:
    """What the list view was, for the audit log: the filters, never the search text (it may be a name)."""
    parts = ["view:inbox"]
    if query.view != "all":
        parts.append(query.view)
    parts += [value for value in (query.kind, query.complaint, query.status) if value]
    if query.search or query.birth_date:
        parts.append("search")
    return ":".join(parts)


def url_args(query: store.InboxQuery, **changes: str | None) -> dict[str, str]:
    """The query string of this list with ``changes``: each filter link keeps the others."""
    current = {
        "view": None if query.view == "all" else query.view,
        "kind": query.kind,
        "complaint": query.complaint,
        "status": query.status,
        "q": query.search or query.birth_date,
    }
    current.update(changes)
    return {key: value for key, value in current.items() if value}


def next_in_list(found: list[store.PracticeRequest], after: store.PracticeRequest) -> store.PracticeRequest | None:
    """The row below ``after`` in this list, so an assistant goes on without returning to the list.

    ``after`` has usually just left the list (it was closed), so its place is found by the
    list's own order (urgency, due time, id) rather than by its position.
    """
    place = (after.urgency, after.due_at, after.id)
    return next((item for item in found if (item.urgency, item.due_at, item.id) > place), None)


@dataclass(frozen=True)
class Row:
    """One line of the list, everything an assistant needs to pick the next request."""

    item: store.PracticeRequest
    state: str  # 'due' | 'overdue' | 'answered' (see routes.sla)
    hours: float
    complaint: str
    age: int | None
    sex: str | None
    question: str
    received: datetime
    received_ago: str
    assignee: str | None


def complaint_title(tree_id: str | None, locale: str) -> str:
    """The complaint in words, in the staff member's language; the id when the tree is gone."""
    tree = live_trees().get(tree_id or "")
    return tree.title.get(locale) if tree else (tree_id or "—")


def rows(
    found: list[store.PracticeRequest],
    *,
    now: datetime,
    locale: str,
    staff_names: Mapping[int, str],
    sla,
) -> list[Row]:
    today = clock.local(now).date()
    built = []
    for item in found:
        state, hours = sla(item, now)
        age = age_on(item.birth_date, today)
        received = clock.local(datetime.fromisoformat(item.created_at))
        built.append(
            Row(
                item=item,
                state=state,
                hours=hours,
                complaint=complaint_title(item.details.get("tree"), locale),
                age=age,
                sex=sex_word(item.details.get("answers", {}).get("sex"), age),
                question=first_line(item.message),
                received=received,
                received_ago=format_timedelta(received - clock.local(now), add_direction=True),
                assignee=staff_names.get(item.assigned_to) if item.assigned_to else None,
            )
        )
    return built
