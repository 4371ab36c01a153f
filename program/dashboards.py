"""The dashboards the program keeps in the org, and their variables: pure, testable without Pulumi.

"K8s applications" shows the chosen application's pods in the chosen cluster (the variables
`K8s_application` and `cluster`); "Monitoring alerts" shows what the tasks found and posted, and
which tasks failed. Each cell is a view whose query comes from `flux/dashboards.py`; the view
properties declared here are the ones influxd keeps for their view type, so what the program
declares is what a refresh reads back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flux.dashboards import (
    Query,
    alert_cells,
    application_cells,
    application_choices,
    cluster_choices,
)
from flux.settings import TaskSettings

WIDTH = 12  # the InfluxDB UI's grid is 12 columns wide
# The InfluxDB UI's "Nineteen Eighty Four" colours, the default of a new graph.
PALETTE = [{"id": f"palette-{index}", "type": "scale", "hex": hex_, "name": "Nineteen Eighty Four",
            "value": 0} for index, hex_ in enumerate(("#31C0F6", "#A500A5", "#FF7E27"))]


@dataclass(frozen=True)
class VariableSpec:
    name: str
    query: str
    description: str


@dataclass(frozen=True)
class DashboardSpec:
    """A dashboard: its name, description and cells ({name, x, y, w, h, properties})."""

    name: str
    description: str
    cells: list[dict[str, Any]]


def plan_variables(not_apps: Iterable[str]) -> list[VariableSpec]:
    """The two variables: the application buckets (less `not_apps`: ignoreBuckets and the buckets
    no task can watch), and the clusters of the chosen one."""
    applications, clusters = application_choices(not_apps), cluster_choices()
    return [
        VariableSpec(applications.name, applications.flux,
                     "The applications the program monitors (their buckets), for the "
                     "K8s applications dashboard"),
        VariableSpec(clusters.name, clusters.flux,
                     "The clusters the chosen application runs in, for the K8s applications "
                     "dashboard"),
    ]


def plan_dashboards(settings: TaskSettings) -> list[DashboardSpec]:
    """The two dashboards, two cells a row, each half the grid wide."""
    memory, cpu, memory_limit, cpu_limit = application_cells()
    findings, posts, failed = alert_cells(settings)
    return [
        DashboardSpec(
            "K8s applications",
            "Memory and CPU use of the chosen application's pods in the chosen cluster, from "
            "Telegraf's kubernetes and kube_inventory inputs",
            laid_out([line_graph(memory, "Memory", "B", "2"),
                      line_graph(cpu, "CPU (cores)", "", "10"),
                      line_graph(memory_limit, "Memory (% of limit)", "%", "10"),
                      line_graph(cpu_limit, "CPU (% of limit)", "%", "10")])),
        DashboardSpec(
            "Monitoring alerts",
            f"What the monitoring tasks found ({settings.multiapp_bucket}) and posted to Slack "
            f"({settings.alerted_bucket}), and the tasks whose last run failed",
            laid_out([line_graph(findings, "Findings", "", "10", geom="step"),
                      line_graph(posts, "Slack posts", "", "10", geom="step"),
                      table(failed, "No task failed its last run in this time range.")])),
    ]


def laid_out(views: list[tuple[str, dict]]) -> list[dict[str, Any]]:
    """The cells of (name, properties) views, two a row, four grid units high."""
    width, height = WIDTH // 2, 4
    return [{"name": name, "x": (index % 2) * width, "y": (index // 2) * height, "w": width,
             "h": height, "properties": properties}
            for index, (name, properties) in enumerate(views)]


def line_graph(query: Query, label: str, suffix: str, base: str,
               geom: str = "line") -> tuple[str, dict]:
    """A line graph of the query's series over time."""
    return query.name, {
        "shape": "chronograf-v2",  # influxd refuses a view without it
        "type": "xy",
        "queries": [flux_query(query)],
        "axes": {"x": axis("", "", "10"), "y": axis(label, suffix, base)},
        "geom": geom,
        "position": "overlaid",
        "colors": PALETTE,
        "xColumn": "_time",
        "yColumn": "_value",
        "note": "",
        "showNoteWhenEmpty": False,
    }


def table(query: Query, empty_note: str) -> tuple[str, dict]:
    """A table of the query's rows, with a note in place of an empty one."""
    return query.name, {
        "shape": "chronograf-v2",
        "type": "table",
        "queries": [flux_query(query)],
        "colors": [],
        "tableOptions": {"verticalTimeAxis": True,
                         "sortBy": {"internalName": "", "displayName": "", "visible": False},
                         "wrapping": "truncate", "fixFirstColumn": False},
        "fieldOptions": [],
        "timeFormat": "YYYY-MM-DD HH:mm:ss",
        "decimalPlaces": {"isEnforced": False, "digits": 2},
        "note": empty_note,
        "showNoteWhenEmpty": True,
    }


def flux_query(query: Query) -> dict[str, str]:
    """A view's query as the UI's script editor stores it."""
    return {"text": query.flux, "editMode": "advanced", "name": ""}


def axis(label: str, suffix: str, base: str) -> dict[str, Any]:
    return {"bounds": ["", ""], "label": label, "prefix": "", "suffix": suffix, "base": base,
            "scale": "linear"}
