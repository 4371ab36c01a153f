"""Alerts proven on data: the program's tasks run on the real influxd over what the real Telegraf
writes (`kube_inventory` and `kubernetes` inputs reading a fake Kubernetes API and kubelet), and
each scenario checks what the fake Slack received (count, channel, text, color).

Points are written by hand only where Telegraf cannot produce the case, and each says why: a
host's disk at a chosen usage (Telegraf reads this machine's disks) and a record an older version
of the notifiers left. Samples minutes or hours in the past (for notRunningFor and noDataAfter)
are Telegraf's own line protocol for the pods, re-timed (`Monitoring.observe_earlier`): Telegraf
stamps what it gathers with the time it runs. Every test asks for `influxd`: the emulator stores
tasks but never runs Flux.
"""

from __future__ import annotations

import datetime
import json
import re
import time
from dataclasses import replace

import pytest

from flux.posts import AlertLink, Silence
from flux.settings import SlackRoute, TaskSettings
from testbed.alerts import Monitoring, deploy_monitoring
from testbed.influx.holdings import flux_rows, series, tasks
from testbed.influx.points import Point, disk_sample, write
from testbed.influx.seed import set_secret
from testbed.influx.server import InfluxOrg, InfluxServer
from testbed.kubernetes.pods import Container, Pod
from testbed.paths import REPO
from testbed.slack import FakeSlack, Post
from testbed.telegraf import Telegraf

# On both real servers (influxd 2.7.12, and 2.8.0 hashing tokens as 2.9 and later do by
# default): the tasks' Flux must run on every release the suite has.
pytestmark = pytest.mark.every_server

APP = "sasquatch"
CHANNEL = "#influxdb-alerts"


def pod(name: str, *containers: Container, namespace: str = APP, **status) -> Pod:
    """A pod of the app's namespace (one running container "main" unless given)."""
    return Pod(namespace, name, containers or (Container("main"),), **status)


def broker(restarts: int = 0, **state) -> Pod:
    """The app's Kafka broker pod, with its container's restart count and state."""
    return pod("kafka-0", Container("broker", restarts=restarts, **state))


@pytest.fixture
def slack() -> FakeSlack:
    fake = FakeSlack()
    yield fake
    fake.stop()


@pytest.fixture
def monitoring(influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack,
               telegraf: Telegraf) -> Monitoring:
    return deploy_monitoring(org, slack, [APP], telegraf=telegraf)


# Restarts.
def test_a_restart_is_posted_once_and_a_later_restart_again(monitoring: Monitoring):
    monitoring.observe(broker(restarts=3))
    monitoring.observe(broker(restarts=4))

    [post] = monitoring.check()
    assert (post.channel, post.color) == (CHANNEL, "danger")
    assert post.text.startswith(
        "Container restarted: summit/sasquatch/kafka-0 (broker), 1 restart(s) by ")

    assert monitoring.check() == []  # the same restart, seen again: already posted

    monitoring.observe(broker(restarts=5))
    [again] = monitoring.check()
    assert again.text.startswith("Container restarted: summit/sasquatch/kafka-0 (broker)")
    assert again.text != post.text


def test_a_restart_counter_that_drops_when_a_pod_is_recreated_is_not_posted_but_its_next_is(
        monitoring: Monitoring):
    recreated = "2026-01-05T09:30:00Z"
    monitoring.observe(broker(restarts=7))
    monitoring.observe(replace(broker(restarts=0), created=recreated))

    assert monitoring.check() == []

    monitoring.observe(replace(broker(restarts=1), created=recreated))
    [post] = monitoring.check()  # the new pod's own restart
    assert post.text.startswith("Container restarted: summit/sasquatch/kafka-0 (broker), 1 ")


def test_a_container_that_crashed_and_recovered_within_a_check_is_posted_as_a_restart_only(
        monitoring: Monitoring):
    monitoring.observe(broker(restarts=0))
    monitoring.observe(broker(restarts=1, state="waiting", reason="CrashLoopBackOff"))
    monitoring.observe(broker(restarts=1))

    [post] = monitoring.check()
    assert post.text.startswith("Container restarted: summit/sasquatch/kafka-0 (broker), 1 ")


def test_a_container_that_recovered_and_crashed_again_is_posted_as_not_running(
        monitoring: Monitoring):
    monitoring.observe(broker(restarts=1, state="waiting", reason="CrashLoopBackOff"))
    monitoring.observe(broker(restarts=1))
    monitoring.observe(broker(restarts=1, state="terminated", reason="Error"))

    [post] = monitoring.check()
    assert post.text == ("Container not running: summit/sasquatch/kafka-0 (broker) is "
                         "terminated (Error); pod Running, unready")


# Container states: the README's table, run as it is written.
def state_table() -> list[dict[str, str]]:
    """The rows of the README's container-state table: state, reason, pod phase, Slack."""
    section = (REPO / "README.md").read_text().split("### Container states", 1)[1]
    table = section[section.index("\n|"):].split("\n\n", 1)[0]
    rows = table.strip().splitlines()
    header, *body = [[cell.strip(" `") for cell in row.strip("|").split("|")] for row in rows]
    return [dict(zip(header, cells, strict=True)) for cells in body if not set(cells[0]) <= {"-"}]


