"""The program's dashboards and their variables on the real influxd, under the real Pulumi CLI:
kept across up, refresh and destroy like every other resource, and every cell's query run as
the InfluxDB UI runs it (the `v` record set) on what the real Telegraf wrote from a fake
Kubernetes, and on what the deployed tasks then found and posted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flux.settings import TaskSettings
from testbed.alerts import watch_deployed
from testbed.engine.cli import PulumiCli
from testbed.engine.result import succeeded
from testbed.influx.dashboards import (
    Choices,
    cell_queries,
    dashboards,
    run_query,
    variable_values,
    variables,
    with_choices,
)
from testbed.influx.seed import APPS, add_bucket, delete_bucket, set_secret
from testbed.influx.server import InfluxOrg, InfluxServer
from testbed.kubernetes.pods import Container, Pod
from testbed.slack import FakeSlack
from testbed.telegraf import Telegraf

IGNORED = "nublado"  # one of the seeded APPS, listed in ignoreBuckets
APPLICATIONS = "K8s applications"
ALERTS = "Monitoring alerts"
APPLICATION_CELLS = ["Pod memory use", "Pod CPU use", "Memory use against its limit",
                     "CPU use against its limit"]
ALERT_CELLS = ["Findings by application and cluster", "Slack posts by application and cluster",
               "Tasks whose last run failed"]
MIB = 2**20


@pytest.fixture
def cli(influxd: InfluxServer, monitored_org: InfluxOrg, tmp_path: Path) -> PulumiCli:
    """The real CLI on the real influxd, with one seeded application ignored."""
    config = {**monitored_org.stack_config(), "rubin-influx-tools:ignoreBuckets": [IGNORED]}
    return PulumiCli(state_dir=tmp_path / "pulumi", config=config,
                     secret_config_keys={"influxdb:token"})


def observe_pods(telegraf: Telegraf, org: InfluxOrg) -> None:
    """One sample, written by the real Telegraf: mobu's pod in summit (a container with limits,
    a sidecar without) and another in base, gafaelfawr's pod in summit."""
    limits = {"cpu": "1", "memory": "400Mi"}
    mobu = Pod("mobu", "mobu-1", (
        Container("mobu", limits=limits, cpu_nanocores=500_000_000, memory_bytes=200 * MIB),
        Container("sidecar", cpu_nanocores=100_000_000, memory_bytes=100 * MIB)))
    elsewhere = Pod("mobu", "mobu-9", (
        Container("mobu", limits=limits, cpu_nanocores=900_000_000, memory_bytes=MIB),))
    other_app = Pod("gafaelfawr", "gafaelfawr-1", (
        Container("gafaelfawr", limits=limits, cpu_nanocores=700_000_000, memory_bytes=MIB),))
    telegraf.collect(org, "mobu", [mobu], cluster="summit")
    telegraf.collect(org, "mobu", [elsewhere], cluster="base")
    telegraf.collect(org, "gafaelfawr", [other_app], cluster="summit")


def test_each_application_cell_shows_the_chosen_application_in_the_chosen_cluster_only(
        cli, monitored_org, telegraf):
    succeeded(cli.up())
    observe_pods(telegraf, monitored_org)
    queries = cell_queries(dashboards(monitored_org)[APPLICATIONS])

    def series(cell: str, choices: Choices, *tags: str) -> dict[tuple, set[float]]:
        rows = run_query(monitored_org, with_choices(queries[cell], choices))
        found: dict[tuple, set[float]] = {}
        for row in rows:
            found.setdefault(tuple(row[tag] for tag in tags), set()).add(
                round(float(row["_value"]), 6))
        return found

    mobu_in_summit = Choices("mobu", "summit")
    # A pod's containers added up; each container against its own limit (none: left out).
    assert series("Pod memory use", mobu_in_summit, "pod_name") == {("mobu-1",): {300.0 * MIB}}
    assert series("Pod CPU use", mobu_in_summit, "pod_name") == {("mobu-1",): {0.6}}
    assert series("Memory use against its limit", mobu_in_summit, "pod_name",
                  "container_name") == {("mobu-1", "mobu"): {50.0}}
    assert series("CPU use against its limit", mobu_in_summit, "pod_name",
                  "container_name") == {("mobu-1", "mobu"): {50.0}}
    # The other cluster, and the other application, each see only their own.
    assert series("Pod CPU use", Choices("mobu", "base"), "pod_name") == {("mobu-9",): {0.9}}
    assert series("CPU use against its limit", Choices("gafaelfawr", "summit"), "pod_name",
                  "container_name") == {("gafaelfawr-1", "gafaelfawr"): {70.0}}


