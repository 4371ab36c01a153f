"""Alerts proven on data: the program's tasks run on the real influxd over data shaped like
Telegraf's, and each scenario checks what the fake Slack received (count, channel, text, color).

Every test asks for `influxd`: the emulator stores tasks but never runs Flux.
"""

from __future__ import annotations

import json
import re

import pytest

from flux.settings import TaskSettings
from testbed.alerts import Monitoring, deploy_monitoring, set_secret
from testbed.influx.server import InfluxOrg, InfluxServer
from testbed.influx.telegraf import Container, Point, disk_sample, write
from testbed.paths import REPO
from testbed.slack import FakeSlack, Post

APP = "sasquatch"
CHANNEL = "#influxdb-alerts"
BROKER = Container(cluster="summit", namespace=APP, pod="kafka-0", name="broker")


@pytest.fixture
def slack() -> FakeSlack:
    fake = FakeSlack()
    yield fake
    fake.stop()


@pytest.fixture
def monitoring(influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack) -> Monitoring:
    return deploy_monitoring(org, slack, [APP])


def restarted(container: Container, before: int, after: int, at: float = 60) -> list:
    """The container's restart counter going from `before` to `after`, `at` seconds ago."""
    return [container.sample(at + 120, restarts=before), container.sample(at, restarts=after)]


# --- Restarts -------------------------------------------------------------------------------------
def test_a_restart_is_posted_once_and_a_later_restart_again(monitoring: Monitoring):
    write(monitoring.org, APP, restarted(BROKER, 3, 4, at=90))

    [post] = monitoring.check()
    assert (post.channel, post.color) == (CHANNEL, "danger")
    assert post.text.startswith(
        "Container restarted: summit/sasquatch/kafka-0 (broker), 1 restart(s) by ")

    assert monitoring.check() == []  # the same restart, seen again: already posted

    write(monitoring.org, APP, [BROKER.sample(20, restarts=5)])
    [again] = monitoring.check()
    assert again.text.startswith("Container restarted: summit/sasquatch/kafka-0 (broker)")
    assert again.text != post.text


def test_a_restart_counter_that_drops_when_a_pod_is_recreated_is_not_posted(
        monitoring: Monitoring):
    write(monitoring.org, APP, restarted(BROKER, 7, 0))

    assert monitoring.check() == []


# --- Container states: the README's table, run as it is written ---------------------------------
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


def test_each_container_state_gives_the_post_the_readme_table_promises(monitoring: Monitoring):
    containers = {}
    for number, row in enumerate(STATES):
        container = Container(cluster="summit", namespace=APP, pod=f"pod-{number}", name="main")
        containers[container.pod] = row
        write(monitoring.org, APP, [container.sample(
            30, restarts=0, state=row["state"], reason=row["reason"], phase=row["pod phase"],
            ready=False)])

    posts = {re.search(r"/(pod-\d+) ", post.text).group(1): post for post in monitoring.check()}

    expected = {pod: row["Slack"] for pod, row in containers.items() if row["Slack"] != "none"}
    assert {pod: post.color for pod, post in posts.items()} == expected
    for pod, post in posts.items():
        row = containers[pod]
        assert f"/{APP}/{pod} (main) is {row['state']} ({row['reason']})" in post.text
    assert monitoring.check() == []  # still in the same state: not posted again


def test_ignored_pods_and_pending_pods_are_not_posted_when_so_configured(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack):
    quiet = TaskSettings(org=org.name, ignore_pods=("prepull-*",), alert_pending_pods=False)
    monitoring = deploy_monitoring(org, slack, [APP], quiet)
    prepull = Container(cluster="summit", namespace=APP, pod="prepull-x7k2p", name="pull")
    pending = Container(cluster="summit", namespace=APP, pod="web-1", name="main")
    running_pod = Container(cluster="summit", namespace=APP, pod="web-2", name="main")
    write(org, APP, [
        *restarted(prepull, 0, 1),
        prepull.sample(30, state="waiting", reason="CrashLoopBackOff"),
        pending.sample(30, state="waiting", reason="ImagePullBackOff", phase="Pending"),
        running_pod.sample(30, state="waiting", reason="CrashLoopBackOff"),
    ])

    [post] = monitoring.check()
    assert "/web-2 (main) is waiting (CrashLoopBackOff)" in post.text


# --- Disks ----------------------------------------------------------------------------------------
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


