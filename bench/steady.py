"""The steady state: what the deployed tasks cost the real influxd, cycle after cycle.

`steady_state(server, org, apps, pods)`: the org gets `apps` application buckets (as the deploy
phases seed them), each fed the data Telegraf writes for `pods` pods of 2 containers, a sample
every SAMPLE_SECONDS: kube_inventory's `kubernetes_pod_container` (restart count, state, limits;
the test bed's shapes, testbed/influx/telegraf.py) and the kubelet input's (CPU and memory use),
from the longest look-back of the per-app tasks (restarts: two check periods) up to now. In every
app one container restarts every RESTART_SECONDS, one waits in CrashLoopBackOff and one runs
over its CPU limit, so every task kind finds something, as a real cluster's would. The program
is deployed with the real CLI, its tasks made inactive (testbed/alerts.py), then each cycle:
- the feed catches up to now (Telegraf keeps writing) and influxd is left to go quiet (its
  snapshots and compactions are not the tasks' cost);
- the tasks of one kind at a time are forced to run, 8 side by side, and awaited: the app kinds,
  then the notifiers, as the scheduler runs them within a period. influxd's CPU seconds (/proc)
  are read before and after each kind, until influxd counts them all finished, less what
  forcing a run costs the server (measured the same way on FORCING_SAMPLE no-op tasks, per
  run); the runs are read through the API afterwards;
- the points each kind wrote to multiapp_ and alerted_ are counted.

The share of one core at the default schedule: the app kinds' CPU per cycle / checkEvery, plus
the notifiers' / notifyEvery. Run durations come from the runs API (startedAt to finishedAt).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.org import app_name, seed_org
from bench.phases import STACK, PhaseFailed
from flux.literals import duration_ns
from flux.settings import TaskSettings
from flux.tasks import APP_KINDS, GLOBAL_KINDS, kinds_on, task_name
from testbed.alerts import RUN_SECONDS, Monitoring, Run, watch_deployed
from testbed.engine.cli import PulumiCli
from testbed.engine.processes import cpu_seconds_of
from testbed.influx.holdings import flux_rows
from testbed.influx.points import Point, disk_sample, write
from testbed.influx.seed import HOST_BUCKET, set_secret
from testbed.influx.server import REPO, InfluxOrg, InfluxServer
from testbed.slack import FakeSlack

SAMPLE_SECONDS = 10  # Telegraf's default interval
RESTART_SECONDS = 300  # the crash-looping container's restarts
CONTAINERS = ("main", "sidecar")
WRITE_BATCH = 5000  # lines per write request, as Telegraf's metric_batch_size is 1000-5000
FORCING_SAMPLE = 30  # no-op tasks forced to measure what forcing a run costs the server
QUIET_CPU = 0.05  # influxd is quiet below this share of a core
QUIET_SECONDS = 120  # ... or after this long, whatever it does
CPU_LIMIT_MILLICPU = 500
NS = 10**9
STATE_CODES = {"running": 0, "terminated": 1, "waiting": 2}  # kube_inventory's state_code
LIMITS = {"resource_limits_millicpu_units": CPU_LIMIT_MILLICPU,
          "resource_requests_millicpu_units": CPU_LIMIT_MILLICPU // 5,
          "resource_limits_memory_bytes": 512 * 2**20,
          "resource_requests_memory_bytes": 128 * 2**20}
# The troubled containers of every app, by (pod, container): what each one does.
TROUBLE = {(0, 0): "restarts", (1, 0): "crash loop", (2, 0): "busy"}


@dataclass(frozen=True)
class Kind:
    """One kind of task: its template, and the tasks of that kind the program keeps."""

    name: str
    template: str
    tasks: list[str]
    per_app: bool


def kinds(settings: TaskSettings, apps: list[str]) -> list[Kind]:
    """The program's task kinds, the app kinds first, as the scheduler's period runs them."""
    app_kinds = [Kind(kind, kind, [task_name(app, kind) for app in apps], True)
                 for kind in kinds_on(APP_KINDS, settings)]
    notifiers = [Kind(f"notify {kind}", "slack_notify_disk" if kind == "disk_checks"
                      else "slack_notify_findings", [task_name(None, kind)], False)
                 for kind in kinds_on(GLOBAL_KINDS, settings)]
    return app_kinds + notifiers


class Feed:
    """Telegraf's writes for every app: `pods` pods of 2 containers, a sample every
    SAMPLE_SECONDS, written up to now each time `catch_up` is called."""

    def __init__(self, org: InfluxOrg, apps: list[str], pods: int, window_seconds: int) -> None:
        self.org, self.apps, self.pods = org, apps, pods
        self.written_to = _on_grid(time.time()) - window_seconds  # the last sample written
        self.points = 0

    def catch_up(self) -> int:
        """Write every sample due since the last call: the points written."""
        now = _on_grid(time.time())
        times = range(self.written_to + SAMPLE_SECONDS, now + 1, SAMPLE_SECONDS)
        if not times:
            return 0
        written = 0
        for app in self.apps:
            lines = [point for at in times for point in self.samples(app, at)]
            for start in range(0, len(lines), WRITE_BATCH):
                write(self.org, app, lines[start:start + WRITE_BATCH])
            written += len(lines)
        write(self.org, HOST_BUCKET, [disk_sample("node-1", "/", 40.0, time.time() - at)
                                      for at in times])
        self.written_to = now
        self.points += written
        return written

    def samples(self, app: str, at: int) -> list[Point]:
        """Both inputs' points for every container of the app at time `at` (epoch seconds)."""
        seconds_ago = time.time() - at
        points = []
        for pod in range(self.pods):
            for index, name in enumerate(CONTAINERS):
                tags = {"cluster": "summit", "namespace": app, "pod_name": f"{app}-{pod:03d}",
                        "container_name": name, "node_name": f"node-{pod % 8}"}
                trouble = TROUBLE.get((pod, index), "")
                points.append(inventory_sample(
                    tags, seconds_ago,
                    restarts=at // RESTART_SECONDS if trouble == "restarts" else 0,
                    waiting="CrashLoopBackOff" if trouble == "crash loop" else ""))
                busy = 0.95 if trouble == "busy" else 0.2
                points.append(kubelet_sample(tags, seconds_ago,
                                             int(busy * CPU_LIMIT_MILLICPU * 1e6)))
        return points