STATES = state_table()


def test_the_readme_states_table_covers_the_states_the_issue_names():
    reasons = {row["reason"] for row in STATES}
    assert {"CrashLoopBackOff", "OOMKilled", "Error", "ImagePullBackOff", "ErrImagePull",
            "CreateContainerConfigError", "Completed", "ContainerCreating",
            "PodInitializing"} <= reasons
    assert {row["state"] for row in STATES} == {"running", "terminated", "waiting", "unknown"}


def test_each_container_state_gives_the_post_the_readme_table_promises(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf):
    # A post per container, not one grouped post (see "Grouped posts"), so each shows its color.
    monitoring = deploy_monitoring(org, slack, [APP], TaskSettings(
        org=org.name, group_above=len(STATES)), telegraf=telegraf)
    rows = {f"pod-{number}": row for number, row in enumerate(STATES)}
    monitoring.observe(*(pod(name, Container("main", state=row["state"], reason=row["reason"],
                                             ready=False), phase=row["pod phase"])
                         for name, row in rows.items()))

    posts = {re.search(r"/(pod-\d+) ", post.text).group(1): post for post in monitoring.check()}

    expected = {name: row["Slack"] for name, row in rows.items() if row["Slack"] != "none"}
    assert {name: post.color for name, post in posts.items()} == expected
    for name, post in posts.items():
        row = rows[name]
        assert (f"/{APP}/{name} (main) is {row['state']} ({row['reason'] or 'n/a'}); "
                f"pod {row['pod phase']}, unready") in post.text
    assert monitoring.check() == []  # still in the same state: not posted again


def test_completed_init_and_job_containers_are_not_posted(monitoring: Monitoring):
    initialized = pod("web-0", init_containers=(
        Container("migrate", state="terminated", reason="Completed", ready=False),))
    job = pod("backup-29301", Container("backup", state="terminated", reason="Completed"),
              phase="Succeeded")
    monitoring.observe(initialized, job)
    monitoring.observe(initialized, job)

    assert monitoring.check() == []


def test_a_failing_init_container_shows_only_as_its_pod_initializing(monitoring: Monitoring):
    # Telegraf writes no init containers: the pod's containers wait in PodInitializing, which
    # the README's table gives no post.
    stuck = pod("web-0", Container("main", state="waiting", reason="PodInitializing"),
                phase="Pending", init_containers=(
                    Container("migrate", state="waiting", reason="CrashLoopBackOff", restarts=4),))
    monitoring.observe(stuck)
    monitoring.observe(replace(stuck, init_containers=(replace(stuck.init_containers[0],
                                                               restarts=5),)))

    assert monitoring.check() == []


@pytest.mark.parametrize("alert_pending_pods", [True, False])
def test_pending_pods_are_posted_unless_alert_pending_pods_is_off(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf,
        alert_pending_pods: bool):
    monitoring = deploy_monitoring(org, slack, [APP], TaskSettings(
        org=org.name, alert_pending_pods=alert_pending_pods), telegraf=telegraf)
    monitoring.observe(
        pod("web-1", Container("main", state="waiting", reason="ImagePullBackOff"),
            phase="Pending"),
        pod("web-2", Container("main", state="unknown"), phase="Pending"),  # not scheduled
        pod("web-3", Container("main", state="waiting", reason="CrashLoopBackOff")))

    texts = sorted(post.text for post in monitoring.check())

    pending = ["Container not running: summit/sasquatch/web-1 (main) is waiting "
               "(ImagePullBackOff); pod Pending, unready",
               "Container not running: summit/sasquatch/web-2 (main) is unknown (n/a); "
               "pod Pending, unready"]
    running = ["Container not running: summit/sasquatch/web-3 (main) is waiting "
               "(CrashLoopBackOff); pod Running, unready"]
    assert texts == (pending if alert_pending_pods else []) + running


def test_ignored_pods_are_not_posted_restarts_included(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf):
    quiet = TaskSettings(org=org.name, ignore_pods=("prepull-*",))
    monitoring = deploy_monitoring(org, slack, [APP], quiet, telegraf=telegraf)
    prepull = "prepull-x7k2p"
    monitoring.observe(pod(prepull, Container("pull")), pod("web-2"))
    monitoring.observe(
        pod(prepull, Container("pull", restarts=1, state="waiting", reason="CrashLoopBackOff")),
        pod("web-2", Container("main", restarts=1, state="waiting", reason="CrashLoopBackOff")))

    posts = sorted(post.text.split(" (main)")[0] for post in monitoring.check())

    assert posts == ["Container not running: summit/sasquatch/web-2",
                     "Container restarted: summit/sasquatch/web-2"]


# Waiting before "not running" is posted (notRunningFor).
def crash_looping(name: str) -> Pod:
    return pod(name, Container("main", restarts=4, state="waiting", reason="CrashLoopBackOff"))