# --- When Slack fails -----------------------------------------------------------------------------
def test_a_post_slack_refuses_is_not_recorded_and_the_next_run_posts_it(monitoring: Monitoring):
    write(monitoring.org, APP, restarted(BROKER, 0, 1))
    monitoring.slack.answer = 500
    refused = monitoring.check()
    assert len(refused) == 1

    monitoring.slack.answer = 200
    [posted] = monitoring.check()
    assert posted == refused[0]
    assert monitoring.check() == []


def test_an_unreachable_slack_fails_the_run_visibly_and_the_next_run_posts(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack):
    monitoring = deploy_monitoring(org, slack, [APP])
    set_secret(org, monitoring.settings.slack_secret_key, "http://127.0.0.1:9/unreachable")
    write(org, APP, restarted(BROKER, 0, 1))
    monitoring.run(f"{APP.capitalize()} restarts")

    failed = monitoring.run("_slack_notify_restarts")
    assert failed.status == "failed"
    assert any("connection refused" in line for line in failed.log), failed.log

    set_secret(org, monitoring.settings.slack_secret_key, slack.url)
    [post] = monitoring.check()
    assert "summit/sasquatch/kafka-0 (broker)" in post.text


def test_a_missing_webhook_secret_is_named_in_the_run_log(influxd: InfluxServer, org: InfluxOrg,
                                                          slack: FakeSlack):
    monitoring = deploy_monitoring(org, slack, [APP], secret=False)
    write(org, APP, restarted(BROKER, 0, 1))
    monitoring.run(f"{APP.capitalize()} restarts")

    failed = monitoring.run("_slack_notify_restarts")

    assert failed.status == "failed"
    assert any("slack_webhook_url" in line for line in failed.log), failed.log
    assert slack.posts == []


# --- Names as they are ---------------------------------------------------------------------------
@pytest.mark.parametrize("app, cluster", [
    ("say-hi", 'base "north"'),  # InfluxDB refuses quotes in bucket names, not in tags
    ("télémétrie-観測", "sommet-☃"),
], ids=["quotes", "unicode"])
def test_app_and_cluster_names_reach_slack_as_they_are(influxd: InfluxServer, org: InfluxOrg,
                                                       slack: FakeSlack, app: str, cluster: str):
    monitoring = deploy_monitoring(org, slack, [app])
    pod = Container(cluster=cluster, namespace="ns", pod="p-0", name="c")
    write(org, app, [*restarted(pod, 0, 1), pod.sample(30, state="waiting",
                                                       reason="CrashLoopBackOff")])

    texts = sorted(post.text for post in monitoring.check())

    assert len(texts) == 2
    assert texts[0].startswith(f"Container not running: {cluster}/{app}/p-0 (c) is waiting")
    assert texts[1].startswith(f"Container restarted: {cluster}/{app}/p-0 (c), 1 restart(s) by ")


def test_posts_recorded_before_alert_keys_existed_do_not_stop_the_notifiers(
        monitoring: Monitoring):
    earlier = Point("slack_alert", {"alert": "restarts", "message": "an older post"},
                    {"status": 200}, 300)
    write(monitoring.org, monitoring.settings.alerted_bucket, [earlier])
    write(monitoring.org, APP, restarted(BROKER, 0, 1))

    assert len(monitoring.check()) == 1


# --- The README's examples ----------------------------------------------------------------------
def readme_examples() -> list[dict]:
    """The Slack posts the README shows, one per kind, as JSON bodies."""
    section = (REPO / "README.md").read_text().split("### What the posts look like", 1)[1]
    return json.loads(section.split("```json", 1)[1].split("```", 1)[0])


def test_the_readme_shows_the_posts_slack_really_receives(monitoring: Monitoring):
    nightly = Container(cluster="summit", namespace="nublado", pod="jupyter-alice", name="notebook")
    write(monitoring.org, APP, [*restarted(BROKER, 3, 4),
                                nightly.sample(30, state="waiting", reason="CrashLoopBackOff",
                                               ready=False)])
    write(monitoring.org, monitoring.settings.disk_bucket, [
        disk_sample("db-1", "/data", 92.4, 30)])

    monitoring.check()

    received = [re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "<time>", json.dumps(body))
                for body in monitoring.slack.bodies]
    assert sorted(received) == sorted(json.dumps(body) for body in readme_examples())