def inventory_sample(tags: dict[str, str], seconds_ago: float, restarts: int,
                     waiting: str) -> Point:
    """What Telegraf's kube_inventory input writes for a container of a running pod: running,
    or waiting for the `waiting` reason."""
    state = "waiting" if waiting else "running"
    fields = {"restarts_total": restarts, "state_code": STATE_CODES[state], **LIMITS,
              **({"state_reason": waiting} if waiting else {})}
    return Point("kubernetes_pod_container",
                 {**tags, "image": f"ghcr.io/lsst-sqre/{tags['namespace']}", "version": "1.0.0",
                  "phase": "Running", "state": state,
                  "readiness": "unready" if waiting else "ready"}, fields, seconds_ago)


def kubelet_sample(tags: dict[str, str], seconds_ago: float, nanocores: int) -> Point:
    """What Telegraf's kubernetes (kubelet) input writes for a container: its use, no state."""
    fields = {"cpu_usage_nanocores": nanocores, "cpu_usage_core_nanoseconds": 10**12,
              "memory_usage_bytes": 200 * 2**20, "memory_working_set_bytes": 150 * 2**20,
              "memory_rss_bytes": 100 * 2**20, "memory_page_faults": 1000,
              "memory_major_page_faults": 0, "rootfs_used_bytes": 2**20,
              "logsfs_used_bytes": 2**20}
    return Point("kubernetes_pod_container", tags, fields, seconds_ago)


def _on_grid(seconds: float) -> int:
    return int(seconds) // SAMPLE_SECONDS * SAMPLE_SECONDS