@pytest.mark.parametrize("not_running_for, posted", [
    ("0s", ["down-11m", "down-5m", "new-5m"]),  # the default: at once
    ("10m", ["down-11m"]),
])
def test_a_container_is_posted_as_not_running_once_down_for_not_running_for(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf,
        not_running_for: str, posted: list[str]):
    monitoring = deploy_monitoring(org, slack, [APP], TaskSettings(
        org=org.name, not_running_for=not_running_for), telegraf=telegraf)
    # Re-timed Telegraf samples, 3 minutes apart: one container crash-looping for 11 minutes,
    # one running until 5 minutes ago, one first seen 5 minutes ago (never seen running, but not
    # watched for 10 minutes either). The restart counts stay put: only states are news here.
    for minutes_ago in (11, 8, 5, 2):
        recent = minutes_ago <= 5
        monitoring.observe_earlier(
            minutes_ago, crash_looping("down-11m"),
            crash_looping("down-5m") if recent else pod("down-5m", Container("main", restarts=4)),
            *([crash_looping("new-5m")] if recent else []))
    monitoring.observe(*map(crash_looping, ("down-11m", "down-5m", "new-5m")))

    posts = monitoring.check()

    down = sorted(re.search(r"/sasquatch/([\w-]+) ", post.text).group(1) for post in posts)
    assert down == posted
    assert all(post.text.endswith(" (main) is waiting (CrashLoopBackOff); pod Running, unready")
               for post in posts)


