"""What the real Telegraf writes, held against what the alert tasks read: the README's table of
plugins, measurements, fields and tags, and the disk check on this machine's disks.

The pods come from the fake Kubernetes API and kubelet; the disks are this machine's own. Each test
asks for `influxd`: what counts is what the real server stores and the real tasks read.
"""

from __future__ import annotations

import re

from flux.settings import TaskSettings
from flux.tasks import app_tasks, global_tasks
from testbed.alerts import deploy_monitoring
from testbed.influx.holdings import series
from testbed.influx.points import disk_sample, retimed, write, write_lines
from testbed.influx.seed import add_bucket
from testbed.influx.server import InfluxOrg, InfluxServer
from testbed.kubernetes.pods import Container, Pod
from testbed.paths import REPO
from testbed.slack import FakeSlack
from testbed.telegraf import Telegraf

# Every kind of pod and container the alerts tell apart, each field Telegraf can write set.
EVERYTHING = [
    Pod("ns", "web-0", (Container("app", limits={"cpu": "1", "memory": "1Gi"},
                                  requests={"cpu": "100m", "memory": "64Mi"}),)),
    Pod("ns", "job-0", (Container("job", state="terminated", reason="Completed"),),
        phase="Failed", reason="Evicted"),
    Pod("ns", "loop-0", (Container("app", state="waiting", reason="CrashLoopBackOff",
                                   restarts=3),)),
]


def readme_table() -> list[dict[str, object]]:
    """The rows of the README's "What Telegraf must write": plugin, measurement, fields, tags."""
    section = (REPO / "README.md").read_text().split("### What Telegraf must write", 1)[1]
    table = section[section.index("\n|"):].split("\n\n", 1)[0].strip().splitlines()[2:]
    rows = []
    for line in table:
        plugin, measurement, fields, tags = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append({"plugin": re.match(r"`([\w.]+)`", plugin).group(1),
                     "measurement": measurement.strip("`"),
                     "fields": set(re.findall(r"`(\w+)`", fields)),
                     "tags": set(re.findall(r"`(\w+)`", tags))})
    return rows


def fields_the_tasks_read() -> set[tuple[str, str]]:
    """(measurement, field) of every series the rendered tasks filter on, less what the tasks
    write themselves (findings and the record of sent posts): what they need of Telegraf."""
    settings = TaskSettings(memory_checks=True)
    scripts = [spec.flux for spec in [*app_tasks("app", settings), *global_tasks(settings)]]
    written = {field for flux in scripts for field in re.findall(r'_field: "(\w+)"', flux)}
    return {(measurement, field) for flux in scripts
            for measurement in re.findall(r'r\._measurement == "(\w+)"', flux)
            for field in re.findall(r'r\._field == "(\w+)"', flux)
            if measurement != "slack_alert" and field not in written}


def test_the_readme_telegraf_table_is_what_telegraf_writes_and_what_the_tasks_read(
        influxd: InfluxServer, org: InfluxOrg, telegraf: Telegraf):
    add_bucket(org, "app")
    telegraf.collect(org, "app", EVERYTHING)
    telegraf.write_disks(org, "app")
    stored = series(org, "app")
    rows = readme_table()

    for row in rows:
        for field in row["fields"]:
            tagged = [one for one in stored if (one.measurement, one.field)
                      == (row["measurement"], field) and row["tags"] <= one.tag_keys]
            assert tagged, f"{row['plugin']}: no {row['measurement']} {field} with {row['tags']}"
    listed = {(row["measurement"], field) for row in rows for field in row["fields"]}
    assert fields_the_tasks_read() == listed


def used_percent(point) -> float:
    [value] = [value for key, _, value in point.fields if key == "used_percent"]
    return value


def test_the_disk_check_posts_this_machines_disks_as_telegraf_writes_them(
        influxd: InfluxServer, org: InfluxOrg, telegraf: Telegraf):
    disks = telegraf.disks()
    assert disks, "Telegraf's disk input found no disk on this machine"
    for point in disks:
        assert point.measurement == "disk" and {"host", "path"} <= set(point.tags)
        assert ("used_percent", "float") in {(key, kind) for key, kind, _ in point.fields}
    slack = FakeSlack()
    try:
        settings = TaskSettings(org=org.name, disk_warn_percent=1, disk_danger_percent=100)
        monitoring = deploy_monitoring(org, slack, [], settings, telegraf=telegraf)
        monitoring.observe_disks()
        posts = monitoring.check()
    finally:
        slack.stop()

    posted = {re.fullmatch(r"Disk (.+) on (.+) is \d+% full", post.text).groups()
              for post in posts}
    assert posted == {(point.tags["path"], point.tags["host"]) for point in disks
                      if used_percent(point) > 1}


def test_disk_points_written_by_hand_have_the_shape_telegraf_writes(
        influxd: InfluxServer, org: InfluxOrg, telegraf: Telegraf):
    for bucket in ("by-telegraf", "by-hand"):
        add_bucket(org, bucket)
    telegraf.write_disks(org, "by-telegraf")
    write(org, "by-hand", [disk_sample("db-1", "/data", 90.0, 10)])

    def shape(bucket: str) -> set[tuple[str, str, str, frozenset[str]]]:
        # A disk with a file-system label has a `label` tag, one without none.
        return {(one.measurement, one.field, one.type, one.tag_keys - {"label"})
                for one in series(org, bucket)}

    assert shape("by-hand") == shape("by-telegraf")


def test_a_retimed_sample_is_the_series_telegraf_writes_at_the_time_given(
        influxd: InfluxServer, org: InfluxOrg, telegraf: Telegraf):
    for bucket in ("written", "retimed"):
        add_bucket(org, bucket)
    telegraf.collect(org, "written", EVERYTHING, cluster="base")
    write_lines(org, "retimed", retimed(telegraf.sample(EVERYTHING, cluster="base"), 20 * 60))

    assert series(org, "retimed") == series(org, "written")
    assert series(org, "retimed", since="-19m") == set()  # all 20 minutes back
