"""InfluxDB dashboards as a Pulumi dynamic resource (`pulumi-python:dynamic/influxdb:Dashboard`),
with their cells and each cell's view (its name and properties: the Flux queries and how they
are drawn).

A dashboard is known by its name within its org (the server does not keep names unique: the
oldest is adopted, with a warning if several share it). `create` adopts one of that name (this
stack's, else an unmarked one; never one another stack's mark claims) and brings its cells to the
desired ones, or POSTs the dashboard with its cells and then PATCHes their views (influxd makes a
new dashboard's cells with empty views, whatever the POST says); a move to another org replaces
it. A cell is known by its name within the
dashboard. An update works on the dashboard as the server has it, not as the state remembers it:
it PATCHes the name and description, deletes the cells not declared (and a second cell of a
name), adds the missing ones, and PATCHes a cell's place or its view only where they differ.

A view is compared on the properties the inputs declare: influxd fills in every other property of
its view type, and those are the UI's to keep.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any, ClassVar

from pulumi import Input, Output, ResourceOptions
from pulumi.dynamic import CheckFailure, CreateResult, Resource

from providers.base import InfluxProvider, secret_token, with_secret_outputs
from providers.client import InfluxClient
from providers.errors import NotFound
from providers.inputs import failures, influx_id, text, whole_number
from providers.listing import Loader

PATH = "/api/v2/dashboards"
PLACE = ("x", "y", "w", "h")
CELL_KEYS = frozenset({"name", *PLACE, "properties"})
SHAPE = "chronograf-v2"  # the only shape of view properties influxd reads


# Schema and check.
def dashboard_name(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else \
        f"must be a non-empty string, got {value!r}"


def cell_problem(cell: Any) -> str | None:
    """What is wrong with one cell: {name, x, y, w, h, properties}, properties naming its type."""
    if not isinstance(cell, dict) or set(cell) != CELL_KEYS:
        return f"must each be a map of exactly {', '.join(sorted(CELL_KEYS))}, got {cell!r}"
    if not isinstance(cell["name"], str) or not cell["name"].strip():
        return f"must each have a non-empty name, got {cell['name']!r}"
    for key in PLACE:
        low = 1 if key in ("w", "h") else 0
        value = cell[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            return (f"{cell['name']!r}: {key} must be a whole number of at least {low}, "
                    f"got {value!r}")
    properties = cell["properties"]
    if (not isinstance(properties, dict) or properties.get("shape") != SHAPE
            or not isinstance(properties.get("type"), str)):
        return (f"{cell['name']!r}: properties must be a map with shape {SHAPE!r} and a view "
                f"type (influxd reads a view by them), got {properties!r}")
    return None


def cells(value: Any) -> str | None:
    if not isinstance(value, list):
        return f"must be a list of cells, got {value!r}"
    if problem := next(filter(None, map(cell_problem, value)), None):
        return problem
    names = [cell["name"] for cell in value]
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        return f"must have unique names; {', '.join(map(repr, repeated))} repeat"
    return None


RULES = {
    "org_id": influx_id,
    "name": dashboard_name,
    "description": text,
    "cells": cells,
}


class DashboardProvider(InfluxProvider):
    path = PATH
    replace_keys = ("org_id",)
    update_keys = ("name", "description", "cells")
    defaults: ClassVar[dict[str, Any]] = {"description": "", "cells": []}

    def failures(self, inputs: dict[str, Any]) -> Iterable[CheckFailure]:
        return failures(inputs, RULES)

    def same(self, key: str, old: Any, new: Any) -> bool:
        if key == "cells":
            return cell_views(old) == cell_views(new)
        return super().same(key, old, new)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client(props)
        return self.create_once(
            client, props,
            adopt=lambda existing: self.patch(client, existing["id"], existing, props),
            # influxd makes the cells of a new dashboard with empty views: PATCHed next.
            create=lambda: self.converge(client, client.post(PATH, {
                "orgID": props["org_id"], "name": props["name"],
                "description": props["description"],
                "cells": [{"name": cell["name"], **place(cell)} for cell in props["cells"]]}),
                props),
        )

    # The hooks behind create, read, update and delete.
    def same_identity(self, found: dict, props: dict[str, Any]) -> bool:
        return found["name"] == props["name"]

    def loader(self, client: InfluxClient) -> Loader:
        return client.list_dashboards

    def find(self, client: InfluxClient, id_: str, props: dict[str, Any]) -> dict | None:
        # The listing has no views: refresh reads the dashboard itself.
        try:
            return self.fetch(client, id_, props)
        except NotFound:
            return None

    def fetch(self, client: InfluxClient, id_: str, _props: dict[str, Any]) -> dict:
        return client.get(f"{PATH}/{id_}", {"include": "properties"})

    def patch(self, client: InfluxClient, id_: str, _current: dict[str, Any],
              desired: dict[str, Any]) -> dict:
        """Bring the dashboard as the server has it to `desired`: the dashboard after."""
        return self.converge(client, self.fetch(client, id_, desired), desired)

    def converge(self, client: InfluxClient, live: dict, desired: dict[str, Any]) -> dict:
        """Bring `live` (the dashboard with its views) to `desired`: the dashboard after."""
        path = f"{PATH}/{live['id']}"
        changed = False
        if (live["name"], live.get("description") or "") != (desired["name"],
                                                             desired["description"]):
            client.patch(path, {"name": desired["name"], "description": desired["description"]})
            changed = True
        changed |= sync_cells(client, path, live.get("cells") or [], desired["cells"])
        return self.fetch(client, live["id"], desired) if changed else live

    def outputs(self, dashboard: dict, props: dict[str, Any]) -> dict[str, Any]:
        declared = {cell["name"]: cell for cell in props.get("cells") or []}
        return {
            "org_id": dashboard["orgID"],
            "name": dashboard["name"],
            "description": dashboard.get("description") or "",
            "cells": [cell_settings(cell, declared.get(cell.get("name") or ""))
                      for cell in dashboard.get("cells") or []],
        }


# Cells.
def sync_cells(client: InfluxClient, path: str, live: list[dict], wanted: list[dict]) -> bool:
    """Delete, add and PATCH cells of the dashboard at `path` until they are `wanted`; whether
    anything changed."""
    declared = {cell["name"]: cell for cell in wanted}
    kept: dict[str, dict] = {}
    changed = False
    for cell in live:
        name = cell.get("name") or ""
        if name in declared and name not in kept:
            kept[name] = cell
            continue
        with contextlib.suppress(NotFound):  # already gone is what we wanted
            client.delete(f"{path}/cells/{cell['id']}")
        changed = True
    for name, cell in declared.items():
        found = kept.get(name)
        if found is None:  # a new cell has an empty view until its view is PATCHed
            found = client.post(f"{path}/cells", {"name": name, **place(cell)})
            changed = True
        elif place(found) != place(cell):
            client.patch(f"{path}/cells/{found['id']}", place(cell))
            changed = True
        if project(found.get("properties") or {}, cell["properties"]) != whole_number(
                cell["properties"]):
            # The provider host hands numbers over as floats; influxd refuses 2.0 for an int.
            client.patch(f"{path}/cells/{found['id']}/view",
                         {"name": name, "properties": whole_number(cell["properties"])})
            changed = True
    return changed


def place(cell: dict) -> dict[str, int]:
    return {key: int(cell.get(key) or 0) for key in PLACE}


def cell_settings(cell: dict, declared: dict | None) -> dict[str, Any]:
    """A cell as the server has it, in the shape of the inputs plus its ID; its properties as
    far as the declared cell of that name has them (all of them for a cell not declared)."""
    properties = cell.get("properties") or {}
    return {"id": cell["id"], "name": cell.get("name") or "", **place(cell),
            "properties": project(properties, declared["properties"]) if declared
            else whole_number(properties)}


def cell_views(cells: list[dict] | None) -> dict[str, dict]:
    """Cells by name, without their IDs: what a diff compares."""
    return {cell.get("name"): whole_number({key: cell.get(key) for key in CELL_KEYS - {"name"}})
            for cell in cells or []}


def project(live: Any, declared: Any) -> Any:
    """`live` with only what `declared` names: the keys of a map (recursively), the items of a
    list one by one (a live list longer than the declared one keeps the rest whole)."""
    if isinstance(live, dict) and isinstance(declared, dict):
        return {key: project(live[key], value) for key, value in declared.items() if key in live}
    if isinstance(live, list) and isinstance(declared, list):
        return [project(item, declared[index]) if index < len(declared) else whole_number(item)
                for index, item in enumerate(live)]
    return whole_number(live)


class Dashboard(Resource, module="influxdb", name="Dashboard"):
    """A dashboard and its cells; its ID is the resource ID.

    `cells` is a list of {name, x, y, w, h, properties}: the cell's place on the grid (12
    columns wide) and its view's properties as the InfluxDB API takes them.
    """

    org_id: Output[str]
    name: Output[str]
    description: Output[str]
    cells: Output[list]

    def __init__(
        self,
        resource_name: str,
        *,
        org_id: Input[str],
        name: Input[str],
        cells: Input[list],
        description: Input[str] = "",
        token: Input[str] | None = None,
        opts: ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            DashboardProvider(), resource_name,
            {"org_id": org_id, "name": name, "description": description, "cells": cells,
             **secret_token(token)},
            with_secret_outputs(opts, "token"),
        )