# No data (noDataAfter).
def test_a_cluster_that_stopped_writing_is_posted_as_no_data_and_the_one_writing_is_not(
        monitoring: Monitoring):
    # Re-timed Telegraf samples: both clusters wrote 20 minutes ago, only summit since; a
    # cluster removed 25 hours ago is past the check's 24-hour look-back.
    monitoring.observe_earlier(25 * 60, broker(), cluster="retired")
    for cluster in ("base", "summit"):
        monitoring.observe_earlier(20, broker(), cluster=cluster)
    stopped = time.time() - 20 * 60
    monitoring.observe(broker(), cluster="summit")

    [post] = monitoring.check()

    assert (post.channel, post.color) == (CHANNEL, "warning")
    since = re.fullmatch(r"No data: base/sasquatch has written no pod samples since "
                         r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", post.text).group(1)
    last_row = datetime.datetime.fromisoformat(since + "+00:00").timestamp()
    assert abs(last_row - stopped) < 5
    assert monitoring.check() == []  # still quiet: posted once per realertAfter


def test_a_cluster_that_stopped_writing_two_apps_is_one_post_listing_both(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf):
    # Two apps (fewer than groupAbove): base stopped writing both 20 minutes ago, summit did not.
    monitoring = deploy_monitoring(org, slack, [APP, "nublado"], telegraf=telegraf)
    for app in (APP, "nublado"):
        for cluster in ("base", "summit"):
            monitoring.observe_earlier(20, broker(), cluster=cluster, app=app)
        monitoring.observe(broker(), cluster="summit", app=app)

    [post] = monitoring.check()

    assert (post.channel, post.color) == (CHANNEL, "warning")
    header, *lines = post.text.split("\n")
    assert header == "No data from base: 2 applications:"
    assert [line.split(" has written")[0] for line in lines] == ["• No data: base/nublado",
                                                               "• No data: base/sasquatch"]
    assert monitoring.check() == []  # each app's alert recorded: posted once per realertAfter


# Everything else Telegraf writes.
def test_condition_rows_and_every_other_field_telegraf_writes_neither_post_nor_hide_a_post(
        monitoring: Monitoring):
    resources = {"requests": {"cpu": "250m", "memory": "256Mi"},
                 "limits": {"cpu": "1", "memory": "1Gi"}}
    healthy = pod("api-0", Container("api", image="ghcr.io/lsst-sqre/api:4.1.0",
                                     cpu_nanocores=100_000_000, memory_bytes=300 * 2**20,
                                     **resources))
    node_lost = replace(healthy, name="api-1", conditions=(
        ("PodScheduled", "True"), ("Initialized", "True"), ("ContainersReady", "Unknown"),
        ("Ready", "Unknown")))
    evicted = pod("api-2", Container("api", state="terminated", reason="Error", **resources),
                  phase="Failed", reason="Evicted")
    monitoring.observe(healthy, node_lost, evicted)
    monitoring.observe(healthy, node_lost, evicted)

    [post] = monitoring.check()
    assert post == Post(CHANNEL, "Container not running: summit/sasquatch/api-2 (api) is "
                                 "terminated (Error); pod Failed (Evicted), unready", "danger")
    written = {(one.field, one.type) for one in series(monitoring.org, APP)
               if one.measurement == "kubernetes_pod_container"}
    assert {("status_condition", "long"), ("ready", "long"), ("terminated_reason", "string"),
            ("phase_reason", "string"), ("resource_requests_millicpu_units", "long"),
            ("resource_limits_memory_bytes", "long"), ("cpu_usage_nanocores", "long"),
            ("memory_usage_bytes", "long")} <= written


# Disks.
# Disk points are written by hand, in the shape Telegraf's disk input writes (held to it by
# tests/test_telegraf.py): Telegraf reads this machine's disks and cannot make one 96% full.
def test_disk_usage_warns_at_90_percent_and_is_danger_at_96(monitoring: Monitoring):
    write(monitoring.org, monitoring.settings.disk_bucket, [
        disk_sample("db-1", "/data", 90.2, 30),
        disk_sample("db-2", "/data", 96.0, 30),
        disk_sample("db-3", "/data", 50.0, 30),
    ])

    posts = sorted(monitoring.check(), key=lambda post: post.text)

    assert posts == [Post(CHANNEL, "Disk /data on db-1 is 90% full", "warning"),
                     Post(CHANNEL, "Disk /data on db-2 is 96% full", "danger")]


def test_a_disk_that_stays_full_is_posted_once_per_realert_window(monitoring: Monitoring):
    disk = monitoring.settings.disk_bucket
    write(monitoring.org, disk, [disk_sample("db-1", "/data", 90.0, 60)])
    assert len(monitoring.check()) == 1

    write(monitoring.org, disk, [disk_sample("db-1", "/data", 91.4, 20)])
    assert monitoring.check() == []  # still a warning: no new post for a new sample

    write(monitoring.org, disk, [disk_sample("db-1", "/data", 97.0, 10)])
    [worse] = monitoring.check()  # now danger: a new level is news
    assert (worse.text, worse.color) == ("Disk /data on db-1 is 97% full", "danger")


def test_a_full_disk_back_under_the_warning_level_is_resolved_once(monitoring: Monitoring):
    disk = monitoring.settings.disk_bucket
    write(monitoring.org, disk, [disk_sample("db-1", "/data", 96.0, 50),
                                 disk_sample("db-2", "/data", 40.0, 50)])
    [full] = monitoring.check()
    assert (full.text, full.color) == ("Disk /data on db-1 is 96% full", "danger")

    write(monitoring.org, disk, [disk_sample("db-1", "/data", 60.2, 20),
                                 disk_sample("db-2", "/data", 40.0, 20)])
    [resolved] = monitoring.check()

    assert resolved == Post(CHANNEL, "Resolved: Disk /data on db-1 is 60% full", "good")
    assert monitoring.check() == []  # resolved once; db-2 was never posted, so never resolved


# When Slack fails.
def test_a_post_slack_refuses_is_not_recorded_and_the_next_run_posts_it(monitoring: Monitoring):
    monitoring.observe(broker(restarts=0))
    monitoring.observe(broker(restarts=1))
    monitoring.slack.answer = 500
    refused = monitoring.check()
    assert len(refused) == 1

    monitoring.slack.answer = 200
    [posted] = monitoring.check()
    assert posted == refused[0]
    assert monitoring.check() == []


def test_an_unreachable_slack_fails_the_run_visibly_and_the_next_run_posts(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf):
    monitoring = deploy_monitoring(org, slack, [APP], telegraf=telegraf)
    set_secret(org, monitoring.settings.slack_secret_key, "http://127.0.0.1:9/unreachable")
    monitoring.observe(broker(restarts=0))
    monitoring.observe(broker(restarts=1))
    monitoring.run(f"{APP.capitalize()} restarts")

    failed = monitoring.run("_slack_notify_restarts")
    assert failed.status == "failed"
    assert any("connection refused" in line for line in failed.log), failed.log

    set_secret(org, monitoring.settings.slack_secret_key, slack.url)
    [post] = monitoring.check()
    assert "summit/sasquatch/kafka-0 (broker)" in post.text


def test_a_missing_webhook_secret_is_named_in_the_run_log(influxd: InfluxServer, org: InfluxOrg,
                                                          slack: FakeSlack, telegraf: Telegraf):
    monitoring = deploy_monitoring(org, slack, [APP], secret=False, telegraf=telegraf)
    monitoring.observe(broker(restarts=0))
    monitoring.observe(broker(restarts=1))
    monitoring.run(f"{APP.capitalize()} restarts")

    failed = monitoring.run("_slack_notify_restarts")

    assert failed.status == "failed"
    assert any("slack_webhook_url" in line for line in failed.log), failed.log
    assert slack.posts == []


# Names as they are.
@pytest.mark.parametrize("app, cluster", [
    ("say-hi", 'base "north"'),  # InfluxDB refuses quotes in bucket names, not in tags
    ("cost-$HOME-${x}", "summit $1"),
    ("back\\slash", "c:\\k8s"),
    ("télémétrie-観測", "sommet-☃"),
], ids=["quotes", "dollars", "backslashes", "unicode"])
def test_app_and_cluster_names_reach_slack_as_they_are(influxd: InfluxServer, org: InfluxOrg,
                                                       slack: FakeSlack, telegraf: Telegraf,
                                                       app: str, cluster: str):
    monitoring = deploy_monitoring(org, slack, [app], telegraf=telegraf)
    monitoring.observe(pod("p-0", Container("c"), namespace="ns"), cluster=cluster)
    monitoring.observe(pod("p-0", Container("c", restarts=1, state="waiting",
                                            reason="CrashLoopBackOff"), namespace="ns"),
                       cluster=cluster)

    texts = sorted(post.text for post in monitoring.check())

    assert len(texts) == 2
    assert texts[0].startswith(f"Container not running: {cluster}/{app}/p-0 (c) is waiting")
    assert texts[1].startswith(f"Container restarted: {cluster}/{app}/p-0 (c), 1 restart(s) by ")


def test_posts_recorded_before_alert_keys_existed_do_not_stop_the_notifiers(
        monitoring: Monitoring):
    # Written by hand: a record of an older version of the notifiers, no Telegraf data.
    earlier = Point("slack_alert", {"alert": "restarts", "message": "an older post"},
                    {"status": 200}, 300)
    write(monitoring.org, monitoring.settings.alerted_bucket, [earlier])
    monitoring.observe(broker(restarts=0))
    monitoring.observe(broker(restarts=1))

    assert len(monitoring.check()) == 1


# The README's examples.
def readme_examples() -> list[dict]:
    """The Slack posts the README shows, one per kind, as JSON bodies."""
    section = (REPO / "README.md").read_text().split("### What the posts look like", 1)[1]
    return json.loads(section.split("```json", 1)[1].split("```", 1)[0])


def test_the_readme_shows_the_posts_slack_really_receives(monitoring: Monitoring):
    nightly = pod("jupyter-alice", Container("notebook", state="waiting",
                                             reason="CrashLoopBackOff", restarts=2),
                  namespace="nublado")
    monitoring.observe(broker(restarts=3), nightly)
    monitoring.observe(broker(restarts=4), nightly)
    write(monitoring.org, monitoring.settings.disk_bucket, [
        disk_sample("db-1", "/data", 92.4, 30)])  # by hand: see "Disks"
    monitoring.observe_earlier(20, broker(restarts=4), cluster="base")  # see "No data"
    monitoring.check()

    monitoring.observe(broker(restarts=4), replace(nightly, containers=(Container("notebook"),)))
    monitoring.check()  # the notebook runs again: resolved

    received = [re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "<time>", json.dumps(body))
                for body in monitoring.slack.bodies]
    assert sorted(received) == sorted(json.dumps(body) for body in readme_examples())


