"""Dashboards, their cells' views and variables behave like InfluxDB 2.7's: a new dashboard's
views are empty whatever the POST says, a view is set by a PATCH under the chronograf-v2 shape,
the dashboard's own record keeps the names it was posted with, an org's listing ignores paging,
and variable names are unique within an org whatever their case."""

from __future__ import annotations

from flux.dashboards import Query
from program.dashboards import line_graph
from testbed.influx.contract import api_call

_, VIEW = line_graph(Query("memory", 'from(bucket: "app") |> range(start: -1h)'), "Memory", "B",
                     "2")


def create_dashboard(org, name: str = "apps", cells: list[dict] | None = None) -> dict:
    response = api_call(org, "POST", "/api/v2/dashboards", json={
        "orgID": org.id, "name": name, "description": "d",
        "cells": cells if cells is not None else [
            {"name": "memory", "x": 0, "y": 0, "w": 6, "h": 4, "properties": VIEW}]})
    assert response.status_code == 201, response.text
    return response.json()


def with_views(org, dashboard: dict) -> dict:
    response = api_call(org, "GET", f"/api/v2/dashboards/{dashboard['id']}",
                        params={"include": "properties"})
    assert response.status_code == 200, response.text
    return response.json()


def view_path(dashboard: dict, cell: dict) -> str:
    return f"/api/v2/dashboards/{dashboard['id']}/cells/{cell['id']}/view"


def test_a_new_dashboards_cells_have_empty_views_named_as_posted(org):
    dashboard = create_dashboard(org)
    [cell] = with_views(org, dashboard)["cells"]
    assert (cell["name"], cell["properties"]) == ("memory", {"shape": "empty"})
    assert {key: cell[key] for key in ("x", "y", "w", "h")} == {"x": 0, "y": 0, "w": 6, "h": 4}


def test_a_view_is_set_by_a_patch_and_only_under_the_chronograf_shape(org):
    dashboard = create_dashboard(org)
    [cell] = dashboard["cells"]
    refused = api_call(org, "PATCH", view_path(dashboard, cell),
                       json={"name": "memory", "properties": {**VIEW, "shape": ""}})
    assert (refused.status_code, refused.json()["message"]) == (500, "unknown shape ")
    set_ = api_call(org, "PATCH", view_path(dashboard, cell),
                    json={"name": "memory use", "properties": VIEW})
    assert set_.status_code == 200, set_.text
    [seen] = with_views(org, dashboard)["cells"]
    assert seen["name"] == "memory use"
    # What was sent is kept (influxd fills in the rest of its view type).
    kept = {key: seen["properties"][key] for key in VIEW}
    kept["queries"] = [{key: query[key] for key in VIEW["queries"][0]}
                       for query in kept["queries"]]
    assert kept == VIEW


def test_the_listing_shows_the_names_a_dashboard_was_posted_with_and_no_views(org):
    dashboard = create_dashboard(org)
    [cell] = dashboard["cells"]
    api_call(org, "PATCH", view_path(dashboard, cell),
             json={"name": "renamed", "properties": VIEW}).raise_for_status()
    listed = api_call(org, "GET", "/api/v2/dashboards", params={"orgID": org.id}).json()
    [listed_cell] = listed["dashboards"][0]["cells"]
    assert (listed_cell["name"], listed_cell["properties"]) == ("memory", {"shape": "empty"})


def test_an_orgs_dashboard_listing_ignores_limit_and_offset(org):
    made = [create_dashboard(org, name)["id"] for name in ("a", "b", "c")]
    for params in ({"limit": 1}, {"limit": 2, "offset": 2}, {"limit": 100, "offset": 100}):
        listed = api_call(org, "GET", "/api/v2/dashboards", params={"orgID": org.id, **params})
        assert [item["id"] for item in listed.json()["dashboards"]] == made


def test_a_cell_is_added_without_a_view_and_deleted_once(org):
    dashboard = create_dashboard(org, cells=[])
    added = api_call(org, "POST", f"/api/v2/dashboards/{dashboard['id']}/cells",
                     json={"name": "cpu", "x": 6, "y": 0, "w": 6, "h": 4})
    assert added.status_code == 201, added.text
    assert "properties" not in added.json() and "name" not in added.json()
    [cell] = with_views(org, dashboard)["cells"]
    assert (cell["name"], cell["properties"]) == ("cpu", {"shape": "empty"})
    path = f"/api/v2/dashboards/{dashboard['id']}/cells/{cell['id']}"
    assert api_call(org, "DELETE", path).status_code == 204
    gone = api_call(org, "DELETE", path)
    assert (gone.status_code, gone.json()["message"]) == (404, "cell not found")
    missing = api_call(org, "GET", "/api/v2/dashboards/0123456789abcdef")
    assert (missing.status_code, missing.json()["message"]) == (404, "dashboard not found")


def variable(org, name: str, description: str = "choices") -> dict:
    return {"orgID": org.id, "name": name, "description": description,
            "arguments": {"type": "query", "values": {"query": "buckets()", "language": "flux"}}}


def test_variable_names_are_unique_within_an_org_whatever_their_case(org):
    assert api_call(org, "POST", "/api/v2/variables",
                    json=variable(org, "K8s_application")).status_code == 201
    again = api_call(org, "POST", "/api/v2/variables", json=variable(org, "k8s_APPLICATION"))
    assert again.status_code == 422
    assert again.json()["message"] == (
        f"variable is not unique for key {org.id}k8s_application")


def test_a_variable_patch_cannot_empty_its_description_but_a_put_replaces_it(org):
    made = api_call(org, "POST", "/api/v2/variables", json=variable(org, "cluster")).json()
    path = f"/api/v2/variables/{made['id']}"
    patched = api_call(org, "PATCH", path, json={"description": ""})
    assert patched.status_code == 400
    api_call(org, "PATCH", path, json={"name": "cluster", "description": ""}).raise_for_status()
    assert api_call(org, "GET", path).json()["description"] == "choices"
    api_call(org, "PUT", path, json=variable(org, "cluster", "")).raise_for_status()
    assert api_call(org, "GET", path).json()["description"] == ""
    api_call(org, "DELETE", path).raise_for_status()
    gone = api_call(org, "GET", path)
    assert (gone.status_code, gone.json()["message"]) == (
        404, f'variable not found for key "{made["id"]}"')
