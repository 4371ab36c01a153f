"""Dashboards, their cells and the cells' views (dashboards/transport over the kv
DashboardService).

An org's listing ignores limit and offset, as influxd does while its feature flag
`enforceOrgDashboardLimits` is off (the default). A view's properties are set only by a PATCH of
the view, and kept as they are sent: influxd keeps those its view type knows and fills in the
rest, and the clients here send only ones it knows.
"""

from __future__ import annotations

from testbed.influxdb_emulator.api import Call, Reply, Route, typed
from testbed.influxdb_emulator.errors import INTERNAL, INVALID, ApiError, or_not_found
from testbed.influxdb_emulator.ids import parse_id
from testbed.influxdb_emulator.model import Cell, Dashboard, now
from testbed.influxdb_emulator.orgs import find_org
from testbed.influxdb_emulator.permissions import READ, WRITE
from testbed.influxdb_emulator.store import Store

PLACE = ("x", "y", "w", "h")


def find_dashboard(store: Store, dashboard_id: str) -> Dashboard:
    return or_not_found(store.dashboards.get(dashboard_id), "dashboard not found")


def find_cell(dashboard: Dashboard, cell_id: str) -> Cell:
    return or_not_found(next((cell for cell in dashboard.cells if cell.id == cell_id), None),
                        "cell not found")


def new_cell(store: Store, data: dict, *, recorded: bool = False) -> Cell:
    """A cell as a body gives it: its place and its view's name. Its view's properties are
    empty whatever the body says (influxd reads them from a key a cell does not have); only a
    PATCH of the view sets them. `recorded`: the dashboard's own record keeps the name."""
    name = typed(data, "name", str, "")
    return Cell(store.ids.next_id(), **{key: typed(data, key, int, 0) for key in PLACE},
                view_name=name, recorded_name=name if recorded else None)


def _dashboard(call: Call, action: str) -> Dashboard:
    dashboard = find_dashboard(call.store, call.path_id())
    call.require(action, "dashboards", dashboard.org_id, dashboard.id)
    return dashboard


def _touched(dashboard: Dashboard) -> None:
    dashboard.updated = now()


def post_dashboard(call: Call) -> Reply:
    data = call.json_object()
    org_id = parse_id(typed(data, "orgID", str, ""))
    call.require(WRITE, "dashboards", org_id)
    find_org(call.store, org_id)
    dashboard = Dashboard(call.store.ids.next_id(), org_id, typed(data, "name", str, ""),
                          typed(data, "description", str, ""),
                          [new_cell(call.store, cell, recorded=True)
                           for cell in typed(data, "cells", list, [])])
    call.store.dashboards.add(dashboard)
    return Reply(201, dashboard.to_json(with_views=True))


def list_dashboards(call: Call) -> Reply:
    if call.arg("orgID"):
        org_id = parse_id(call.arg("orgID"))
        found = call.store.dashboards.in_org(org_id)
    else:
        found = call.store.dashboards.by_id.values()
    visible = [dashboard.to_json() for dashboard in found
               if call.can(READ, "dashboards", dashboard.org_id, dashboard.id)]
    return Reply(200, {"links": {"self": "/api/v2/dashboards"}, "dashboards": visible})


def get_dashboard(call: Call) -> Reply:
    dashboard = _dashboard(call, READ)
    return Reply(200, dashboard.to_json(with_views=call.arg("include") == "properties"))


def patch_dashboard(call: Call) -> Reply:
    dashboard = _dashboard(call, WRITE)
    data = call.json_object()
    name, description = typed(data, "name", str), typed(data, "description", str)
    if name is None and description is None:
        raise ApiError(INVALID, "must update at least one attribute")
    if "cells" in data and data["cells"] is not None:
        dashboard.cells = [new_cell(call.store, cell, recorded=True)
                           for cell in typed(data, "cells", list)]
    dashboard.name = dashboard.name if name is None else name
    dashboard.description = dashboard.description if description is None else description
    _touched(dashboard)
    return Reply(200, dashboard.to_json())


def delete_dashboard(call: Call) -> Reply:
    call.store.dashboards.remove(_dashboard(call, WRITE))
    return Reply(204)


def post_cell(call: Call) -> Reply:
    dashboard = _dashboard(call, WRITE)
    data = call.json_object()
    if not data:
        raise ApiError(INVALID, "req body is empty")
    cell = new_cell(call.store, {key: data[key] for key in (*PLACE, "name") if key in data})
    dashboard.cells.append(cell)
    _touched(dashboard)
    return Reply(201, cell.to_json(dashboard.id, with_view=False))


def patch_cell(call: Call) -> Reply:
    dashboard = _dashboard(call, WRITE)
    cell = find_cell(dashboard, parse_id(call.params["cell"]))
    data = call.json_object()
    update = {key: typed(data, key, int) for key in PLACE}
    if all(value is None for value in update.values()):
        raise ApiError(INVALID, "must update at least one attribute")
    for key, value in update.items():
        if value is not None:
            setattr(cell, key, value)
    _touched(dashboard)
    return Reply(200, cell.to_json(dashboard.id, with_view=False))


def delete_cell(call: Call) -> Reply:
    dashboard = _dashboard(call, WRITE)
    dashboard.cells.remove(find_cell(dashboard, parse_id(call.params["cell"])))
    _touched(dashboard)
    return Reply(204)


def get_view(call: Call) -> Reply:
    dashboard = _dashboard(call, READ)
    cell = find_cell(dashboard, parse_id(call.params["cell"]))
    return Reply(200, cell.view_json(dashboard.id))


def patch_view(call: Call) -> Reply:
    dashboard = _dashboard(call, WRITE)
    cell = find_cell(dashboard, parse_id(call.params["cell"]))
    data = call.json_object()
    name, properties = typed(data, "name", str), typed(data, "properties", dict)
    if properties is not None and properties.get("shape") != "chronograf-v2":
        # influxd reads a view's type only under this shape (UnmarshalViewPropertiesJSON).
        raise ApiError(INTERNAL, f"unknown shape {properties.get('shape') or ''}")
    if name is None and properties is None:
        raise ApiError(INVALID, "expected at least one attribute to be updated")
    cell.view_name = cell.view_name if name is None else name
    cell.properties = cell.properties if properties is None else properties
    _touched(dashboard)
    return Reply(200, cell.view_json(dashboard.id))


ROUTES = [
    Route("GET", "/api/v2/dashboards", list_dashboards),
    Route("POST", "/api/v2/dashboards", post_dashboard),
    Route("GET", "/api/v2/dashboards/{id}", get_dashboard),
    Route("PATCH", "/api/v2/dashboards/{id}", patch_dashboard),
    Route("DELETE", "/api/v2/dashboards/{id}", delete_dashboard),
    Route("POST", "/api/v2/dashboards/{id}/cells", post_cell),
    Route("PATCH", "/api/v2/dashboards/{id}/cells/{cell}", patch_cell),
    Route("DELETE", "/api/v2/dashboards/{id}/cells/{cell}", delete_cell),
    Route("GET", "/api/v2/dashboards/{id}/cells/{cell}/view", get_view),
    Route("PATCH", "/api/v2/dashboards/{id}/cells/{cell}/view", patch_view),
]