# Containers near their limits.
def test_a_container_over_90_percent_of_its_cpu_limit_is_posted_once(monitoring: Monitoring):
    def app(name: str, nanocores: int, limit: str | None = "500m") -> Pod:
        limits = {"cpu": limit} if limit else {}
        return pod(f"{name}-0", Container("app", limits=limits, cpu_nanocores=nanocores))

    monitoring.observe(app("hot", 475_000_000),  # 95 % of half a CPU
                       app("cool", 250_000_000), app("unlimited", 4_000_000_000, limit=None))

    [post] = monitoring.check()
    assert post == Post(CHANNEL, "CPU near its limit: summit/sasquatch/hot-0 (app) uses 95% of it",
                        "warning")

    monitoring.observe(app("hot", 490_000_000))
    assert monitoring.check() == []  # still over: posted once per realertAfter


def test_a_container_posted_near_its_cpu_limit_is_resolved_once_when_its_use_drops(
        monitoring: Monitoring):
    def app(name: str, nanocores: int) -> Pod:
        return pod(f"{name}-0", Container("app", limits={"cpu": "500m"}, cpu_nanocores=nanocores))

    monitoring.observe(app("hot", 475_000_000), app("cool", 100_000_000))
    [post] = monitoring.check()
    assert post.text.startswith("CPU near its limit: summit/sasquatch/hot-0 (app)")

    monitoring.observe(app("hot", 200_000_000), app("cool", 100_000_000))  # 40 %
    [resolved] = monitoring.check()

    assert resolved == Post(
        CHANNEL, "Resolved: CPU use of summit/sasquatch/hot-0 (app) is down to 40% of its limit",
        "good")
    assert monitoring.check() == []  # resolved once; cool-0 was never posted, so never resolved


@pytest.mark.parametrize("ignore_pods", [(), ("prepull-*",)], ids=["all-pods", "ignoring-some"])
def test_a_containers_latest_cpu_use_counts_whichever_image_it_ran(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf,
        ignore_pods: tuple[str, ...]):
    # The image and its version are tags: a pod recreated with another image (a rollback here,
    # to a version that sorts first) writes its use into a series of its own. (influxd reads
    # the latest of a group in storage when it can; with ignorePods' filter, Flux reads it.)
    monitoring = deploy_monitoring(org, slack, [APP], TaskSettings(
        org=org.name, ignore_pods=ignore_pods), telegraf=telegraf)

    def app(name: str, version: str, nanocores: int) -> Pod:
        return pod(name, Container("app", image=f"ghcr.io/lsst-sqre/app:{version}",
                                   limits={"cpu": "1"}, cpu_nanocores=nanocores))

    monitoring.observe(app("cooled-0", "2.0", 990_000_000), app("heated-0", "2.0", 10_000_000))
    monitoring.observe(app("cooled-0", "1.9", 10_000_000), app("heated-0", "1.9", 990_000_000))

    [post] = monitoring.check()
    assert post.text == "CPU near its limit: summit/sasquatch/heated-0 (app) uses 99% of it"


