"""Alerts proven on data: the program's tasks run on the real influxd over data shaped like
Telegraf's, and each scenario checks what the fake Slack received (count, channel, text, color).

Every test asks for `influxd`: the emulator stores tasks but never runs Flux.
"""

from __future__ import annotations

import json
import re

import pytest

from flux.settings import SlackRoute, TaskSettings
from testbed.alerts import Monitoring, deploy_monitoring
from testbed.influx.seed import set_secret
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


# Restarts.
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


# Disks.
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


# When Slack fails.
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


# Names as they are.
@pytest.mark.parametrize("app, cluster", [
    ("say-hi", 'base "north"'),  # InfluxDB refuses quotes in bucket names, not in tags
    ("cost-$HOME-${x}", "summit $1"),
    ("back\\slash", "c:\\k8s"),
    ("télémétrie-観測", "sommet-☃"),
], ids=["quotes", "dollars", "backslashes", "unicode"])
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


# The README's examples.
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


# Containers near their limits.
def using(container: Container, seconds_ago: float, **fields: int):
    """A sample of Telegraf's kubernetes input (usage) or kube_inventory (limits)."""
    return container.sample(seconds_ago, extra=fields)


def test_a_container_over_90_percent_of_its_cpu_limit_is_posted_once(monitoring: Monitoring):
    hot, cool, unlimited = (Container("summit", APP, f"{name}-0", "app")
                            for name in ("hot", "cool", "unlimited"))
    write(monitoring.org, APP, [
        using(hot, 60, resource_limits_millicpu_units=500),
        using(hot, 30, cpu_usage_nanocores=475_000_000),  # 95 % of half a CPU
        using(cool, 60, resource_limits_millicpu_units=500),
        using(cool, 30, cpu_usage_nanocores=250_000_000),
        using(unlimited, 30, cpu_usage_nanocores=4_000_000_000),
    ])

    [post] = monitoring.check()
    assert post == Post(CHANNEL, "CPU near its limit: summit/sasquatch/hot-0 (app) uses 95% of it",
                        "warning")

    write(monitoring.org, APP, [using(hot, 10, cpu_usage_nanocores=490_000_000)])
    assert monitoring.check() == []  # still over: posted once per realertAfter


def test_memory_near_its_limit_is_posted_only_when_memory_checks_are_on(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack):
    monitoring = deploy_monitoring(org, slack, [APP], TaskSettings(org=org.name,
                                                                   memory_checks=True))
    full = Container("summit", APP, "cache-0", "redis")
    write(org, APP, [using(full, 60, resource_limits_memory_bytes=2**30),
                     using(full, 30, memory_usage_bytes=int(0.97 * 2**30))])

    [post] = monitoring.check()
    assert post.text == "Memory near its limit: summit/sasquatch/cache-0 (redis) uses 97% of it"


def test_memory_near_its_limit_is_not_posted_by_default(monitoring: Monitoring):
    full = Container("summit", APP, "cache-0", "redis")
    write(monitoring.org, APP, [using(full, 60, resource_limits_memory_bytes=2**30),
                                using(full, 30, memory_usage_bytes=int(0.97 * 2**30))])

    assert monitoring.check() == []


# Routing by cluster.
def test_each_cluster_is_posted_to_its_own_channel_and_webhook_and_the_rest_to_the_default(
        influxd: InfluxServer, org: InfluxOrg, slack: FakeSlack):
    summit_slack = FakeSlack()
    try:
        routed = TaskSettings(org=org.name, slack_routes=(
            SlackRoute("summit", "#summit-alerts", "slack_webhook_summit"),))
        monitoring = deploy_monitoring(org, slack, [APP], routed)
        set_secret(org, "slack_webhook_summit", summit_slack.url)
        base = Container(cluster="base", namespace=APP, pod="kafka-0", name="broker")
        hot = Container("summit", APP, "hot-0", "app")
        write(org, APP, [*restarted(BROKER, 0, 1), *restarted(base, 0, 1),
                         using(hot, 60, resource_limits_millicpu_units=100),
                         using(hot, 30, cpu_usage_nanocores=99_000_000)])
        write(org, routed.disk_bucket, [disk_sample("db-1", "/data", 99.0, 30)])

        default_posts = monitoring.check()
        summit_posts = summit_slack.posts
    finally:
        summit_slack.stop()

    assert sorted((post.channel, post.text.split(":")[0]) for post in summit_posts) == [
        ("#summit-alerts", "CPU near its limit"), ("#summit-alerts", "Container restarted")]
    assert all("summit/" in post.text for post in summit_posts)
    assert sorted((post.channel, post.text.split(":")[0]) for post in default_posts) == [
        (CHANNEL, "Container restarted"), (CHANNEL, "Disk /data on db-1 is 99% full")]
    assert "base/sasquatch/kafka-0" in default_posts[0].text + default_posts[1].text
