"""The tasks this project keeps in InfluxDB: their names, offsets and rendered Flux."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from flux.literals import TemplateError, check_name, duration_literal, duration_ns
from flux.render import render
from flux.settings import TaskSettings

APP_KINDS = ("restarts", "state_checks", "cpu_checks")
GLOBAL_KINDS = ("restarts", "state_checks", "cpu_checks", "disk_checks")
HEARTBEAT_KIND = "state_checks"


@dataclass(frozen=True)
class TaskSpec:
    """One InfluxDB task: its unique name in the org, its Flux script, and a description."""

    name: str
    flux: str
    description: str


@dataclass(frozen=True)
class _GlobalTask:
    template: str
    offset: str  # the old scripts' offsets, spreading the global tasks over the minute
    finding_fields: tuple[str, ...]  # the multiapp_ fields a notifier posts; () for the disk check
    description: str
    # The multiapp_ field of what the per-app checks saw cleared, resolving this notifier's
    # alerts (postResolved); "" for alerts never resolved. The disk notifier reads its own.
    cleared_field: str = ""


_GLOBAL_TASKS = {
    "restarts": _GlobalTask(
        "slack_notify_findings.flux.j2",
        "30s",
        ("differential_restarts",),
        "Posts new container restarts from {multiapp} to Slack",
    ),
    "state_checks": _GlobalTask(
        "slack_notify_findings.flux.j2",
        "17s",
        # A cluster that stopped writing an app's pods is found by the same per-app task.
        ("pod_state", "no_data"),
        "Posts new pods-not-running and no-data findings from {multiapp} to Slack",
        "state_cleared",
    ),
    "cpu_checks": _GlobalTask(
        "slack_notify_findings.flux.j2",
        "43s",
        ("limit_use",),
        "Posts containers near their CPU or memory limit from {multiapp} to Slack",
        "limit_cleared",
    ),
    "disk_checks": _GlobalTask(
        "slack_notify_disk.flux.j2",
        "56s",
        (),
        "Posts hosts' disk usage over {warn}% from {disk} to Slack",
    ),
}
# The multiapp_ fields the per-application tasks write their findings to.
FINDING_FIELDS = tuple(field for task in _GLOBAL_TASKS.values() for field in task.finding_fields)
_APP_DESCRIPTIONS = {
    "restarts": "Writes container restarts of application {app} to {multiapp}",
    "state_checks": "Writes containers of application {app} that are not running, and clusters "
                    "that stopped writing its pods, to {multiapp}",
    "cpu_checks": "Writes containers of application {app} near their CPU or memory limit to "
                  "{multiapp}",
}


@dataclass(frozen=True)
class _LimitCheck:
    """A resource a container uses against its limit, both fields of kubernetes_pod_container."""

    name: str  # the Flux variable of its findings
    resource: str
    usage: str
    limit: str
    usage_per_limit_unit: str  # a Flux float: how many usage units one limit unit holds
    percent: int


def limit_check(name: str, percent: int = 0) -> _LimitCheck:
    """The use of CPU (nanocores against millicpu) or memory (bytes against bytes) against its
    limit, as Telegraf's kubernetes and kube_inventory inputs write them."""
    if name == "cpu":
        return _LimitCheck("cpu", "CPU", "cpu_usage_nanocores", "resource_limits_millicpu_units",
                           "1000000.0", percent)
    return _LimitCheck("memory", "Memory", "memory_usage_bytes", "resource_limits_memory_bytes",
                       "1.0", percent)


def limit_checks(settings: TaskSettings) -> list[_LimitCheck]:
    """The limit checks the settings turn on."""
    checks = []
    if settings.cpu_checks:
        checks.append(limit_check("cpu", settings.cpu_limit_percent))
    if settings.memory_checks:
        checks.append(limit_check("memory", settings.memory_limit_percent))
    return checks


def kinds_on(kinds: tuple[str, ...], settings: TaskSettings) -> tuple[str, ...]:
    """The task kinds the settings turn on: cpu_checks only with a limit check on."""
    return tuple(kind for kind in kinds if kind != "cpu_checks" or limit_checks(settings))


