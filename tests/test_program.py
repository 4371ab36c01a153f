"""The program's whole lifecycle, through the engine stand-in, the real provider host and InfluxDB.

Each scenario asserts both the steps the engine took and the objects in InfluxDB afterwards.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter

import pytest
import requests
import yaml

from flux.settings import TaskSettings
from providers.marks import marked, unmarked
from testbed.alerts import watch_deployed
from testbed.engine.cli import PulumiCli
from testbed.engine.result import Result, Secret, succeeded
from testbed.forwarder import Forwarder
from testbed.influx.contract import Token
from testbed.influx.dashboards import dashboards, variables
from testbed.influx.holdings import (
    WRITES,
    authorizations,
    bucket_names,
    find_bucket,
    stored_mappings,
    tasks,
    writes,
)
from testbed.influx.seed import (
    APPS,
    HOST_BUCKET,
    add_bucket,
    delete_bucket,
    org_operator_token,
    seed_old_scripts,
    set_secret,
)
from testbed.influx.server import InfluxOrg
from testbed.kubernetes.pods import Container, Pod
from testbed.paths import REPO
from testbed.slack import FakeSlack

# On the servers that hash tokens, as InfluxDB 2.9 and later do by default (see the plugin).
pytestmark = pytest.mark.hashed_tokens

APP_TASK_KINDS = ("restarts", "state_checks", "cpu_checks")
GLOBAL_TASKS = ("_slack_notify_restarts", "_slack_notify_state_checks", "_slack_notify_cpu_checks",
                "_slack_notify_disk_checks")
DASHBOARD_OBJECTS = ("variable/K8s_application", "variable/cluster",
                     "dashboard/K8s applications", "dashboard/Monitoring alerts")
ORG_OBJECTS = 22 + len(DASHBOARD_OBJECTS)  # what an up makes for the three seeded apps
STACK = "rubin-influx-tools/dev"  # the project and the stack the engines run
TASK_TOKEN = marked("rubin-influx-tools: task management", STACK)


# The org, as InfluxDB sees it.
def app_task_names(*apps: str) -> set[str]:
    return {f"{app.capitalize()} {kind}" for app in apps for kind in APP_TASK_KINDS}


# Fixtures.
def as_the_deploy_runs(cli: PulumiCli, job: str) -> Result:
    """The Pulumi command of one job of .github/workflows/deploy.yaml, with its options."""
    jobs = yaml.safe_load((REPO / ".github" / "workflows" / "deploy.yaml").read_text())["jobs"]
    [step] = [step for step in jobs[job]["steps"]
              if step.get("uses", "").startswith("pulumi/actions@")]
    command = (step["with"]["command"], step["with"].get("refresh", False))
    return {("up", True): cli.up_refreshing, ("up", False): cli.up,
            ("destroy", False): cli.destroy}[command]()


# Scenarios.
def test_preview_of_an_empty_org_plans_every_object_and_writes_nothing(engine, monitored_org,
                                                                       emulator):
    result = succeeded(engine.preview())

    assert set(result.ops()) == {"create"}
    assert set(result.names("create")) == {
        *(f"mapping/{name}" for name in (*APPS, HOST_BUCKET, "multiapp_", "alerted_")),
        "bucket/multiapp_", "bucket/alerted_", "token/tasks", *DASHBOARD_OBJECTS,
        *(f"task/{name}" for name in (*app_task_names(*APPS), *GLOBAL_TASKS))}
    assert writes(emulator) == []
    assert tasks(monitored_org) == [] and stored_mappings(monitored_org) == []


def test_first_up_creates_exactly_the_planned_objects(engine, monitored_org):
    result = succeeded(engine.up())

    assert result.ops() == {"create": ORG_OBJECTS}
    assert sorted(task["name"] for task in tasks(monitored_org)) == sorted(
        [*app_task_names(*APPS), *GLOBAL_TASKS])
    mappings = {m["database"]: m for m in stored_mappings(monitored_org)}
    assert set(mappings) == {*APPS, HOST_BUCKET, "multiapp_", "alerted_"}
    assert mappings[HOST_BUCKET]["retention_policy"] == "4w2d"
    assert mappings["nublado"]["retention_policy"] == "infinite"
    assert all(mapping["default"] for mapping in mappings.values())
    assert {"multiapp_", "alerted_"} <= bucket_names(monitored_org)
    assert [a["description"] for a in authorizations(monitored_org)].count(
        TASK_TOKEN) == 1
    assert result.outputs["apps"] == list(APPS)
    assert result.outputs["counts"] == {"buckets": 6, "apps": 3, "mappings": 6, "tasks": 13}
    assert any("3 apps; new apps: gafaelfawr, mobu, nublado" in line for line in result.log)


def test_second_up_is_all_same_and_writes_nothing(engine, emulator):
    succeeded(engine.up())
    emulator.clear_request_log()

    result = succeeded(engine.up())

    assert set(result.ops()) == {"same"}
    assert writes(emulator) == []


def test_right_after_an_up_the_cli_expects_no_changes_until_a_bucket_appears(
        cli, monitored_org):
    succeeded(cli.up())

    succeeded(cli.preview_expecting_no_changes())
    succeeded(cli.up_expecting_no_changes())
    add_bucket(monitored_org, "sasquatch")
    assert cli.preview_expecting_no_changes().error is not None


def test_a_new_app_bucket_gets_only_its_own_objects(engine, monitored_org, emulator):
    succeeded(engine.up())
    add_bucket(monitored_org, "sasquatch")
    emulator.clear_request_log()

    result = succeeded(engine.up())

    assert sorted(result.names("create")) == [
        "mapping/sasquatch", "task/Sasquatch cpu_checks", "task/Sasquatch restarts",
        "task/Sasquatch state_checks"]
    assert set(result.ops()) == {"create", "same"}
    assert Counter(method for method, _ in writes(emulator)) == {"POST": 4}
    assert any("new apps: sasquatch; removed apps: none" in line for line in result.log)


def test_dashboards_false_removes_the_dashboards_and_their_variables_and_nothing_else(
        engine, monitored_org):
    succeeded(engine.up())
    engine.config["rubin-influx-tools:dashboards"] = False

    result = succeeded(engine.up())

    assert sorted(result.names("delete")) == sorted(DASHBOARD_OBJECTS)
    assert set(result.ops()) == {"delete", "same"}
    assert dashboards(monitored_org) == {} and variables(monitored_org) == {}


def test_a_removed_app_bucket_loses_only_its_own_objects(engine, monitored_org):
    succeeded(engine.up())
    delete_bucket(monitored_org, "mobu")

    result = succeeded(engine.up())

    assert sorted(result.names("delete")) == [
        "mapping/mobu", "task/Mobu cpu_checks", "task/Mobu restarts", "task/Mobu state_checks"]
    assert set(result.ops()) == {"delete", "same"}
    assert not app_task_names("mobu") & {task["name"] for task in tasks(monitored_org)}
    assert len(tasks(monitored_org)) == 10


def test_refresh_shows_drift_and_up_restores_it(engine, monitored_org):
    succeeded(engine.up())
    edited = next(t for t in tasks(monitored_org) if t["name"] == "Nublado restarts")
    original_flux = edited["flux"]
    monitored_org.server.api("PATCH", f"/api/v2/tasks/{edited['id']}",
                             json={"flux": original_flux + "\n// edited in the UI\n"})
    mapping = next(m for m in stored_mappings(monitored_org) if m["database"] == "mobu")
    monitored_org.server.api("DELETE", f"/api/v2/dbrps/{mapping['id']}",
                             params={"orgID": monitored_org.id})

    refreshed = succeeded(engine.refresh())

    assert refreshed.names("refresh-update") == ["task/Nublado restarts"]
    assert refreshed.names("refresh-delete") == ["mapping/mobu"]

    restored = succeeded(engine.up())

    assert restored.names("update") == ["task/Nublado restarts"]
    assert restored.names("create") == ["mapping/mobu"]
    task = next(t for t in tasks(monitored_org) if t["name"] == "Nublado restarts")
    assert task["flux"] == original_flux
    assert "mobu" in {m["database"] for m in stored_mappings(monitored_org)}


def test_a_template_change_updates_tasks_in_place(engine, monitored_org):
    succeeded(engine.up())
    ids = {task["name"]: task["id"] for task in tasks(monitored_org)}
    engine.config["rubin-influx-tools:checkEvery"] = "10m"

    result = succeeded(engine.up())

    assert sorted(result.names("update")) == sorted(f"task/{n}" for n in app_task_names(*APPS))
    assert "replace" not in result.ops()
    after = {task["name"]: task for task in tasks(monitored_org)}
    assert {name: task["id"] for name, task in after.items()} == ids
    assert after["Nublado restarts"]["every"] == "10m"


def test_first_up_on_an_org_of_the_old_scripts_adopts_instead_of_duplicating(engine,
                                                                             monitored_org):
    server = monitored_org.server
    old_multiapp = add_bucket(monitored_org, "multiapp_", 3600)["id"]
    old_tasks = [*app_task_names(*APPS), *GLOBAL_TASKS]
    for name in old_tasks:
        server.api("POST", "/api/v2/tasks", json={
            "orgID": monitored_org.id, "description": name, "status": "active",
            "flux": f'option task = {{name: "{name}", every: 2m30s}}\n'
                    'from(bucket: "x") |> range(start: -5m)\n'}).raise_for_status()
    nublado = server.api("GET", "/api/v2/buckets", params={
        "orgID": monitored_org.id, "name": "nublado"}).json()["buckets"][0]
    server.api("POST", "/api/v2/dbrps", json={
        "orgID": monitored_org.id, "bucketID": nublado["id"], "database": "nublado",
        "retention_policy": "infinite", "default": True}).raise_for_status()

    result = succeeded(engine.up())

    names = Counter(task["name"] for task in tasks(monitored_org))
    assert names == Counter(old_tasks)
    assert all("every: 5m" in task["flux"] for task in tasks(monitored_org)
               if task["name"] in app_task_names(*APPS))
    databases = Counter((m["database"], m["retention_policy"])
                        for m in stored_mappings(monitored_org))
    assert max(databases.values()) == 1
    adopted = {state.name: state.id for state in engine.state().resources.values()}
    assert adopted["bucket/multiapp_"] == old_multiapp
    assert set(result.ops()) == {"create"}


def test_losing_most_app_buckets_at_once_stops_the_run_and_deletes_nothing(
        engine, monitored_org, emulator):
    add_bucket(monitored_org, "sasquatch")
    succeeded(engine.up())
    before = len(tasks(monitored_org))
    for app in ("gafaelfawr", "mobu", "nublado"):
        delete_bucket(monitored_org, app)
    emulator.clear_request_log()

    result = engine.up()

    assert result.error is not None
    assert "allowMassDeletion" in result.error
    assert "delete" not in result.ops()
    assert writes(emulator) == []
    assert len(tasks(monitored_org)) == before

    engine.config["rubin-influx-tools:allowMassDeletion"] = True
    allowed = succeeded(engine.up())
    assert len(allowed.names("delete")) == 3 * (1 + 3)  # three apps' mappings and tasks
    assert len(tasks(monitored_org)) == before - 9


def test_a_failed_run_does_not_lower_the_bar_of_the_safety_stop(engine, monitored_org, emulator):
    more = ("sasquatch", "times-square", "vo-cutouts")
    for app in more:
        add_bucket(monitored_org, app)
    succeeded(engine.up())
    before = len(tasks(monitored_org))
    # Two of six apps go (allowed), but the run fails before it deletes anything.
    for app in ("gafaelfawr", "mobu"):
        delete_bucket(monitored_org, app)
    emulator.add_fault(method="DELETE", path_prefix="/api/v2/", count=1000, status=400)
    assert engine.up().error is not None
    emulator.clear_faults()
    assert len(tasks(monitored_org)) == before

    # Two more go: four of the six apps that still have their monitoring is too many.
    for app in ("nublado", "sasquatch"):
        delete_bucket(monitored_org, app)
    result = engine.up()

    assert result.error is not None and "4 of 6 apps" in result.error
    assert len(tasks(monitored_org)) == before


def test_an_ignored_bucket_keeps_its_mapping_and_gets_no_tasks(engine, monitored_org):
    # Under the real CLI the list goes in as `pulumi config set --path 'ignoreBuckets[0]' mobu`.
    engine.config["rubin-influx-tools:ignoreBuckets"] = ["mobu"]

    result = succeeded(engine.up())

    assert result.outputs["apps"] == ["gafaelfawr", "nublado"]
    assert not app_task_names("mobu") & {task["name"] for task in tasks(monitored_org)}
    assert "mobu" in {mapping["database"] for mapping in stored_mappings(monitored_org)}


def test_preview_warns_about_an_ended_silence_so_it_is_removed_and_not_an_active_one(
        engine, monitored_org):
    active_until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)
    engine.config["rubin-influx-tools:silences"] = [
        {"match": "summit/sasquatch/*", "until": "2026-01-02T03:04:05Z", "reason": "upgrade"},
        {"match": "base/*", "until": active_until.isoformat()}]

    result = succeeded(engine.preview())

    # The CLI's display repeats a diagnostic in its progress lines and its summary.
    warnings = {line.split("warning: ", 1)[1] for line in result.log
                if "warning: silences[" in line}
    assert warnings == {
        "silences[0] (summit/sasquatch/*) ended at 2026-01-02T03:04:05+00:00: its alerts are "
        "posted again; remove it with `pulumi config rm --path 'silences[0]'`"}


def test_preview_warns_once_when_the_slack_webhook_secret_is_missing(engine, monitored_org):
    missing = succeeded(engine.preview())
    set_secret(monitored_org, "slack_webhook_url", "https://hooks.slack.test/services/x")
    present = succeeded(engine.preview())

    # One diagnostic (the CLI's display repeats it in its progress lines and its summary).
    warning = f"org {monitored_org.name} has no secret 'slack_webhook_url'"
    warnings = [line for line in missing.log if line.removeprefix("warning: ").startswith(warning)]
    assert len(warnings) == 1
    assert (f"influx secret update --host {monitored_org.url} --org {monitored_org.name} "
            "--token <operator token> --key slack_webhook_url --value <webhook URL>"
            in warnings[0])
    assert not any("has no secret" in line for line in present.log)
    assert "hooks.slack.test" not in "\n".join(present.log)


@pytest.mark.parametrize("app", ["mobu", "sasquatch"], ids=["listed", "declared"])
def test_a_restart_after_pulumi_up_reaches_slack_once(cli, monitored_org, influxd, telegraf,
                                                      app):
    # sasquatch has no bucket before the up: it is declared, and written to right after.
    cli.config[DECLARED] = ["sasquatch"]
    slack = FakeSlack()
    try:
        set_secret(monitored_org, "slack_webhook_url", slack.url)
        succeeded(cli.up())
        monitoring = watch_deployed(monitored_org, slack, TaskSettings(org=monitored_org.name),
                                    [*APPS, "sasquatch"], telegraf)
        for restarts in (0, 1):
            monitoring.observe(Pod(app, f"{app}-7d9f-x2", (Container(app, restarts=restarts),)),
                               app=app)

        [post] = monitoring.check()
        assert monitoring.check() == []
    finally:
        slack.stop()
    assert post.text.startswith(
        f"Container restarted: summit/{app}/{app}-7d9f-x2 ({app}), 1 restart(s) by ")
    assert (post.channel, post.color) == ("#influxdb-alerts", "danger")


def test_routing_a_cluster_to_its_channel_updates_only_the_notifiers(engine, monitored_org):
    succeeded(engine.up())
    engine.config["rubin-influx-tools:slackRoutes"] = [
        {"cluster": "summit", "channel": "#summit-alerts", "secretKey": "slack_webhook_summit"}]

    routed = succeeded(engine.up())

    notifiers = {"task/_slack_notify_restarts", "task/_slack_notify_state_checks",
                 "task/_slack_notify_cpu_checks", "task/_slack_notify_disk_checks"}
    assert set(routed.names("update")) == notifiers
    assert set(routed.ops()) == {"same", "update"}
    assert any(line.removeprefix("warning: ").startswith(
        f"org {monitored_org.name} has no secret 'slack_webhook_summit'") for line in routed.log)
    flux = {task["name"]: task["flux"] for task in tasks(monitored_org)}
    assert 'secrets.get(key: "slack_webhook_summit")' in flux["_slack_notify_restarts"]


def test_after_the_first_up_on_an_org_of_the_old_scripts_one_restart_is_posted_once(
        cli, monitored_org, influxd, telegraf):
    slack = FakeSlack()
    try:
        set_secret(monitored_org, "slack_webhook_url", slack.url)
        seed_old_scripts(monitored_org, [*app_task_names(*APPS), *GLOBAL_TASKS], slack.url)
        succeeded(cli.up())
        monitoring = watch_deployed(monitored_org, slack, TaskSettings(org=monitored_org.name),
                                    APPS, telegraf)
        for restarts in (0, 1):
            monitoring.observe(Pod("nublado", "hub-0", (Container("hub", restarts=restarts),)),
                               app="nublado")

        posts = monitoring.check()
    finally:
        slack.stop()
    assert len(monitoring.task_ids) == len(app_task_names(*APPS)) + len(GLOBAL_TASKS)
    assert [post.channel for post in posts] == ["#influxdb-alerts"]
    assert posts[0].text.startswith("Container restarted: summit/nublado/hub-0 (hub)")


def test_quieting_noisy_pods_updates_only_the_app_tasks_that_report_them(engine, monitored_org):
    succeeded(engine.up())

    engine.config["rubin-influx-tools:ignorePods"] = ["prepull-*"]
    ignoring = succeeded(engine.up())
    engine.config["rubin-influx-tools:alertPendingPods"] = False
    quiet = succeeded(engine.up())

    assert set(ignoring.names("update")) == {f"task/{name}" for name in app_task_names(*APPS)}
    assert set(quiet.names("update")) == {f"task/{app.capitalize()} state_checks" for app in APPS}
    assert set(ignoring.ops()) == set(quiet.ops()) == {"same", "update"}
    flux = {task["name"]: task["flux"] for task in tasks(monitored_org)}
    assert "/^(?:prepull-.*)$/" in flux["Mobu restarts"]
    assert "alertPendingPods = false" in flux["Mobu state_checks"]


# Names InfluxDB takes that once stopped every run part-way (issue 17): each is monitored, or,
# where no task can carry it, left out with a warning naming it and ignoreBuckets.
AWKWARD_APPS = ("a{b}", "back\\slash", "x${y}", "cron: 0 * * * *", "every: 1m", "nb\u00a0sp",
                "zero\u200bwidth", "line\u2028sep")
UNMONITORED = ("", " ", "new\nline")


def test_buckets_of_any_accepted_name_are_monitored_or_left_out_with_a_warning(
        engine, monitored_org):
    for name in (*AWKWARD_APPS, *UNMONITORED):
        add_bucket(monitored_org, name)

    result = succeeded(engine.up())

    assert result.outputs["apps"] == sorted([*APPS, *AWKWARD_APPS])
    assert {task["name"] for task in tasks(monitored_org)} == {
        *app_task_names(*APPS, *AWKWARD_APPS), *GLOBAL_TASKS}
    for name in UNMONITORED:
        assert any(f"bucket {name!r} is not monitored" in line and "ignoreBuckets" in line
                   for line in result.log), name
    assert " " in {mapping["database"] for mapping in stored_mappings(monitored_org)}
    assert set(succeeded(engine.up()).ops()) == {"same"}


def test_a_lost_page_of_the_bucket_listing_deletes_nothing(engine, monitored_org, emulator):
    for number in range(150):
        add_bucket(monitored_org, f"app{number:03}")
    succeeded(engine.up())
    before = len(tasks(monitored_org))
    # The second page (from the 101st bucket by name) comes back empty: 56 of 153 apps vanish,
    # 36 %, under the safety stop's share.
    emulator.add_fault(method="GET", path_prefix="/api/v2/buckets", query_contains="offset=100",
                       count=1, status=200, body={"links": {}, "buckets": []})

    result = engine.up()

    assert result.error is not None
    assert "the bucket listing left out 56 buckets that InfluxDB still has" in result.error
    assert "delete" not in result.ops()
    assert len(tasks(monitored_org)) == before


@pytest.mark.filterwarnings("ignore:Error in event stream")  # the killed run's, as expected
def test_an_up_killed_part_way_is_finished_by_the_next_up_without_duplicates(
        cli, monitored_org, emulator):
    # Every task create is answered a second late, so the CLI is killed with some tasks made;
    # the state is written only at the end of a run (PULUMI_SKIP_CHECKPOINTS), so none of them
    # is recorded.
    emulator.add_fault(method="POST", path_prefix="/api/v2/tasks", delay_s=1.0, count=1000)
    assert cli.up_killed_when(lambda: bool(tasks(monitored_org))).error is not None
    made_before = {task["name"] for task in tasks(monitored_org)}
    emulator.clear_faults()
    locked = cli.up()  # refused: the stack is locked
    cli.cancel()  # the lock the killed run left, removed as the README says

    finished = succeeded(cli.up())

    names = [task["name"] for task in tasks(monitored_org)]
    declared = [step for step in finished.steps if step.type.endswith(":Task")]
    assert made_before and len(names) == len(set(names)) == len(declared)
    # The lock's owner and age, which the README tells an operator to read before cancelling.
    [shape] = re.findall(r"`(created by <user>@<host> \(pid <n>\) at <time>)`",
                         (REPO / "README.md").read_text())
    pattern = re.escape(shape).replace("<user>", r"\S+").replace("<host>", r"\S+")
    assert re.search(pattern.replace("<n>", r"\d+").replace("<time>", r"\d{4}-\S+"),
                     locked.error)
    assert [token["description"] for token in authorizations(monitored_org)].count(
        TASK_TOKEN) == 1
    databases = [mapping["database"] for mapping in stored_mappings(monitored_org)]
    assert len(databases) == len(set(databases))
    assert set(succeeded(cli.up()).ops()) == {"same"}


@pytest.mark.parametrize("setting", ["multiappBucket", "alertedBucket"])
def test_a_setting_naming_a_data_bucket_is_refused_before_its_retention_is_cut(
        engine, monitored_org, setting):
    engine.config[f"rubin-influx-tools:{setting}"] = HOST_BUCKET

    result = engine.up()

    assert result.error is not None
    assert f"{setting} is '{HOST_BUCKET}', an existing bucket that keeps its data" in result.error
    assert result.steps == [] and tasks(monitored_org) == []
    host = monitored_org.server.api("GET", "/api/v2/buckets", params={
        "orgID": monitored_org.id, "name": HOST_BUCKET}).json()["buckets"][0]
    assert host["retentionRules"][0]["everySeconds"] == 30 * 86400


def test_the_stacks_own_buckets_get_a_shorter_retention_only_when_allowed_for_the_run(
        engine, monitored_org):
    engine.config["rubin-influx-tools:realertAfter"] = "3h"
    succeeded(engine.up())
    engine.config["rubin-influx-tools:realertAfter"] = "2h"

    refused = engine.up()
    engine.config["rubin-influx-tools:allowRetentionCut"] = True
    succeeded(engine.up())

    assert "bucket 'alerted_' keeps its data for 3h now, and this run would cut its retention " \
           "to 2h (realertAfter)" in refused.error
    alerted = monitored_org.server.api("GET", "/api/v2/buckets", params={
        "orgID": monitored_org.id, "name": "alerted_"}).json()["buckets"][0]
    assert alerted["retentionRules"][0]["everySeconds"] == 2 * 3600


def test_every_object_the_program_makes_names_its_stack(engine, monitored_org):
    succeeded(engine.up())

    mark = f"(managed by stack {STACK})"
    assert all(task["description"].endswith(mark) for task in tasks(monitored_org))
    assert TASK_TOKEN in [token["description"] for token in authorizations(monitored_org)]
    owned = [bucket for bucket in monitored_org.server.api(
        "GET", "/api/v2/buckets", params={"orgID": monitored_org.id}).json()["buckets"]
        if bucket["name"] in ("multiapp_", "alerted_")]
    assert len(owned) == 2 and all(bucket["description"].endswith(mark) for bucket in owned)


def test_a_second_stack_on_the_same_org_stops_before_any_change_naming_the_first(
        engine, monitored_org, new_engine):
    succeeded(engine.up())
    before = (sorted(task["id"] for task in tasks(monitored_org)),
              sorted(token["id"] for token in authorizations(monitored_org)))
    second = new_engine(stack="staging", config=monitored_org.stack_config(),
                        secret_config_keys={"influxdb:token"})

    result = second.up()

    assert result.error is not None
    assert f"is managed by stack {STACK}" in result.error
    assert "one organization is managed by one stack" in result.error
    assert not set(result.ops()) & {"create", "update", "delete", "replace"}
    assert (sorted(task["id"] for task in tasks(monitored_org)),
            sorted(token["id"] for token in authorizations(monitored_org))) == before
    assert set(succeeded(engine.up()).ops()) == {"same"}


def test_destroy_removes_what_the_program_made_and_keeps_data_buckets(engine, monitored_org):
    server = monitored_org.server
    server.api("POST", "/api/v2/tasks", json={
        "orgID": monitored_org.id,
        "flux": 'option task = {name: "hand made", every: 1h}\nfrom(bucket: "mobu")'
                ' |> range(start: -1h)\n'}).raise_for_status()
    succeeded(engine.up())

    result = succeeded(engine.destroy())

    assert result.ops() == {"delete": ORG_OBJECTS}
    assert [task["name"] for task in tasks(monitored_org)] == ["hand made"]
    assert stored_mappings(monitored_org) == []
    assert bucket_names(monitored_org) >= {*APPS, HOST_BUCKET, "multiapp_", "alerted_"}
    assert all(a["description"] != TASK_TOKEN
               for a in authorizations(monitored_org))
    assert engine.state().resources == {}


def test_destroy_after_an_up_with_retain_buckets_off_deletes_the_owned_buckets_but_no_app_bucket(
        engine, monitored_org):
    engine.config[DECLARED] = ["sasquatch"]
    succeeded(engine.up())
    # The engine keeps retain-on-delete in the state: the up between records the change.
    engine.config["rubin-influx-tools:retainBucketsOnDelete"] = False
    succeeded(engine.up())

    result = succeeded(engine.destroy())

    assert result.ops() == {"delete": ORG_OBJECTS + len(app_objects("sasquatch"))}
    assert not {"multiapp_", "alerted_"} & bucket_names(monitored_org)
    # A declared application's bucket holds its data: kept whatever retainBucketsOnDelete says.
    assert bucket_names(monitored_org) >= {*APPS, HOST_BUCKET, "sasquatch"}


def test_retain_buckets_off_then_destroy_through_the_workflow_deletes_the_owned_buckets(
        cli, monitored_org):
    succeeded(as_the_deploy_runs(cli, "deploy"))
    # The commit setting it reaches main: its deploy records the option in the state (the
    # README's order), then the destroy is dispatched.
    cli.config["rubin-influx-tools:retainBucketsOnDelete"] = False
    succeeded(as_the_deploy_runs(cli, "deploy"))

    managed = len(cli.state().resources)

    result = succeeded(as_the_deploy_runs(cli, "destroy"))

    assert result.ops() == {"delete": managed}
    assert not {"multiapp_", "alerted_"} & bucket_names(monitored_org)
    assert bucket_names(monitored_org) >= {*APPS, HOST_BUCKET}


def test_destroy_deletes_what_it_adopted_from_the_old_scripts_and_keeps_the_rest(
        engine, monitored_org):
    def task_named(name: str) -> dict:
        return monitored_org.server.api("POST", "/api/v2/tasks", json={
            "orgID": monitored_org.id, "flux": f'option task = {{name: "{name}", every: 5m}}\n'
                                               'from(bucket: "x") |> range(start: -5m)\n'}).json()
    old_task, hand_made = task_named("Mobu restarts"), task_named("hand made")
    succeeded(engine.up())
    adopted = {state.name: state.id for state in engine.state().resources.values()}
    assert adopted["task/Mobu restarts"] == old_task["id"]

    succeeded(engine.destroy())

    assert [task["id"] for task in tasks(monitored_org)] == [hand_made["id"]]


def test_a_failed_bucket_listing_stops_the_run_before_any_change(engine, emulator):
    emulator.add_fault(method="GET", path_prefix="/api/v2/buckets", count=50, status=500)

    result = engine.up()

    assert result.error is not None and "/api/v2/buckets" in result.error
    assert result.steps == []
    assert writes(emulator) == []


# Declared applications (appBuckets).
DECLARED = "rubin-influx-tools:appBuckets"
WEEK = 7 * 86400


def app_objects(*apps: str) -> set[str]:
    """The resources of a declared application: its bucket, its mapping and its tasks."""
    return {name for app in apps for name in (f"bucket/{app}", f"mapping/{app}")} | {
        f"task/{name}" for name in app_task_names(*apps)}


def test_declared_apps_get_bucket_mapping_and_tasks_in_one_up_adopting_an_existing_bucket(
        engine, monitored_org):
    existing = add_bucket(monitored_org, "sasquatch", 86400)
    engine.config[DECLARED] = ["sasquatch", "times-square"]

    result = succeeded(engine.up())

    assert app_objects("sasquatch", "times-square") <= set(result.names("create"))
    assert set(result.ops()) == {"create"}
    created = find_bucket(monitored_org, "times-square")
    adopted = find_bucket(monitored_org, "sasquatch")
    assert adopted["id"] == existing["id"]  # adopted, not duplicated
    for bucket in (created, adopted):  # the retention of the old bucketmaker
        assert bucket["retentionRules"][0]["everySeconds"] == WEEK
    mappings = {m["database"]: m for m in stored_mappings(monitored_org)}
    assert (mappings["times-square"]["bucketID"], mappings["times-square"]["retention_policy"]) \
        == (created["id"], "1w")
    assert app_task_names("sasquatch", "times-square") <= {t["name"] for t in tasks(monitored_org)}
    assert result.outputs["apps"] == sorted([*APPS, "sasquatch", "times-square"])
    assert set(succeeded(engine.up()).ops()) == {"same"}


def test_changing_app_bucket_retention_updates_only_the_declared_buckets_and_their_mappings(
        engine, monitored_org):
    engine.config[DECLARED] = ["sasquatch"]
    succeeded(engine.up())
    bucket_id = find_bucket(monitored_org, "sasquatch")["id"]
    engine.config["rubin-influx-tools:appBucketRetention"] = "30d"

    result = succeeded(engine.up())

    assert set(result.names("update")) == {"bucket/sasquatch", "mapping/sasquatch"}
    assert set(result.ops()) == {"same", "update"}
    bucket = find_bucket(monitored_org, "sasquatch")
    assert (bucket["id"], bucket["retentionRules"][0]["everySeconds"]) == (bucket_id, 30 * 86400)
    assert {m["database"]: m["retention_policy"]
            for m in stored_mappings(monitored_org)}["sasquatch"] == "4w2d"


def test_a_declared_app_taken_off_the_list_keeps_its_bucket_and_its_monitoring(
        engine, monitored_org):
    engine.config[DECLARED] = ["sasquatch"]
    succeeded(engine.up())
    bucket_id = find_bucket(monitored_org, "sasquatch")["id"]
    engine.config[DECLARED] = []

    result = succeeded(engine.up())

    # The bucket leaves the stack (retained: no call to InfluxDB); while it exists it is an app
    # bucket like any other, so its mapping and tasks stay as they are.
    assert result.names("delete") == ["bucket/sasquatch"]
    assert set(result.ops()) == {"delete", "same"}
    assert find_bucket(monitored_org, "sasquatch")["id"] == bucket_id
    assert app_task_names("sasquatch") <= {task["name"] for task in tasks(monitored_org)}
    assert "sasquatch" in {mapping["database"] for mapping in stored_mappings(monitored_org)}


def test_a_declared_app_whose_bucket_keeps_data_longer_is_refused_before_any_write(
        engine, monitored_org):
    add_bucket(monitored_org, "sasquatch", 30 * 86400)
    engine.config[DECLARED] = ["sasquatch"]

    refused = engine.up()
    engine.config["rubin-influx-tools:appBucketRetention"] = "4w2d"  # as the error says
    adopted = succeeded(engine.up())

    assert refused.error is not None
    assert "appBuckets lists 'sasquatch', a bucket this stack did not make, that keeps its " \
           "data for 4w2d: appBucketRetention=1w would cut that" in refused.error
    assert "`pulumi config set appBucketRetention 4w2d`" in refused.error
    assert refused.steps == []
    assert "bucket/sasquatch" in adopted.names("create")
    assert find_bucket(monitored_org, "sasquatch")["retentionRules"][0]["everySeconds"] == \
        30 * 86400


def test_declaring_a_monitored_app_adopts_its_bucket_and_changes_nothing_else(engine,
                                                                             monitored_org):
    succeeded(engine.up())
    engine.config[DECLARED] = ["mobu"]
    engine.config["rubin-influx-tools:appBucketRetention"] = "infinite"  # as mobu keeps its data

    preview = succeeded(engine.preview())
    result = succeeded(engine.up())

    for run in (preview, result):  # the mapping's bucket ID is known at preview: no replacement
        assert run.names("create") == ["bucket/mobu"]
        assert set(run.ops()) == {"create", "same"}
    assert find_bucket(monitored_org, "mobu")["retentionRules"][0]["everySeconds"] == 0


def test_declaring_the_buckets_the_old_bucketmaker_made_adopts_them_as_they_are(
        engine, monitored_org, emulator):
    made = monitored_org.server.api("POST", "/api/v2/buckets", json={  # as bucketmaker made it
        "orgID": monitored_org.id, "name": "times_square", "description": "times_square K8s "
        "metrics", "retentionRules": [{"type": "expire", "everySeconds": WEEK,
                                       "shardGroupDurationSeconds": WEEK}]}).json()
    engine.config[DECLARED] = ["times_square"]
    emulator.clear_request_log()

    result = succeeded(engine.up())

    assert app_objects("times_square") <= set(result.names("create"))
    # multiapp_ and alerted_ are made; the old bucket only gains the stack's description mark.
    bucket_writes = [write for write in writes(emulator) if write[1].startswith("/api/v2/buckets")]
    assert Counter(bucket_writes) == {("POST", "/api/v2/buckets"): 2,
                                      ("PATCH", f"/api/v2/buckets/{made['id']}"): 1}
    adopted = find_bucket(monitored_org, "times_square")
    assert adopted["id"] == made["id"]
    assert adopted["retentionRules"][0]["everySeconds"] == WEEK
    assert unmarked(adopted["description"]) == "times_square K8s metrics"


@pytest.mark.stand_in_only  # the program's own check
def test_an_app_both_declared_and_ignored_is_refused_naming_both_settings(engine, emulator):
    engine.config[DECLARED] = ["mobu"]
    engine.config["rubin-influx-tools:ignoreBuckets"] = ["mobu"]

    result = engine.up()

    assert result.error is not None
    assert "appBuckets and ignoreBuckets both list 'mobu'" in result.error
    assert result.steps == [] and writes(emulator) == []


# Least privilege and secrets.
def task_token(result: Result) -> str:
    token = result.outputs["task_token"]
    assert isinstance(token, Secret)
    return token.value


def test_the_scoped_token_holds_only_task_and_org_read_permissions(engine, monitored_org):
    succeeded(engine.up())
    token = next(a for a in authorizations(monitored_org)
                 if a["description"] == TASK_TOKEN)

    granted = {(p["action"], p["resource"]["type"]) for p in token["permissions"]}

    assert granted == {("read", "orgs"), ("read", "tasks"), ("write", "tasks")}
    assert all(p["resource"].get("orgID") == monitored_org.id or
               p["resource"].get("id") == monitored_org.id for p in token["permissions"])


def test_tasks_are_written_with_the_scoped_token_and_the_rest_with_the_operator_token(
        engine, monitored_org, emulator):
    succeeded(engine.up())
    scoped_id = next(a["id"] for a in authorizations(monitored_org)
                     if a["description"] == TASK_TOKEN)
    log = [entry for entry in emulator.request_log() if entry["method"] in WRITES]

    task_writes = [entry for entry in log if entry["path"].startswith("/api/v2/tasks")]
    other_writes = [entry for entry in log if not entry["path"].startswith("/api/v2/tasks")]

    assert len(task_writes) == 13
    assert {entry["authorization"] for entry in task_writes} == {scoped_id}
    assert other_writes and scoped_id not in {entry["authorization"] for entry in other_writes}


def test_an_inactive_scoped_token_stops_task_updates(engine, monitored_org):
    up = succeeded(engine.up())
    token = next(a for a in authorizations(monitored_org)
                 if a["description"] == TASK_TOKEN)
    monitored_org.server.api("PATCH", f"/api/v2/authorizations/{token['id']}",
                             json={"status": "inactive"}).raise_for_status()
    engine.config["rubin-influx-tools:checkEvery"] = "10m"

    result = engine.up()

    # InfluxDB lets the inactive token in and denies the task write with a 500: the run stops
    # at once (no retries of an "ambiguous" write) and says which token to look at.
    assert result.error is not None
    assert "failed to update task: unauthorized" in result.error
    assert "the scoped task token (token/tasks)" in result.error and "inactive" in result.error
    assert "retrying" not in "\n".join(result.log)
    assert task_token(up) not in result.error


def test_refresh_and_destroy_with_an_inactive_scoped_token_keep_and_then_remove_the_tasks(
        engine, monitored_org):
    succeeded(engine.up())
    token = next(a for a in authorizations(monitored_org)
                 if a["description"] == TASK_TOKEN)
    monitored_org.server.api("PATCH", f"/api/v2/authorizations/{token['id']}",
                             json={"status": "inactive"}).raise_for_status()

    # The inactive token sees no task: the tasks are read with the operator token instead of
    # being forgotten, and destroy deletes them instead of reporting them gone.
    refreshed = succeeded(engine.refresh())
    assert not [name for name in refreshed.names("refresh-delete") if name.startswith("task/")]
    succeeded(engine.destroy())
    assert tasks(monitored_org) == []


def delete_token(org: InfluxOrg, token: Token) -> None:
    org.server.api("DELETE", f"/api/v2/authorizations/{token.id}").raise_for_status()


def test_a_rotated_token_and_a_moved_url_need_only_new_settings(monitored_org, new_engine):
    old_address, old_token = Forwarder(monitored_org.url), org_operator_token(monitored_org)
    engine = new_engine(stack="dev", config={"influxdb:url": old_address.url,
                                             "influxdb:org": monitored_org.name,
                                             "influxdb:token": old_token},
                        secret_config_keys={"influxdb:token"})
    succeeded(engine.up())
    # The operator rotates the token (the old one deleted) and InfluxDB moves.
    engine.config["influxdb:token"] = org_operator_token(monitored_org)
    engine.config["influxdb:url"] = monitored_org.url
    delete_token(monitored_org, old_token)
    old_address.close()

    refreshed = succeeded(engine.refresh())
    assert set(refreshed.ops()) == {"refresh-same"}
    assert set(succeeded(engine.up()).ops()) == {"same"}
    succeeded(engine.destroy())
    assert tasks(monitored_org) == [] and stored_mappings(monitored_org) == []


def test_the_deploys_one_command_after_a_rotated_token_and_a_moved_url_finds_nothing_to_do(
        cli, monitored_org):
    """`up --refresh` (the program run for the refresh too, as the workflow sets it)."""
    old_address, old_token = Forwarder(monitored_org.url), org_operator_token(monitored_org)
    cli.config.update({"influxdb:url": old_address.url, "influxdb:token": old_token})
    succeeded(cli.up())
    cli.config.update({"influxdb:url": monitored_org.url,
                       "influxdb:token": org_operator_token(monitored_org)})
    delete_token(monitored_org, old_token)
    old_address.close()

    managed = len(cli.state().resources)

    result = succeeded(as_the_deploy_runs(cli, "deploy"))

    assert result.ops() == {"refresh": managed, "same": managed}


def test_the_scoped_token_cannot_create_tokens_or_touch_users_and_orgs(engine, monitored_org):
    token = task_token(succeeded(engine.up()))
    headers = {"Authorization": f"Token {token}"}
    url = monitored_org.url

    def status(method: str, path: str, body: dict | None = None) -> int:
        return requests.request(method, url + path, headers=headers, json=body,
                                timeout=10).status_code

    assert status("POST", "/api/v2/authorizations", {
        "orgID": monitored_org.id,
        "permissions": [{"action": "read", "resource": {"type": "tasks"}}]}) in (401, 403)
    assert status("POST", "/api/v2/orgs", {"name": "taken-over"}) in (401, 403)
    assert status("PATCH", f"/api/v2/orgs/{monitored_org.id}", {"name": "renamed"}) in (401, 403)
    assert status("POST", "/api/v2/users", {"name": "intruder"}) in (401, 403)
    assert status("GET", "/api/v2/tasks?orgID=" + monitored_org.id) == 200


def test_no_token_appears_in_plain_in_state_outputs_or_logs(engine, monitored_org):
    result = succeeded(engine.up())
    scoped = task_token(result)
    state_text = engine.state_text()

    for token in (monitored_org.token, scoped):
        assert token not in state_text
        assert token not in json.dumps([result.log, str(result.outputs)])
    plain_outputs = {k: v for k, v in result.outputs.items() if not isinstance(v, Secret)}
    assert scoped not in json.dumps(plain_outputs)


def test_no_token_appears_in_the_clis_most_detailed_logs(cli, monitored_org):
    cli.verbose = True

    result = succeeded(cli.up())
    logs = "\n".join(result.log)

    assert len(logs) > 100_000  # the -v=9 logs are there
    for token in (monitored_org.token, task_token(result)):
        assert token not in logs
    assert monitored_org.token not in cli.state_text()


def test_a_scoped_token_deleted_by_hand_is_recreated_and_tasks_stay_manageable(engine,
                                                                              monitored_org):
    succeeded(engine.up())
    lost = next(a for a in authorizations(monitored_org)
                if a["description"] == TASK_TOKEN)
    monitored_org.server.api("DELETE", f"/api/v2/authorizations/{lost['id']}").raise_for_status()

    refreshed = succeeded(engine.refresh())
    recreated = succeeded(engine.up())
    engine.config["rubin-influx-tools:checkEvery"] = "10m"
    updated = succeeded(engine.up())
    destroyed = succeeded(engine.destroy())

    assert refreshed.names("refresh-delete") == ["token/tasks"]
    assert recreated.names("create") == ["token/tasks"]
    assert len(updated.names("update")) == 9  # every app task: their schedule changed
    assert len(destroyed.names("delete")) == ORG_OBJECTS
    assert tasks(monitored_org) == []


def program_check(key: str, value: object, message: str) -> object:
    """A setting the program itself refuses, by the same code under either engine: one such case
    runs under the real CLI (checkEvery), the rest under the stand-in only."""
    return pytest.param(key, value, message, marks=pytest.mark.stand_in_only)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("rubin-influx-tools:checkEvery", "30s", "checkEvery='30s' is shorter than 1m"),
    program_check("rubin-influx-tools:diskWarnPercent", 99, "diskWarnPercent (99) must be below"),
    program_check("rubin-influx-tools:multiappBucket", "multiapp", "multiappBucket is 'multiapp'"),
    program_check("rubin-influx-tools:diskDangerPercent", 50,
                  "diskWarnPercent (85) must be below diskDangerPercent (50)"),
    program_check("rubin-influx-tools:checkEvery", "48h",
                  "twice checkEvery='48h' plus notifyEvery='1m'"),
    program_check("influxdb:org", "", "influxdb:org"),
    # The connection settings are read as the providers read them: under the CLI too.
    ("influxdb:timeout", "soon", "influxdb:timeout is 'soon'"),
    # The CLI refuses these by its check of the type Pulumi.yaml declares.
    ("rubin-influx-tools:ignoreBuckets", "mobu", "ignoreBuckets"),
    ("rubin-influx-tools:ignoreBuckets", {"mobu": True}, "ignoreBuckets"),
    ("rubin-influx-tools:ignorePods", "prepull-*", "ignorePods"),
    ("rubin-influx-tools:appBuckets", "sasquatch", "appBuckets"),
    # The case: a silence without an end, refused under the real CLI too.
    ("rubin-influx-tools:silences", [{"match": "summit/*", "reason": "upgrade"}],
     "silences[0] (summit/*) has no until: a silence ends by its time, at most 30 days away"),
    program_check("rubin-influx-tools:silences",
                  [{"match": "summit/*", "until": "2999-01-01T00:00:00Z"}],
                  "more than 30 days from now"),
    program_check("rubin-influx-tools:silences", [{"match": "summit/*", "until": "tomorrow"}],
                  "silences[0].until is 'tomorrow'"),
    program_check("rubin-influx-tools:alertLinks",
                  [{"text": "Runbook", "url": "https://x.example/{node}"}],
                  "alertLinks[0].url is 'https://x.example/{node}'"),
    program_check("rubin-influx-tools:groupAbove", 0,
                  "groupAbove must be a whole number of alerts"),
    program_check("rubin-influx-tools:ignorePods", ["Prepull/*"],
                  "ignorePods must be pod name patterns"),
    program_check("rubin-influx-tools:slackRoutes", [{"cluster": "summit", "channel": "#summit"}],
                  "slackRoutes[0] is {'cluster': 'summit', 'channel': '#summit'}: each item of "
                  "slackRoutes holds cluster, channel, secretKey"),
    program_check("rubin-influx-tools:appBuckets", ["roundtable_internal_"],
                  "appBuckets lists 'roundtable_internal_', which is not an application bucket "
                  "name"),
    program_check("rubin-influx-tools:appBuckets", ["telegraf/autogen"],
                  "appBuckets lists 'telegraf/autogen'"),
    program_check("rubin-influx-tools:appBuckets", ['say "hi"'],
                  "appBuckets lists 'say \"hi\"', which is no"),
    program_check("rubin-influx-tools:appBuckets", ["mobu", "mobu"],
                  "appBuckets lists 'mobu' more than once"),
    program_check("rubin-influx-tools:appBucketRetention", "30m",
                  "appBucketRetention is '30m': InfluxDB"),
    program_check("rubin-influx-tools:appBucketRetention", "1mo",
                  "appBucketRetention='1mo' uses a calendar"),
    program_check("rubin-influx-tools:appBucketRetention", "forever", "or infinite"),
])
def test_a_bad_setting_stops_the_run_naming_the_setting_before_any_change(engine, emulator, key,
                                                                          value, message):
    engine.config[key] = value

    result = engine.up()

    assert result.error is not None and message in result.error
    assert "Traceback" not in result.error  # a plain message: the setting and the fix
    assert result.steps == []
    assert writes(emulator) == []


@pytest.mark.stand_in_only  # the program's own check
def test_the_committed_prod_stack_is_a_placeholder_the_first_up_refuses_naming_the_url(
        engine, emulator):
    committed = yaml.safe_load((REPO / "Pulumi.prod.yaml").read_text())["config"]
    engine.config.update(committed)

    result = engine.up()

    assert result.error is not None
    assert f"influxdb:url is {committed['influxdb:url']}, a placeholder" in result.error
    assert "pulumi config set influxdb:url https://<your InfluxDB>" in result.error
    assert result.steps == [] and writes(emulator) == []