def cache(memory_bytes: int) -> Pod:
    return pod("cache-0", Container("redis", limits={"memory": "1Gi"},
                                    memory_bytes=memory_bytes))


def test_memory_near_its_limit_is_posted_only_when_memory_checks_are_on(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf):
    monitoring = deploy_monitoring(org, slack, [APP], TaskSettings(org=org.name,
                                                                   memory_checks=True),
                                   telegraf=telegraf)
    monitoring.observe(cache(int(0.97 * 2**30)))

    [post] = monitoring.check()
    assert post.text == "Memory near its limit: summit/sasquatch/cache-0 (redis) uses 97% of it"


def test_memory_near_its_limit_is_not_posted_by_default(monitoring: Monitoring):
    monitoring.observe(cache(int(0.97 * 2**30)))

    assert monitoring.check() == []


# Routing by cluster.
@pytest.fixture
def summit_slack() -> FakeSlack:
    """A second Slack: the summit cluster's route."""
    fake = FakeSlack()
    yield fake
    fake.stop()


def routed_to_summit(org: InfluxOrg, summit_slack: FakeSlack) -> TaskSettings:
    """Settings that route the summit cluster's alerts to `summit_slack` (slackRoutes), its
    webhook secret set."""
    set_secret(org, "slack_webhook_summit", summit_slack.url)
    return TaskSettings(org=org.name, slack_routes=(
        SlackRoute("summit", "#summit-alerts", "slack_webhook_summit"),))


def test_each_cluster_is_posted_to_its_own_channel_and_webhook_and_the_rest_to_the_default(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, summit_slack: FakeSlack,
        telegraf: Telegraf):
    routed = routed_to_summit(org, summit_slack)
    monitoring = deploy_monitoring(org, slack, [APP], routed, telegraf=telegraf)
    hot = pod("hot-0", Container("app", limits={"cpu": "100m"}, cpu_nanocores=99_000_000))
    for cluster in ("summit", "base"):
        monitoring.observe(broker(restarts=0), cluster=cluster)
    monitoring.observe(broker(restarts=1), hot, cluster="summit")
    monitoring.observe(broker(restarts=1), cluster="base")
    # By hand: see "Disks"; a host's disk has no cluster, so it goes to the default.
    write(org, routed.disk_bucket, [disk_sample("db-1", "/data", 99.0, 30)])

    default_posts = monitoring.check()
    summit_posts = summit_slack.posts

    assert sorted((post.channel, post.text.split(":")[0]) for post in summit_posts) == [
        ("#summit-alerts", "CPU near its limit"), ("#summit-alerts", "Container restarted")]
    assert all("summit/" in post.text for post in summit_posts)
    assert sorted((post.channel, post.text.split(":")[0]) for post in default_posts) == [
        (CHANNEL, "Container restarted"), (CHANNEL, "Disk /data on db-1 is 99% full")]
    assert "base/sasquatch/kafka-0" in default_posts[0].text + default_posts[1].text


# Grouped posts (groupAbove).
def crashing(name: str, namespace: str = APP) -> Pod:
    return pod(name, Container("main", state="waiting", reason="CrashLoopBackOff"),
               namespace=namespace)


def alerted_keys(monitoring: Monitoring) -> list[str]:
    """The keys of every post the notifiers recorded as sent, once per record."""
    rows = flux_rows(monitoring.org, f'''from(bucket: "{monitoring.settings.alerted_bucket}")
        |> range(start: -1h)
        |> filter(fn: (r) => r._measurement == "slack_alert")''')
    return [row["key"] for row, _ in rows]


def test_a_node_failure_is_one_post_per_channel_and_each_alert_is_recorded_by_its_key(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, summit_slack: FakeSlack,
        telegraf: Telegraf):
    routed = routed_to_summit(org, summit_slack)
    monitoring = deploy_monitoring(org, slack, [APP, "nublado"], routed, telegraf=telegraf)
    # A node of each cluster lost: 22 containers on summit, 5 on base, of two apps.
    monitoring.observe(*(crashing(f"kafka-{n}") for n in range(12)))
    monitoring.observe(*(crashing(f"hub-{n}", "nublado") for n in range(10)), app="nublado")
    monitoring.observe(*(crashing(f"kafka-{n}") for n in range(5)), cluster="base")

    [base_post] = monitoring.check()
    [summit_post] = summit_slack.posts
    assert monitoring.check() == [] and len(summit_slack.posts) == 1  # within realertAfter

    # The node back: every container running again, one resolved post per channel, once.
    monitoring.observe(*(pod(f"kafka-{n}") for n in range(12)))
    monitoring.observe(*(pod(f"hub-{n}", namespace="nublado") for n in range(10)),
                       app="nublado")
    monitoring.observe(*(pod(f"kafka-{n}") for n in range(5)), cluster="base")
    [base_resolved] = monitoring.check()
    [_, summit_resolved] = summit_slack.posts
    assert monitoring.check() == [] and len(summit_slack.posts) == 2

    assert (summit_resolved.color, summit_resolved.text.split("\n")[0]) == ("good",
                                                                            "22 resolved:")
    assert "\n• Resolved: summit/nublado/hub-0 (main) is running again\n" in summit_resolved.text
    assert (base_resolved.channel, base_resolved.color) == (CHANNEL, "good")
    assert sorted(base_resolved.text.split("\n")[1:]) == [
        f"• Resolved: base/sasquatch/kafka-{n} (main) is running again" for n in range(5)]

    assert (summit_post.channel, summit_post.color) == ("#summit-alerts", "danger")
    header, *lines, more = summit_post.text.split("\n")
    assert (header, len(lines), more) == ("22 new alerts:", 20, "and 2 more")
    assert lines[0] == ("• Container not running: summit/nublado/hub-0 (main) is waiting "
                        "(CrashLoopBackOff); pod Running, unready")
    assert (base_post.channel, base_post.text.split("\n")[0]) == (CHANNEL, "5 new alerts:")
    assert sorted(base_post.text.split("\n")[1:]) == [
        f"• Container not running: base/sasquatch/kafka-{n} (main) is waiting "
        "(CrashLoopBackOff); pod Running, unready" for n in range(5)]
    keys = alerted_keys(monitoring)
    assert len(keys) == len(set(keys)) == 2 * 27  # those left out of a post are recorded too


