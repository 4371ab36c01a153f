"""The objects the emulator keeps, and their JSON as InfluxDB 2.7 renders it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from testbed.influxdb_emulator.permissions import Permission

# What tokens and tasks may be.
STATUSES = ("active", "inactive")


def now() -> str:
    """A Go time.Time as JSON (RFC 3339 with sub-second digits, UTC)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def now_seconds() -> str:
    """RFC 3339 to the second, as the task API formats its times."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class User:
    id: str
    name: str
    status: str = "active"

    def to_json(self) -> dict:
        return {"links": {"self": f"/api/v2/users/{self.id}"}, "id": self.id, "name": self.name,
                "status": self.status}


@dataclass
class Org:
    id: str
    name: str
    description: str = ""
    created: str = field(default_factory=now)
    updated: str = field(default_factory=now)

    def to_json(self) -> dict:
        links = {kind: f"/api/v2/orgs/{self.id}/{kind}"
                 for kind in ("logs", "members", "owners", "secrets", "labels")}
        links |= {kind: f"/api/v2/{kind}?org={self.name}"
                  for kind in ("buckets", "tasks", "dashboards")}
        return {"links": {"self": f"/api/v2/orgs/{self.id}", **links}, "id": self.id,
                "name": self.name, "description": self.description, "createdAt": self.created,
                "updatedAt": self.updated}


@dataclass
class Point:
    """A point written to a bucket: its fields are (key, type, value) in line order."""

    measurement: str
    tags: dict[str, str]
    fields: list[tuple[str, str, object]]
    time: int  # nanoseconds since the epoch


@dataclass
class Bucket:
    id: str
    org_id: str
    name: str
    retention_seconds: int
    shard_seconds: int
    type: str = "user"
    description: str = ""
    rp: str = ""
    created: str = field(default_factory=now)
    updated: str = field(default_factory=now)
    # What was written (write.py): the points, and each field's type by (shard group,
    # measurement, field key), as the storage engine keeps types per shard.
    points: list[Point] = field(default_factory=list, repr=False, compare=False)
    field_types: dict[tuple[int, str, str], str] = field(default_factory=dict, repr=False,
                                                         compare=False)

    def to_json(self) -> dict:
        body = {"id": self.id, "orgID": self.org_id, "type": self.type, "name": self.name}
        if self.description:
            body["description"] = self.description
        if self.rp:
            body["rp"] = self.rp
        body["retentionRules"] = [{"type": "expire", "everySeconds": self.retention_seconds,
                                   "shardGroupDurationSeconds": self.shard_seconds}]
        body |= {"createdAt": self.created, "updatedAt": self.updated, "links": {
            "self": f"/api/v2/buckets/{self.id}", "org": f"/api/v2/orgs/{self.org_id}",
            "members": f"/api/v2/buckets/{self.id}/members",
            "owners": f"/api/v2/buckets/{self.id}/owners",
            "labels": f"/api/v2/buckets/{self.id}/labels",
            "write": f"/api/v2/write?org={self.org_id}&bucket={self.id}",
        }, "labels": []}
        return body


@dataclass
class Mapping:
    """A DBRP mapping. Whether it is the default lives in the store (one per org and db)."""

    id: str
    org_id: str
    bucket_id: str
    database: str
    retention_policy: str
    virtual: bool = False

    def to_json(self, default: bool) -> dict:
        return {"id": self.id, "database": self.database,
                "retention_policy": self.retention_policy, "default": default,
                "orgID": self.org_id, "bucketID": self.bucket_id, "virtual": self.virtual}


@dataclass
class Authorization:
    id: str
    token: str = field(repr=False)
    org_id: str
    user_id: str
    permissions: tuple[Permission, ...]
    description: str = ""
    status: str = "active"
    created: str = field(default_factory=now)
    updated: str = field(default_factory=now)


@dataclass
class Task:
    id: str
    org_id: str
    owner_id: str
    name: str
    flux: str
    status: str = "active"
    description: str = ""
    every: str = ""
    cron: str = ""
    offset_seconds: int = 0
    created: str = field(default_factory=now_seconds)
    updated: str = ""

    def to_json(self, org_name: str) -> dict:
        body = {"id": self.id, "orgID": self.org_id, "org": org_name, "ownerID": self.owner_id,
                "name": self.name}
        if self.description:
            body["description"] = self.description
        body |= {"status": self.status, "flux": self.flux}
        optional = {"every": self.every, "cron": self.cron,
                    "offset": go_duration(self.offset_seconds), "latestCompleted": self.created,
                    "createdAt": self.created, "updatedAt": self.updated}
        body |= {key: value for key, value in optional.items() if value}
        links = {kind: f"/api/v2/tasks/{self.id}/{kind}"
                 for kind in ("members", "owners", "labels", "runs", "logs")}
        return body | {"labels": [], "links": {"self": f"/api/v2/tasks/{self.id}", **links}}


def go_duration(seconds: int) -> str:
    """A task offset as the task API prints it (http.customParseDuration): 1h2m3s, "" for 0."""
    if seconds == 0:
        return ""
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m"), (secs, "s")]
    return sign + "".join(f"{value}{unit}" for value, unit in parts if value)


EMPTY_VIEW = {"shape": "empty"}  # a view's properties before any are given


@dataclass
class Cell:
    """A dashboard cell: its place on the grid, and its view (a name and properties)."""

    id: str
    x: int = 0
    y: int = 0
    w: int = 0
    h: int = 0
    view_name: str = ""
    properties: dict = field(default_factory=lambda: dict(EMPTY_VIEW))
    # The view the dashboard's own record keeps: the name a dashboard POST gave the cell, never
    # updated; a listing, or a GET without include=properties, shows it.
    recorded_name: str | None = None

    def to_json(self, dashboard_id: str, with_view: bool) -> dict:
        body = {"id": self.id, "x": self.x, "y": self.y, "w": self.w, "h": self.h}
        if with_view:
            body["properties"] = self.properties
            if self.view_name:
                body["name"] = self.view_name
        elif self.recorded_name is not None:
            body["properties"] = dict(EMPTY_VIEW)
            if self.recorded_name:
                body["name"] = self.recorded_name
        link = f"/api/v2/dashboards/{dashboard_id}/cells/{self.id}"
        return body | {"links": {"self": link, "view": f"{link}/view"}}

    def view_json(self, dashboard_id: str) -> dict:
        view = {"id": self.id, "name": self.view_name} if self.view_name else {"id": self.id}
        return view | {
            "links": {"self": f"/api/v2/dashboards/{dashboard_id}/cells/{self.id}"},
            "properties": self.properties}


@dataclass
class Dashboard:
    id: str
    org_id: str
    name: str
    description: str = ""
    cells: list[Cell] = field(default_factory=list)
    created: str = field(default_factory=now)
    updated: str = field(default_factory=now)

    def to_json(self, with_views: bool = False) -> dict:
        links = {kind: f"/api/v2/dashboards/{self.id}/{kind}"
                 for kind in ("members", "owners", "cells", "labels")}
        return {"id": self.id, "orgID": self.org_id, "name": self.name,
                "description": self.description,
                "meta": {"createdAt": self.created, "updatedAt": self.updated},
                "cells": [cell.to_json(self.id, with_views) for cell in self.cells],
                "labels": [], "links": {"self": f"/api/v2/dashboards/{self.id}", **links,
                                        "org": f"/api/v2/orgs/{self.org_id}"}}


@dataclass
class Variable:
    id: str
    org_id: str
    name: str
    arguments: dict
    description: str = ""
    selected: list | None = None
    created: str = field(default_factory=now)
    updated: str = field(default_factory=now)

    def to_json(self) -> dict:
        body = {"links": {"self": f"/api/v2/variables/{self.id}",
                          "org": f"/api/v2/orgs/{self.org_id}",
                          "labels": f"/api/v2/variables/{self.id}/labels"},
                "id": self.id, "orgID": self.org_id, "name": self.name,
                "description": self.description, "selected": self.selected,
                "arguments": self.arguments, "createdAt": self.created,
                "updatedAt": self.updated, "labels": []}
        return body