def task_name(app: str | None, kind: str) -> str:
    """The task's name: "<App> <kind>" for an app, "_slack_notify_<kind>" for org-wide tasks.

    Same names as the old taskmaker (str.capitalize), so a first run adopts its tasks.
    """
    if app is None:
        _check_kind(kind, GLOBAL_KINDS, "org-wide")
        return f"_slack_notify_{kind}"
    _check_kind(kind, APP_KINDS, "application")
    return f"{check_name(app, 'app bucket name').capitalize()} {kind}"


def app_offset(app: str) -> str:
    """Seconds within the minute from a hash of the app's name: stable whatever other apps exist."""
    return f"{zlib.crc32(app.encode('utf-8')) % 60}s"


def app_task_context(app: str, kind: str, settings: TaskSettings) -> dict[str, Any]:
    """Everything the `<kind>.flux.j2` template of an application task needs."""
    check_ns = duration_ns(settings.check_every, "TaskSettings.check_every")
    waited_ns = duration_ns(settings.not_running_for, "TaskSettings.not_running_for")
    quiet_ns = duration_ns(settings.no_data_after, "TaskSettings.no_data_after")
    return {
        "name": task_name(app, kind),
        "every": settings.check_every,
        "offset": app_offset(app),
        "app": app,
        "settings": settings,
        "restarts_lookback": duration_literal(2 * check_ns),
        "checks": limit_checks(settings),
        # None leaves the part out: 0s posts at once, as before notRunningFor existed.
        "not_running_for": duration_literal(waited_ns) if waited_ns else None,
        # A container must have a sample from before notRunningFor: one period earlier holds one.
        "watched_from": duration_literal(waited_ns + check_ns),
        "no_data_after": duration_literal(quiet_ns) if quiet_ns else None,
        # Resolved notices: the state check writes what it saw cleared (postResolved).
        "resolving": settings.post_resolved,
        "resolve_lookback": duration_literal(2 * check_ns),
    }


def app_tasks(app: str, settings: TaskSettings) -> list[TaskSpec]:
    """The tasks of one application bucket: restarts, state_checks and (when on) cpu_checks."""
    return [
        TaskSpec(
            name=task_name(app, kind),
            flux=render(f"{kind}.flux.j2", app_task_context(app, kind, settings)),
            description=_APP_DESCRIPTIONS[kind].format(app=app, multiapp=settings.multiapp_bucket),
        )
        for kind in kinds_on(APP_KINDS, settings)
    ]


def global_tasks(settings: TaskSettings) -> list[TaskSpec]:
    """The org-wide Slack notifiers and the disk check."""
    notify_ns = duration_ns(settings.notify_every, "TaskSettings.notify_every")
    specs = []
    for kind in kinds_on(GLOBAL_KINDS, settings):
        task = _GLOBAL_TASKS[kind]
        context = {
            "name": task_name(None, kind),
            "every": settings.notify_every,
            "offset": task.offset,
            "settings": settings,
            "alert": kind,
            "fields": task.finding_fields,
            # Two periods, so a host that reports once a period is never missed.
            "disk_lookback": duration_literal(2 * notify_ns),
            # One notifier, always deployed, calls the heartbeat URL (when one is set).
            "heartbeat": kind == HEARTBEAT_KIND and bool(settings.heartbeat_secret_key),
            "cleared_field": task.cleared_field if settings.post_resolved else "",
            # The disk notifier resolves against the disk bucket it reads (postResolved).
            "resolving": settings.post_resolved,
        }
        description = task.description.format(
            multiapp=settings.multiapp_bucket,
            disk=settings.disk_bucket,
            warn=settings.disk_warn_percent,
        )
        specs.append(TaskSpec(context["name"], render(task.template, context), description))
    return specs


def _check_kind(kind: str, kinds: tuple[str, ...], scope: str) -> None:
    if kind not in kinds:
        raise TemplateError(f"{kind!r} is not an {scope} task kind; use one of {', '.join(kinds)}")
