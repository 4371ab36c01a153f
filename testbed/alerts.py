"""The test bed for alerts: the program's tasks deployed into an org of a real InfluxDB, the Slack
webhook secret pointing at a fake Slack, and the tasks run on demand.

Tasks are rendered by `flux.tasks` and created through the Task provider in the SDK's provider
host, as `pulumi up` creates them. A run is forced with `POST /api/v2/tasks/{id}/runs` and waited
for, so a test takes seconds, not the minutes of the tasks' schedules. The tasks are kept
inactive: a scheduled run racing a forced one would post what the forced one is about to record
as sent. influxd forces runs of active tasks only, so a task is active for the moment it takes to
queue its run.

Pod and container data comes from the real Telegraf (`observe`), as the clusters write it.
Telegraf stamps what it gathers with the time it runs; a sample minutes in the past
(`observe_earlier`) is Telegraf's own line protocol for the pods, re-timed and written here.
"""

from __future__ import annotations

import datetime
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flux.settings import TaskSettings
from flux.tasks import TaskSpec, app_tasks, global_tasks
from testbed.influx.holdings import tasks
from testbed.influx.points import retimed, write_lines
from testbed.influx.seed import add_bucket, set_secret
from testbed.influx.server import InfluxOrg
from testbed.kubernetes.pods import Pod
from testbed.provider_kinds import TASK, check_and_create, provider_host
from testbed.slack import FakeSlack, Post
from testbed.telegraf import Telegraf

RUN_SECONDS = 60
# The longest wait between two reads of a forced run: both influxd and the test bed pay for each.
POLL_SECONDS = 0.2
DONE = ("success", "failed", "canceled")


class RunFailed(AssertionError):
    """A task run that did not succeed; the message holds the run's log."""


@dataclass
class Run:
    task: str
    status: str
    log: list[str]
    seconds: float | None = None  # from the run's startedAt to its finishedAt, as influxd says


@dataclass
class Monitoring:
    """The program's tasks for `apps` in `org`, their ids by name, the Slack they post to, and the
    Telegraf that writes what they read."""

    org: InfluxOrg
    slack: FakeSlack
    settings: TaskSettings
    apps: list[str]
    telegraf: Telegraf | None = None
    task_ids: dict[str, str] = field(default_factory=dict)
    last_run: dict[str, float] = field(default_factory=dict)
    written: float = 0.0  # when Telegraf last wrote

    def observe(self, *pods: Pod, cluster: str = "summit", app: str | None = None) -> None:
        """One sample of the pods, written by Telegraf as `cluster` into the bucket of `app` (the
        first app unless named)."""
        self._telegraf().collect(self.org, app or self.apps[0], pods, cluster)
        self.written = time.time()

    def observe_earlier(self, minutes_ago: float, *pods: Pod, cluster: str = "summit",
                        app: str | None = None) -> None:
        """One sample of the pods as Telegraf gathers it for `cluster`, written into the bucket
        of `app` (the first app unless named) as if gathered `minutes_ago`."""
        lines = self._telegraf().sample(pods, cluster)
        write_lines(self.org, app or self.apps[0], retimed(lines, minutes_ago * 60))
        self.written = time.time()

    def observe_disks(self) -> None:
        """One sample of this machine's disks, written by Telegraf into the disk bucket."""
        self._telegraf().write_disks(self.org, self.settings.disk_bucket)
        self.written = time.time()

    def _telegraf(self) -> Telegraf:
        if self.telegraf is None:
            raise ValueError("Monitoring.observe needs a Telegraf: pass telegraf= when deploying")
        return self.telegraf

    def run(self, name: str) -> Run:
        """Run the task now and wait for it to finish: its status and log."""
        return await_run(self.org, name, self.force(name))

    def force(self, name: str) -> str:
        """Queue a run of the task now: the run's API path, to await it by.

        A forced run's now() is its start to the second, and its look-backs end before now():
        runs of one task start in different seconds, as scheduled ones do, and every run starts
        in a second after Telegraf last wrote, so that it reads what was written.
        """
        previous = self.last_run.get(name, 0.0)
        start = max(math.floor(previous) + 1 if previous else 0, math.floor(self.written) + 1)
        time.sleep(max(0.0, start - time.time()))
        self.last_run[name] = time.time()
        return force_run(self.org, self.task_ids[name])

    def check(self) -> list[Post]:
        """One round of the schedule: the app tasks side by side, then the org-wide ones (the
        notifiers), each run once and required to succeed; the Slack posts made in the round."""
        before = len(self.slack.bodies)
        app_tasks = [name for name in self.task_ids if not name.startswith("_")]
        org_tasks = [name for name in self.task_ids if name.startswith("_")]
        for stage in (app_tasks, org_tasks):
            self.run_all(stage)
        return self.slack.posts[before:]

    def run_all(self, names: list[str]) -> list[Run]:
        """Run the named tasks side by side, as the scheduler would run tasks due together:
        their runs, once every one has finished; RunFailed if one did not succeed."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            return succeeded(list(pool.map(self.run, names)))

    def force_all(self, names: list[str]) -> dict[str, str]:
        """Queue a run of each named task, 8 at a time: the runs' API paths by task name."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            return dict(zip(names, pool.map(self.force, names), strict=True))

    def await_all(self, run_paths: dict[str, str]) -> list[Run]:
        """Await the forced runs (paths by task name): as `run_all`."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            return succeeded(list(pool.map(lambda item: await_run(self.org, *item),
                                           run_paths.items())))


def succeeded(runs: list[Run]) -> list[Run]:
    """The runs, if every one succeeded; else RunFailed with the first failure's log."""
    for run in runs:
        if run.status != "success":
            raise RunFailed(f"task {run.task!r} {run.status}:\n" + "\n".join(run.log))
    return runs


