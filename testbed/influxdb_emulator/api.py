"""What a route handler sees (a Call) and returns (a Reply), and the route table."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from testbed.influxdb_emulator.errors import (
    INVALID,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    UNAUTHORIZED,
    ApiError,
)
from testbed.influxdb_emulator.ids import parse_id
from testbed.influxdb_emulator.model import Authorization
from testbed.influxdb_emulator.permissions import Permission, holds, require
from testbed.influxdb_emulator.store import Store


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """One API request: its parts, the caller's authorization and the store."""

    store: Store
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    auth: Authorization | None = None
    params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str) -> str:
        """A query parameter as Go's `URL.Query().Get` returns it ("" when absent)."""
        return self.query.get(name, "")

    def path_id(self, name: str = "id") -> str:
        return parse_id(self.params[name])

    def json(self, failure: str = "invalid json structure") -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError as error:
            raise ApiError(INVALID, f"{failure}: {error}") from None

    def json_object(self, failure: str = "invalid json structure") -> dict:
        data = self.json(failure)
        if not isinstance(data, dict):
            raise ApiError(INVALID, f"{failure}: expected a JSON object")
        return data

    def require(self, action: str, kind: str, org_id: str | None = None,
                resource_id: str | None = None) -> None:
        """The caller's permission, or the 401 influxd's authorizer gives (for an inactive
        token: "token is inactive", whatever it holds)."""
        if self.auth.status != "active":
            raise ApiError(UNAUTHORIZED, "token is inactive")
        require(self.auth.permissions, Permission(action, kind, org_id, resource_id))

    def can(self, action: str, kind: str, org_id: str | None = None,
            resource_id: str | None = None) -> bool:
        """Whether the caller holds the permission: lists leave out what it cannot see."""
        return self.auth.status == "active" and holds(
            self.auth.permissions, Permission(action, kind, org_id, resource_id))


Handler = Callable[[Call], Reply]


def typed(data: dict, key: str, kind: type, default: Any = None) -> Any:
    """A body field of the given JSON type, or the 400 Go's decoder gives for a wrong type."""
    value = data.get(key, default)
    wrong_bool = kind is not bool and isinstance(value, bool)
    if value is not None and (wrong_bool or not isinstance(value, kind)):
        raise ApiError(INVALID, f"json: cannot unmarshal {type(value).__name__} into field "
                                f"{key} of type {kind.__name__}")
    return value


def given(value: Any, current: Any) -> Any:
    """A PATCH field: the value sent, or the current one when the body leaves it out."""
    return current if value is None else value


_BOOLEANS = {"1": True, "t": True, "T": True, "true": True, "TRUE": True, "True": True,
             "0": False, "f": False, "F": False, "false": False, "FALSE": False, "False": False}


def parse_bool(text: str) -> bool:
    """Go's strconv.ParseBool; ValueError for anything else."""
    if text not in _BOOLEANS:
        raise ValueError(f"invalid boolean {text!r}")
    return _BOOLEANS[text]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Handler
    public: bool = False

    def regex(self) -> re.Pattern:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.pattern) + "$")


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self._routes = [(route, route.regex()) for route in routes]

    def is_public(self, method: str, path: str) -> bool:
        found = self._find(method, path)
        return found is not None and found[0].public

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        found = self._find(method, path)
        if found:
            return found
        if any(regex.match(path) for _, regex in self._routes):
            raise ApiError(METHOD_NOT_ALLOWED, "method not allowed")
        raise ApiError(NOT_FOUND, "path not found")

    def _find(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route, regex in self._routes:
            match = regex.match(path)
            if match and route.method == method:
                return route, match.groupdict()
        return None