def test_a_slack_that_answers_429_after_the_first_post_of_a_run_gets_every_alert_once(
        monitoring: Monitoring):
    monitoring.observe(broker(restarts=0), pod("api-0", Container("api")),
                       *(crashing(f"web-{n}") for n in range(4)))
    monitoring.observe(broker(restarts=1), pod("api-0", Container("api", restarts=1)),
                       *(crashing(f"web-{n}") for n in range(4)))

    for _ in range(5):  # at most one post a run gets through
        monitoring.slack.posts_allowed = 1
        if not monitoring.check():
            break

    texts = sorted(post.text.split(", 1 restart(s)")[0] for post in monitoring.slack.accepted)
    assert texts == ["4 new alerts:\n" + "\n".join(
        f"• Container not running: summit/sasquatch/web-{n} (main) is waiting "
        "(CrashLoopBackOff); pod Running, unready" for n in range(4)),
        "Container restarted: summit/sasquatch/api-0 (api)",
        "Container restarted: summit/sasquatch/kafka-0 (broker)"]
    assert 429 in monitoring.slack.answers


# Silences.
def test_a_silenced_container_is_neither_posted_nor_recorded_until_its_silence_ends(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf):
    # Deploying, observing and checking take about 3 s on an idle machine: 20 s leaves room
    # for a busy one.
    until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=20)
    silences = (Silence("summit/sasquatch/kafka-*", until, "broker upgrade"),
                Silence("base (north)+/*", until + datetime.timedelta(days=1)))
    monitoring = deploy_monitoring(org, slack, [APP], TaskSettings(
        org=org.name, silences=silences), telegraf=telegraf)
    monitoring.observe(crashing("kafka-0"), crashing("web-0"))
    monitoring.observe(crashing("kafka-0"), cluster="base (north)+")  # the second silence's

    [unsilenced] = monitoring.check()
    assert "summit/sasquatch/web-0 (main)" in unsilenced.text
    assert len(alerted_keys(monitoring)) == 1
    time.sleep(max(0.0, (until - datetime.datetime.now(datetime.UTC)).total_seconds()))

    [after] = monitoring.check()  # the silence ended: the container, still crashing, is posted
    assert "summit/sasquatch/kafka-0 (main)" in after.text
    assert monitoring.check() == []


# The heartbeat (heartbeatSecretKey).
def test_the_heartbeat_is_called_once_per_notifier_run_and_its_url_is_in_no_task_or_log(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf):
    monitoring = deploy_monitoring(org, slack, [APP], TaskSettings(
        org=org.name, heartbeat_secret_key="heartbeat_url"), telegraf=telegraf)
    set_secret(org, "heartbeat_url", slack.heartbeat_url)
    monitoring.observe(crashing("web-0"))

    assert len(monitoring.check()) == 1
    assert len(monitoring.check()) == 0
    assert slack.heartbeats == 2

    # An unreachable monitor fails the run, after its posts are made and recorded.
    unreachable = "http://127.0.0.1:9/ping/3f9a"
    set_secret(org, "heartbeat_url", unreachable)
    monitoring.observe(crashing("web-0"), crashing("web-1"))
    monitoring.run(f"{APP.capitalize()} state_checks")
    failed = monitoring.run("_slack_notify_state_checks")
    assert failed.status == "failed"
    assert "summit/sasquatch/web-1 (main)" in slack.posts[-1].text
    assert len(alerted_keys(monitoring)) == 2
    logs = "\n".join(failed.log + [task["flux"] for task in tasks(org)])
    assert "connection refused" in logs
    assert slack.heartbeat_url not in logs and unreachable not in logs
    assert "/ping/" not in logs