def watch_deployed(org: InfluxOrg, slack: FakeSlack, settings: TaskSettings,
                   apps: list[str], telegraf: Telegraf | None = None) -> Monitoring:
    """Every task `pulumi up` left in the org, made inactive so that only forced runs run."""
    monitoring = Monitoring(org, slack, settings, list(apps), telegraf)
    for task in tasks(org):
        _set_status(org, task["id"], "inactive")
        monitoring.task_ids[task["name"]] = task["id"]
    return monitoring


def deploy_monitoring(org: InfluxOrg, slack: FakeSlack, apps: list[str],
                      settings: TaskSettings | None = None, *, secret: bool = True,
                      telegraf: Telegraf | None = None) -> Monitoring:
    """Buckets for the apps and the program's own buckets, the webhook secret (unless told not
    to), and every task of the apps and the org, created through the Task provider; the apps'
    pods observed by `telegraf`."""
    settings = settings or TaskSettings(org=org.name)
    for bucket in (*apps, settings.multiapp_bucket, settings.alerted_bucket, settings.disk_bucket):
        add_bucket(org, bucket)
    if secret:
        set_secret(org, settings.slack_secret_key, slack.url)
    monitoring = Monitoring(org, slack, settings, list(apps), telegraf)
    specs = [spec for app in apps for spec in app_tasks(app, settings)] + global_tasks(settings)
    with provider_host(org.server) as host:
        for spec in specs:
            task_id, _, _ = check_and_create(host, TASK, task_inputs(org, spec))
            monitoring.task_ids[spec.name] = task_id
    return monitoring


def task_inputs(org: InfluxOrg, spec: TaskSpec) -> dict:
    return {"org_id": org.id, "name": spec.name, "flux": spec.flux, "status": "inactive",
            "description": spec.description}


def run_task(org: InfluxOrg, name: str, task_id: str) -> Run:
    """Force a run of the inactive task and wait until it ends: its status and log lines."""
    return await_run(org, name, force_run(org, task_id))


def force_run(org: InfluxOrg, task_id: str) -> str:
    """Queue a run of the inactive task: the run's API path."""
    _set_status(org, task_id, "active")
    try:
        response = org.server.api("POST", f"/api/v2/tasks/{task_id}/runs", json={})
    finally:
        _set_status(org, task_id, "inactive")
    response.raise_for_status()
    return f"/api/v2/tasks/{task_id}/runs/{response.json()['id']}"


def await_run(org: InfluxOrg, name: str, run_path: str) -> Run:
    """Wait until the run of task `name` ends: its status, log lines and duration; RunFailed
    if it has not ended within RUN_SECONDS."""
    deadline = time.monotonic() + RUN_SECONDS
    pause = 0.05  # doubled up to POLL_SECONDS: most runs end within a second, each poll costs
    while (status := (run := _run_of(org, run_path)).get("status", "moving")) not in DONE:
        if time.monotonic() > deadline:
            raise RunFailed(f"task {name!r} still {status} after {RUN_SECONDS} s")
        time.sleep(pause)
        pause = min(2 * pause, POLL_SECONDS)
    logs = org.server.api("GET", run_path + "/logs").json().get("events", [])
    return Run(name, status, [event["message"] for event in logs], _run_seconds(run))


def _set_status(org: InfluxOrg, task_id: str, status: str) -> None:
    response = org.server.api("PATCH", f"/api/v2/tasks/{task_id}", json={"status": status})
    response.raise_for_status()


def _run_of(org: InfluxOrg, run_path: str) -> dict:
    """The run as influxd has it; {} while it has it neither in memory nor in its `_tasks`
    bucket yet (it answers 404 for the moment a finished run takes to be written there, and was
    seen answering 500 in that moment on a loaded machine); the caller's deadline bounds both."""
    response = org.server.api("GET", run_path)
    if response.status_code in (404, 500):
        return {}
    response.raise_for_status()
    return response.json()


def _run_seconds(run: dict) -> float | None:
    """How long the run ran, from its startedAt and finishedAt (None when either is missing)."""
    if not (run.get("startedAt") and run.get("finishedAt")):
        return None
    started, finished = (datetime.datetime.fromisoformat(run[key])
                         for key in ("startedAt", "finishedAt"))
    return (finished - started).total_seconds()
