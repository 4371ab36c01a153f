"""The test bed for alerts: the program's tasks deployed into an org of a real InfluxDB, the Slack
webhook secret pointing at a fake Slack, and the tasks run on demand.

Tasks are rendered by `flux.tasks` and created through the Task provider in the SDK's provider
host, as `pulumi up` creates them. A run is forced with `POST /api/v2/tasks/{id}/runs` and waited
for, so a test takes seconds, not the minutes of the tasks' schedules.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flux.settings import TaskSettings
from flux.tasks import TaskSpec, app_tasks, global_tasks
from testbed.influx.seed import add_bucket
from testbed.influx.server import InfluxOrg
from testbed.provider_kinds import TASK, check_and_create, provider_host
from testbed.slack import FakeSlack, Post

RUN_SECONDS = 60
DONE = ("success", "failed", "canceled")


class RunFailed(AssertionError):
    """A task run that did not succeed; the message holds the run's log."""


@dataclass
class Run:
    task: str
    status: str
    log: list[str]


@dataclass
class Monitoring:
    """The program's tasks for `apps` in `org`, their ids by name, and the Slack they post to."""

    org: InfluxOrg
    slack: FakeSlack
    settings: TaskSettings
    apps: list[str]
    task_ids: dict[str, str] = field(default_factory=dict)

    def run(self, name: str) -> Run:
        """Run the task now and wait for it to finish: its status and log."""
        return run_task(self.org, name, self.task_ids[name])

    def check(self) -> list[Post]:
        """One round of the schedule: every app task, then every notifier, each run once and
        required to succeed; the Slack posts made during the round."""
        before = len(self.slack.bodies)
        for name in self.task_ids:  # app tasks were created first
            run = self.run(name)
            if run.status != "success":
                raise RunFailed(f"task {name!r} {run.status}:\n" + "\n".join(run.log))
        return self.slack.posts[before:]


def deploy_monitoring(org: InfluxOrg, slack: FakeSlack, apps: list[str],
                      settings: TaskSettings | None = None, *, secret: bool = True) -> Monitoring:
    """Buckets for the apps and the program's own buckets, the webhook secret (unless told not
    to), and every task of the apps and the org, created through the Task provider."""
    settings = settings or TaskSettings(org=org.name)
    for bucket in (*apps, settings.multiapp_bucket, settings.alerted_bucket, settings.disk_bucket):
        add_bucket(org, bucket)
    if secret:
        set_secret(org, settings.slack_secret_key, slack.url)
    monitoring = Monitoring(org, slack, settings, list(apps))
    specs = [spec for app in apps for spec in app_tasks(app, settings)] + global_tasks(settings)
    with provider_host(org.server) as host:
        for spec in specs:
            task_id, _, _ = check_and_create(host, TASK, task_inputs(org, spec))
            monitoring.task_ids[spec.name] = task_id
    return monitoring


def task_inputs(org: InfluxOrg, spec: TaskSpec) -> dict:
    return {"org_id": org.id, "name": spec.name, "flux": spec.flux, "status": "active",
            "description": spec.description}


def set_secret(org: InfluxOrg, key: str, value: str) -> None:
    response = org.server.api("PATCH", f"/api/v2/orgs/{org.id}/secrets", json={key: value})
    response.raise_for_status()


def run_task(org: InfluxOrg, name: str, task_id: str) -> Run:
    """Force a run of the task and wait until it ends: its status and, the log lines."""
    response = org.server.api("POST", f"/api/v2/tasks/{task_id}/runs", json={})
    response.raise_for_status()
    run_path = f"/api/v2/tasks/{task_id}/runs/{response.json()['id']}"
    deadline = time.monotonic() + RUN_SECONDS
    while (status := _run_status(org, run_path)) not in DONE:
        if time.monotonic() > deadline:
            raise RunFailed(f"task {name!r} still {status} after {RUN_SECONDS} s")
        time.sleep(0.05)
    logs = org.server.api("GET", run_path + "/logs").json().get("events", [])
    return Run(name, status, [event["message"] for event in logs])


def _run_status(org: InfluxOrg, run_path: str) -> str:
    """The run's status; "moving" while influxd has it neither in memory nor in its `_tasks`
    bucket yet (it answers 404 for the moment a finished run takes to be written there)."""
    response = org.server.api("GET", run_path)
    if response.status_code == 404:
        return "moving"
    response.raise_for_status()
    return response.json()["status"]