# What reaches a post: names escaped, links (alertLinks).
def test_names_are_posted_literally_and_links_carry_them_url_encoded(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf):
    links = (AlertLink("Dashboard", "https://grafana.example/d/k8s?var-app={app}&var-cluster="
                                    "{cluster}&var-pod={pod}"),
             AlertLink("Runbook", "https://runbooks.example/{namespace}"))
    monitoring = deploy_monitoring(org, slack, [APP], TaskSettings(
        org=org.name, alert_links=links), telegraf=telegraf)
    monitoring.observe(crashing("<!here>|<https://evil.example|x>&@here"),
                       cluster="sum&mit <@U1>")

    [post] = monitoring.check()

    assert post.text == (
        "Container not running: sum&amp;mit &lt;@U1&gt;/sasquatch/&lt;!here&gt;|&lt;"
        "https://evil.example|x&gt;&amp;@here (main) is waiting (CrashLoopBackOff); pod Running, "
        "unready\n"
        "<https://grafana.example/d/k8s?var-app=sasquatch&var-cluster=sum%26mit%20%3C@U1%3E"
        "&var-pod=%3C%21here%3E%7C%3Chttps:%2F%2Fevil.example%7Cx%3E%26@here|Dashboard> · "
        "<https://runbooks.example/sasquatch|Runbook>")


def readme_grouped_examples() -> list[dict]:
    """The grouped post and the post with a link the README shows, as JSON bodies."""
    section = (REPO / "README.md").read_text().split("### Grouped posts and links", 1)[1]
    return json.loads(section.split("```json", 1)[1].split("```", 1)[0])


def test_the_readme_shows_the_grouped_post_and_the_links_slack_really_receives(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf):
    links = (AlertLink("Dashboard", "https://grafana.example/d/k8s?var-app={app}&var-pod={pod}"),)
    monitoring = deploy_monitoring(org, slack, [APP], TaskSettings(
        org=org.name, alert_links=links), telegraf=telegraf)
    monitoring.observe(broker(restarts=3), *(crashing(f"web-{n}") for n in range(4)))
    monitoring.observe(broker(restarts=4), *(crashing(f"web-{n}") for n in range(4)))

    monitoring.check()

    received = [re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "<time>", json.dumps(body))
                for body in monitoring.slack.bodies]
    print("\n".join(received))
    assert sorted(received) == sorted(json.dumps(body) for body in readme_grouped_examples())


# Resolved notices (postResolved).
def test_a_container_posted_as_not_running_is_resolved_once_when_it_runs_again(
        monitoring: Monitoring):
    monitoring.observe(crashing("web-0"), crashing("web-1"))
    [posted] = [post for post in monitoring.check() if "/web-0 " in post.text]

    monitoring.observe(pod("web-0"), crashing("web-1"))
    [resolved] = monitoring.check()

    assert resolved == Post(CHANNEL, "Resolved: summit/sasquatch/web-0 (main) is running again",
                            "good")
    assert monitoring.check() == []  # resolved once

    # Down again, in the same state, well within realertAfter of its first post: after a
    # resolved notice, silence would read as health, so it is posted again, once.
    monitoring.observe(crashing("web-0"), crashing("web-1"))
    [again] = monitoring.check()
    assert "summit/sasquatch/web-0 (main)" in again.text and again.text == posted.text
    assert monitoring.check() == []


def test_a_container_whose_pod_was_deleted_is_resolved_saying_so(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf):
    # A check every minute, so the deleted pod's last sample leaves the window in seconds.
    monitoring = deploy_monitoring(org, slack, [APP], TaskSettings(
        org=org.name, check_every="1m"), telegraf=telegraf)
    hot = pod("hot-0", Container("app", limits={"cpu": "500m"}, cpu_nanocores=475_000_000))
    monitoring.observe_earlier(50 / 60, crashing("web-0"), hot, pod("api-0"))
    posted = monitoring.check()
    assert sorted(post.text.split(":")[0] for post in posted) == [
        "CPU near its limit", "Container not running"]
    time.sleep(12)  # the deleted pods' samples are now over a minute old

    monitoring.observe(pod("api-0"))  # the cluster writes, without web-0's and hot-0's pods
    resolved = monitoring.check()

    assert sorted(resolved, key=lambda post: post.text) == [
        Post(CHANNEL, "Resolved: summit/sasquatch/hot-0 (app) is gone with its pod (CPU near its "
                      "limit)", "good"),
        Post(CHANNEL, "Resolved: summit/sasquatch/web-0 (main) is gone with its pod", "good")]
    assert monitoring.check() == []


def test_a_cluster_that_writes_again_is_resolved_and_the_one_that_never_stopped_is_not(
        monitoring: Monitoring):
    for cluster in ("base", "summit"):
        monitoring.observe_earlier(20, broker(), cluster=cluster)
    monitoring.observe(broker(), cluster="summit")
    [quiet] = monitoring.check()
    assert quiet.text.startswith("No data: base/sasquatch has written no pod samples since ")

    monitoring.observe(broker(), cluster="summit")
    assert monitoring.check() == []  # base still quiet: nothing resolved for it

    monitoring.observe(broker(), cluster="base")  # Telegraf resumes
    [resolved] = monitoring.check()
    assert resolved == Post(CHANNEL, "Resolved: base/sasquatch writes pod samples again", "good")
    assert monitoring.check() == []
