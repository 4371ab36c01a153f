"""Test controls: the request log and injected faults (served under /_emulator/)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass


@dataclass
class Fault:
    """Make the next `count` matching requests fail.

    `status` answers that status with an error body (or with `body`: a 200 with an empty list
    is a lost page, a text a proxy's HTML page), `drop` closes the connection without an
    answer, `delay_s` waits first (alone it only slows the request down: a create commits
    late). With `after_commit` the request is carried out first, then the wait, then the
    failure or (with neither `status` nor `drop`) the real answer, late: the client cannot tell
    whether it happened.
    """

    count: int
    method: str | None = None
    path_prefix: str | None = None
    query_contains: str | None = None  # e.g. "offset=100": one page of a listing
    status: int | None = None
    body: dict | str | None = None  # answer `status` with this (JSON, or text as an HTML page)
    delay_s: float = 0.0
    drop: bool = False
    after_commit: bool = False
    retry_after: str = "1"

    @classmethod
    def from_json(cls, data: object) -> Fault:
        if not isinstance(data, dict) or not isinstance(data.get("count"), int):
            raise ValueError("a fault needs an integer count")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        fault = cls(**data)
        fault.retry_after = str(fault.retry_after)
        if fault.method:
            fault.method = fault.method.upper()
        return fault

    @property
    def fails(self) -> bool:
        return self.drop or self.status is not None

    def matches(self, method: str, path: str, query: str) -> bool:
        return ((self.method is None or self.method == method)
                and (self.path_prefix is None or path.startswith(self.path_prefix))
                and (self.query_contains is None or self.query_contains in query))


class Controls:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._log: list[dict] = []

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def take_fault(self, method: str, path: str, query: str) -> Fault | None:
        """The first fault matching this request, counted as used."""
        with self._lock:
            for fault in self._faults:
                if fault.count > 0 and fault.matches(method, path, query):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def record(self, method: str, path: str, query: str, status: int,
               authorization: str | None) -> None:
        """Log a request; `authorization` is the ID (never the value) of the token it carried."""
        with self._lock:
            self._log.append({"method": method, "path": path, "query": query, "status": status,
                              "authorization": authorization})

    def requests(self) -> list[dict]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def faults(self) -> list[dict]:
        with self._lock:
            return [asdict(fault) for fault in self._faults]
