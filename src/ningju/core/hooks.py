"""Explicit, in-transaction notifications between apps that may not import each other.

A lower app (people, orgs) announces a change with ``emit("people.changed", org_ids=...)``; a higher
app (coverage) subscribes in its ``AppConfig.ready``. Subscribers run synchronously inside the
caller's transaction, so a refused change leaves no half-updated rollup. Unlike Django signals,
they are called from services only, for commands and jobs as for requests.
"""

from collections import defaultdict
from collections.abc import Callable

_subscribers: dict[str, list[Callable]] = defaultdict(list)

EVENTS = {
    "people.changed": "people were created, changed or deleted; org_ids are their old and new employers",
    "orgs.changed": "organisations were created, moved, changed or deleted; org_ids are them and their parents",
    "rosters.imported": "a roster was imported for org_ids; person_ids are the people it created or updated",
    "cases.changed": "a case of the engine moved (case_id, kind, status); apps owning its source record follow",
}


def subscribe(event: str, fn: Callable) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    if fn not in _subscribers[event]:
        _subscribers[event].append(fn)


def emit(event: str, **payload) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    for fn in _subscribers[event]:
        fn(**payload)
