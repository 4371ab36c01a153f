"""The Flux queries of the dashboards the program keeps: each cell's and each variable's,
rendered from templates/dashboards/ like the tasks.

A cell reads what the dashboard's viewer chose from the `v` record InfluxDB passes with its query:
`v.K8s_application` and `v.cluster` (the two variables), `v.timeRangeStart`, `v.timeRangeStop`
and `v.windowPeriod`. The variables are queries themselves, so a bucket added or removed changes
what they offer, not the dashboards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flux.render import render
from flux.settings import TaskSettings
from flux.tasks import FINDING_FIELDS, limit_check

# The variables' names: cells read them as v.<name>.
VARIABLES = {"application": "K8s_application", "cluster": "cluster"}
BYTES, CORES = "bytes", "cores"


@dataclass(frozen=True)
class Query:
    """A named Flux query: a cell's, or the one that lists a variable's choices."""

    name: str
    flux: str


def application_choices(ignored: Iterable[str]) -> Query:
    """The `K8s_application` variable: the application buckets, by the program's rule, less
    `ignored` (ignoreBuckets, and the buckets no task can watch)."""
    return Query(VARIABLES["application"],
                 render("dashboards/applications.flux.j2", {"ignored": sorted(set(ignored))}))


def cluster_choices() -> Query:
    """The `cluster` variable: the clusters the chosen application reported from."""
    return Query(VARIABLES["cluster"],
                 render("dashboards/clusters.flux.j2", {"variables": VARIABLES}))


def application_cells() -> list[Query]:
    """The "K8s applications" cells: pod memory and CPU use, and each against its limit."""
    memory, cpu = limit_check("memory"), limit_check("cpu")
    return [
        Query("Pod memory use", render("dashboards/pod_use.flux.j2", {
            "use": memory, "unit": BYTES, "divisor": None, "variables": VARIABLES})),
        Query("Pod CPU use", render("dashboards/pod_use.flux.j2", {
            "use": cpu, "unit": CORES, "divisor": "1000000000.0", "variables": VARIABLES})),
        Query("Memory use against its limit", render("dashboards/limit_use.flux.j2", {
            "use": memory, "variables": VARIABLES})),
        Query("CPU use against its limit", render("dashboards/limit_use.flux.j2", {
            "use": cpu, "variables": VARIABLES})),
    ]


def alert_cells(settings: TaskSettings) -> list[Query]:
    """The "Monitoring alerts" cells: findings and Slack posts over time, and failed tasks."""
    context = {"settings": settings, "fields": FINDING_FIELDS}
    return [
        Query("Findings by application and cluster",
              render("dashboards/findings.flux.j2", context)),
        Query("Slack posts by application and cluster",
              render("dashboards/posts.flux.j2", context)),
        Query("Tasks whose last run failed", render("dashboards/failed_tasks.flux.j2", context)),
    ]
