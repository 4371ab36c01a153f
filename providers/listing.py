"""The per-process listing cache: one listing per kind of object, org and credential.

The provider host process lives for one Pulumi operation, and the engine calls it concurrently
for every resource. Instead of one GET per resource, the first call for a kind and org lists them
all (one paged listing); later calls look objects up in it, and this process's own creates,
updates and deletes keep it current. So a first `up` of N objects costs one listing per kind plus
the writes, and a `refresh` of N objects one listing per kind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from providers.errors import NotFound

Loader = Callable[[str], list[dict]]  # a client's list_* method: org ID -> objects

_lock = threading.Lock()
_listings: dict[tuple[Loader, str], Listing] = {}


class Listing:
    """The objects of one kind in one org as this process last saw them, by ID."""

    def __init__(self, load: Loader, org_id: str) -> None:
        self._load = load
        self._org_id = org_id
        self._lock = threading.Lock()
        self._objects: dict[str, dict] | None = None

    def objects(self) -> list[dict]:
        """Every object, listed from the server on first use."""
        with self._lock:
            return list(self._loaded().values())

    def get(self, id_: str) -> dict | None:
        with self._lock:
            return self._loaded().get(id_)

    def reload(self) -> None:
        """List again on next use: someone else may have written (an ambiguous create, a race)."""
        with self._lock:
            self._objects = None

    def remember(self, item: dict) -> None:
        with self._lock:
            if self._objects is not None:
                self._objects[item["id"]] = item

    def forget(self, id_: str) -> None:
        with self._lock:
            if self._objects is not None:
                self._objects.pop(id_, None)

    def _loaded(self) -> dict[str, dict]:
        if self._objects is None:
            try:
                self._objects = {item["id"]: item for item in self._load(self._org_id)}
            except NotFound:  # the org itself is gone, and so is everything in it
                self._objects = {}
        return self._objects


def listing(load: Loader, org_id: str) -> Listing:
    """The shared listing that `load` (e.g. `client.list_buckets`) makes of the org.

    Keyed by the bound method, so each client (URL and token) has its own: a scoped token may
    see fewer objects than the operator's.
    """
    with _lock:
        found = _listings.get((load, org_id))
        if found is None:
            found = _listings[(load, org_id)] = Listing(load, org_id)
        return found