def test_the_variables_offer_the_monitored_applications_as_the_buckets_are_now(
        cli, monitored_org, telegraf):
    succeeded(cli.up())
    observe_pods(telegraf, monitored_org)
    offered = variables(monitored_org)

    def applications() -> list[str]:
        return variable_values(monitored_org, offered["K8s_application"], Choices("", ""))

    assert applications() == sorted(set(APPS) - {IGNORED})
    assert variable_values(monitored_org, offered["cluster"],
                           Choices("mobu", "")) == ["base", "summit"]
    assert variable_values(monitored_org, offered["cluster"],
                           Choices("gafaelfawr", "")) == ["summit"]
    # The variables are queries: a bucket added or removed shows at once, with no run (and a
    # run then changes no dashboard: tests/test_program.py's new and removed app scenarios).
    add_bucket(monitored_org, "sasquatch")
    delete_bucket(monitored_org, "gafaelfawr")
    assert applications() == ["mobu", "sasquatch"]


def test_the_dashboards_live_through_up_refresh_and_destroy_like_every_resource(cli,
                                                                              monitored_org):
    # up leaves both dashboards, their cells and variables, marked; a second up changes nothing.
    succeeded(cli.up())
    held = dashboards(monitored_org)
    assert set(held) == {APPLICATIONS, ALERTS}
    assert list(cell_queries(held[APPLICATIONS])) == APPLICATION_CELLS
    assert list(cell_queries(held[ALERTS])) == ALERT_CELLS
    assert set(variables(monitored_org)) == {"K8s_application", "cluster"}
    stack = "(managed by stack rubin-influx-tools/dev)"
    assert all(item["description"].endswith(stack)
               for item in [*held.values(), *variables(monitored_org).values()])
    succeeded(cli.up_expecting_no_changes())

    # A cell edited by hand (its view PATCHed, as the UI saves it): refresh shows it, up puts
    # it back.
    dashboard = held[APPLICATIONS]
    cell = next(cell for cell in dashboard["cells"] if cell["name"] == "Pod CPU use")
    deployed = cell["properties"]["queries"][0]["text"]
    by_hand = 'from(bucket: "mobu") |> range(start: -5m)'
    query = {**cell["properties"]["queries"][0], "text": by_hand}
    edited = {**cell["properties"], "queries": [query]}
    monitored_org.server.api(
        "PATCH", f"/api/v2/dashboards/{dashboard['id']}/cells/{cell['id']}/view",
        json={"name": cell["name"], "properties": edited}).raise_for_status()

    refreshed = succeeded(cli.refresh())
    restored = succeeded(cli.up())

    assert refreshed.names("refresh-update") == [f"dashboard/{APPLICATIONS}"]
    assert restored.names("update") == [f"dashboard/{APPLICATIONS}"]
    assert cell_queries(dashboards(monitored_org)[APPLICATIONS])["Pod CPU use"] == deployed

    # destroy removes them.
    destroyed = succeeded(cli.destroy())
    assert {f"dashboard/{APPLICATIONS}", f"dashboard/{ALERTS}", "variable/K8s_application",
            "variable/cluster"} <= set(destroyed.names("delete"))
    assert dashboards(monitored_org) == {} and variables(monitored_org) == {}


def test_the_alerts_cells_show_findings_and_posts_by_application_and_cluster_and_failed_tasks(
        cli, monitored_org, telegraf):
    slack = FakeSlack()
    try:
        set_secret(monitored_org, "slack_webhook_url", slack.url)
        succeeded(cli.up())
        monitoring = watch_deployed(monitored_org, slack, TaskSettings(org=monitored_org.name),
                                    list(APPS), telegraf)
        for restarts in (0, 1):
            for app, cluster in (("mobu", "summit"), ("gafaelfawr", "base")):
                monitoring.observe(Pod(app, f"{app}-1", (Container(app, restarts=restarts),)),
                                   cluster=cluster, app=app)
        # Re-timed Telegraf samples (see tests/test_alerts.py): base stopped writing mobu's pods.
        monitoring.observe_earlier(20, Pod("mobu", "mobu-1", (Container("mobu"),)),
                                   cluster="base", app="mobu")
        assert len(monitoring.check()) == 3
        failing = "Mobu state_checks"
        delete_bucket(monitored_org, "mobu")  # so that its next run fails
        assert monitoring.run(failing).status == "failed"
    finally:
        slack.stop()
    queries = cell_queries(dashboards(monitored_org)[ALERTS])
    choices = Choices("", "")

    def series(cell: str, *tags: str) -> set[tuple]:
        rows = run_query(monitored_org, with_choices(queries[cell], choices))
        return {tuple(row[tag] for tag in tags) for row in rows}

    assert series(ALERT_CELLS[0], "application", "cluster", "_field") == {
        ("mobu", "summit", "differential_restarts"),
        ("gafaelfawr", "base", "differential_restarts"), ("mobu", "base", "no_data")}
    assert series(ALERT_CELLS[1], "alert", "application", "cluster") == {
        ("restarts", "mobu", "summit"), ("restarts", "gafaelfawr", "base"),
        ("state_checks", "mobu", "base")}
    assert series(ALERT_CELLS[2], "task") == {(failing,)}