class Server:
    """influxd's process, read from /proc; an influxd not started here reads as using none."""

    def __init__(self, server: InfluxServer) -> None:
        self.server = server
        self.pid = server.process.pid if server.process else None

    def cpu(self) -> float:
        return cpu_seconds_of(self.pid) if self.pid else 0.0

    def spent_on(self, monitoring: Monitoring, names: list[str]) -> tuple[float, list[Run]]:
        """Force a run of each named task and wait until influxd has run them all: the CPU
        seconds it spent meanwhile, and the runs. The runs are awaited through the API only
        after the CPU is read (each look at a finished run is a query of influxd's `_tasks`
        bucket): until then, influxd's count of finished runs says when they are done."""
        finished = self.runs_finished()
        before = self.cpu()
        paths = monitoring.force_all(names)
        deadline = time.monotonic() + RUN_SECONDS * len(names)
        while self.runs_finished() < finished + len(names) and time.monotonic() < deadline:
            time.sleep(0.2)
        spent = self.cpu() - before
        return spent, monitoring.await_all(paths)

    def runs_finished(self) -> int:
        """The task runs influxd has finished since it started, whatever their status."""
        return int(sum(sample.value for sample in
                       self.server.metric_samples("task_executor_total_runs_complete_total")))

    def quiet(self) -> float:
        """Wait until influxd uses less than QUIET_CPU of a core (or QUIET_SECONDS pass): the
        share of a core it used in its last second."""
        deadline = time.monotonic() + QUIET_SECONDS
        while True:
            before = self.cpu()
            time.sleep(1)
            share = self.cpu() - before
            if share < QUIET_CPU or time.monotonic() > deadline:
                return share


def count_points(org: InfluxOrg, bucket: str) -> int:
    """The points a bucket holds (a finding written again onto the same point counts once)."""
    flux = f'from(bucket: "{bucket}") |> range(start: 0) |> group() |> count()'
    return sum(int(values["_value"]) for values, _types in flux_rows(org, flux))


def forcing_cost(org: InfluxOrg, monitoring: Monitoring, server: Server, count: int) -> float:
    """influxd's CPU seconds for forcing one run and running it when it does nothing (what the
    test bed adds to a run, and what the scheduler's own bookkeeping of a run costs), measured
    on `count` no-op tasks made for it, then deleted."""
    names = [f"bench no-op {number}" for number in range(count)]
    ids = {}
    for name in names:
        flux = (f'import "array"\n\noption task = {{name: "{name}", every: 1h}}\n\n'
                'array.from(rows: [{_value: 0}]) |> filter(fn: (r) => false)\n')
        response = org.server.api("POST", "/api/v2/tasks",
                                  json={"orgID": org.id, "flux": flux, "status": "inactive"})
        response.raise_for_status()
        ids[name] = response.json()["id"]
    monitoring.task_ids.update(ids)
    server.quiet()
    spent, _runs = server.spent_on(monitoring, names)
    for name, task_id in ids.items():
        del monitoring.task_ids[name]
        org.server.api("DELETE", f"/api/v2/tasks/{task_id}").raise_for_status()
    return spent / count


def deploy(org: InfluxOrg, scratch: Path) -> None:
    """`pulumi up` of the program for the org, with the real CLI."""
    cli = PulumiCli(REPO, state_dir=scratch, stack=STACK, config=org.stack_config(),
                    secret_config_keys={"influxdb:token"})
    result = cli.up()
    if result.error:
        raise PhaseFailed(f"up failed: {result.error}")


