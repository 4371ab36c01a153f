"""The org's dashboards as a viewer sees them: what the server holds (each dashboard with its
cells' views, each variable), and a cell's or a variable's query run through `/api/v2/query`
with the `v` record the InfluxDB UI passes along (the chosen application and cluster, the time
range and the window period), rendered as an `option v = {...}` statement after the imports.
"""

from __future__ import annotations

from dataclasses import dataclass

from flux.literals import flux_string
from testbed.influx.holdings import flux_rows
from testbed.influx.server import InfluxOrg


@dataclass(frozen=True)
class Choices:
    """What a viewer picked: the variables' values, and the dashboard's time range."""

    application: str
    cluster: str
    start: str = "-1h"  # a Flux duration (relative to now) or time literal
    # A day: the points one Telegraf run writes (its inputs a few milliseconds apart) then fall
    # in one window, unless the run straddles midnight UTC.
    window: str = "1d"

    def option(self) -> str:
        """The `v` record as the UI passes it, as a Flux option statement."""
        return (f"option v = {{K8s_application: {flux_string(self.application)}, "
                f"cluster: {flux_string(self.cluster)}, timeRangeStart: {self.start}, "
                f"timeRangeStop: now(), windowPeriod: {self.window}}}\n")


def with_choices(flux: str, choices: Choices) -> str:
    """The query with the `v` record set, after its imports (Flux wants them first)."""
    lines = flux.splitlines(keepends=True)
    after = max((index + 1 for index, line in enumerate(lines) if line.startswith("import ")),
                default=0)
    return "".join([*lines[:after], choices.option(), *lines[after:]])


def run_query(org: InfluxOrg, flux: str) -> list[dict[str, str]]:
    """Every row of every table the query returns (CSV values, as strings); fails loudly."""
    return [values for values, _ in flux_rows(org, flux)]


def dashboards(org: InfluxOrg) -> dict[str, dict]:
    """The org's dashboards by name, each with its cells' views."""
    listed = org.server.api("GET", "/api/v2/dashboards", params={"orgID": org.id})
    listed.raise_for_status()
    found = {}
    for item in listed.json()["dashboards"]:
        response = org.server.api("GET", f"/api/v2/dashboards/{item['id']}",
                                  params={"include": "properties"})
        response.raise_for_status()
        found[item["name"]] = response.json()
    return found


def cell_queries(dashboard: dict) -> dict[str, str]:
    """Each cell's Flux query, by the cell's name."""
    return {cell["name"]: cell["properties"]["queries"][0]["text"] for cell in dashboard["cells"]}


def variables(org: InfluxOrg) -> dict[str, dict]:
    """The org's variables by name."""
    response = org.server.api("GET", "/api/v2/variables", params={"orgID": org.id})
    response.raise_for_status()
    return {variable["name"]: variable for variable in response.json()["variables"]}


def variable_values(org: InfluxOrg, variable: dict, choices: Choices) -> list[str]:
    """What the variable offers, as the UI lists it: its query's `_value` column."""
    flux = with_choices(variable["arguments"]["values"]["query"], choices)
    return [row["_value"] for row in run_query(org, flux)]