def steady_state(server: InfluxServer, org: InfluxOrg, apps: int, pods: int, cycles: int = 3,
                 progress: Callable[[str], None] = lambda _line: None) -> dict:
    """Seed, feed and deploy the org, then run every task once per cycle: the measurements (see
    the module's docstring), each kind's CPU seconds per cycle in a list."""
    settings = TaskSettings(org=org.name)
    load = [os.getloadavg()[0]]
    names = [app_name(number) for number in range(apps)]
    seed_org(org, apps)
    slack = FakeSlack()
    try:
        set_secret(org, settings.slack_secret_key, slack.url)
        check_ns = duration_ns(settings.check_every, "checkEvery")
        feed = Feed(org, names, pods, 2 * check_ns // NS)
        progress(f"{apps} apps of {pods} pods: writing {2 * check_ns // NS} s of samples")
        feed.catch_up()
        with tempfile.TemporaryDirectory(prefix="bench-steady-") as scratch:
            progress(f"{apps} apps of {pods} pods: pulumi up")
            deploy(org, Path(scratch))
        monitoring = watch_deployed(org, slack, settings, names)
        influxd = Server(server)
        forcing = forcing_cost(org, monitoring, influxd, FORCING_SAMPLE)
        measured = {kind.name: _empty(kind) for kind in kinds(settings, names)}
        idle = []
        for cycle in range(cycles):
            feed.catch_up()
            monitoring.written = time.time()  # runs start after it, to read what it wrote
            idle.append(influxd.quiet())
            for kind in kinds(settings, names):
                _run_kind(org, monitoring, influxd, kind, forcing, measured[kind.name])
            progress(f"{apps} apps of {pods} pods: cycle {cycle + 1} of {cycles}")
    finally:
        slack.stop()
    load.append(os.getloadavg()[0])
    return _summary(apps, pods, cycles, settings, measured, forcing, idle, feed.points, load)


def _empty(kind: Kind) -> dict:
    return {"template": kind.template, "tasks": len(kind.tasks), "per_app": kind.per_app,
            "runs": 0, "cpu_seconds": [], "run_seconds": [], "multiapp_points": 0,
            "alerted_points": 0}


def _run_kind(org: InfluxOrg, monitoring: Monitoring, influxd: Server, kind: Kind,
              forcing: float, into: dict) -> None:
    settings = monitoring.settings
    points_before = [count_points(org, settings.multiapp_bucket),
                     count_points(org, settings.alerted_bucket)]
    spent, runs = influxd.spent_on(monitoring, kind.tasks)
    points_after = [count_points(org, settings.multiapp_bucket),
                    count_points(org, settings.alerted_bucket)]
    into["runs"] += len(runs)
    into["cpu_seconds"].append(round(max(0.0, spent - forcing * len(runs)), 3))
    into["run_seconds"] += [run.seconds for run in runs if run.seconds is not None]
    into["multiapp_points"] += points_after[0] - points_before[0]
    into["alerted_points"] += points_after[1] - points_before[1]


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank); 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _summary(apps: int, pods: int, cycles: int, settings: TaskSettings, measured: dict,
             forcing: float, idle: list[float], points: int, load: list[float]) -> dict:
    periods = {True: duration_ns(settings.check_every, "checkEvery") / NS,
               False: duration_ns(settings.notify_every, "notifyEvery") / NS}
    # A scheduled run also costs what a no-op run does (the run recorded, its script compiled):
    # the share with it is the upper bound.
    forced = sum(forcing * kind["tasks"] / periods[kind["per_app"]] for kind in measured.values())
    for kind in measured.values():
        cpu = statistics.median(kind["cpu_seconds"])
        durations = kind.pop("run_seconds")
        kind.update(cpu_per_cycle=round(cpu, 3), run_p50=round(percentile(durations, 0.5), 3),
                    run_p95=round(percentile(durations, 0.95), 3),
                    core_share=cpu / periods[kind["per_app"]])
    return {"phase": "steady", "engine": "real", "server": "influxd", "buckets": apps,
            "pods": pods, "cycles": cycles, "check_every": settings.check_every,
            "notify_every": settings.notify_every, "forcing_cpu_per_run": round(forcing, 4),
            "idle_core_share": round(statistics.median(idle), 3), "points_fed": points,
            "load_average": [round(value, 1) for value in load], "kinds": measured,
            "core_share": sum(kind["core_share"] for kind in measured.values()),
            "core_share_with_forcing": sum(kind["core_share"] for kind in measured.values())
            + forced}
