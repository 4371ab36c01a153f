"""Which resources the org needs, decided from its bucket listing: pure, testable without Pulumi.

Buckets are told apart by their class (program/bucket_classes.py): every application bucket is
monitored, and every bucket is mapped, the system ones only with mapSystemBuckets. Declared
applications (`appBuckets`) are application buckets the program makes when missing, so their
monitoring is in place before their first data arrives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from pulumi.errors import RunError

from flux import TaskSettings, TaskSpec, app_tasks, global_tasks, task_name
from flux.literals import duration_literal, duration_ns, name_problem
from flux.options import script_problem
from program.bucket_classes import is_app_bucket, is_system_bucket
from providers.bucket import retention_of
from providers.dbrp import dbrp_name

SYSTEM_BUCKETS = ("_monitoring", "_tasks")
MULTIAPP_RETENTION_SECONDS = 3600  # the server's minimum: findings only matter until alerted
APP_BUCKET_RETENTION_SECONDS = 7 * 86400  # what the old bucketmaker gave the buckets it made


class PlanError(RunError, ValueError):
    """The bucket listing or the settings cannot be turned into a safe plan. (A RunError: the
    program stops with this message, not a traceback.)"""


class ListingLooksPartial(PlanError):
    """The bucket listing is missing what every org has: the token cannot see the whole org."""


@dataclass(frozen=True)
class Mapping:
    """A DBRP mapping for one listed bucket: database = bucket name, rp = its retention."""

    bucket_id: str
    bucket_name: str
    retention_policy: str


@dataclass(frozen=True)
class OwnedBucket:
    """A bucket the program creates (or adopts) and maps: a cross-application one, or the
    bucket of a declared application."""

    name: str
    retention_seconds: int
    description: str
    setting: str  # the setting that names it
    retention_setting: str | None = None  # the setting its retention follows, if any
    holds_app_data: bool = False  # an application's data: never deleted by the program
    listed_id: str | None = None  # its ID when the listing has it already

    @property
    def retention_policy(self) -> str:
        return retention_policy_name(self.retention_seconds)


@dataclass(frozen=True)
class OrgPlan:
    apps: list[str]
    mappings: list[Mapping]
    unmappable: list[str]  # names no DBRP database can have; InfluxDB maps `db/rp` names itself
    unmonitored: dict[str, str]  # app buckets no task can watch, each with the reason
    owned_buckets: list[OwnedBucket]
    app_tasks: dict[str, list[TaskSpec]]
    global_tasks: list[TaskSpec]
    bucket_count: int

    @property
    def tasks(self) -> list[TaskSpec]:
        """Every task: each app's, then the org-wide ones."""
        return [*(spec for specs in self.app_tasks.values() for spec in specs),
                *self.global_tasks]


def retention_policy_name(seconds: int) -> str:
    """The retention as an Influx duration literal, as the old bucketmapper named policies."""
    return duration_literal(seconds * 10**9) if seconds > 0 else "infinite"


def is_mappable(name: str) -> bool:
    """Whether the name can be a DBRP database (the Dbrp provider's rule, influxd's)."""
    return dbrp_name(name) is None


def check_listing(buckets: Sequence[dict]) -> None:
    """Refuse a listing that cannot be the whole org, before anything is declared."""
    names = [bucket["name"] for bucket in buckets]
    missing = [name for name in SYSTEM_BUCKETS if name not in names]
    if missing:
        raise ListingLooksPartial(
            f"the bucket listing has no {', '.join(missing)}, which every InfluxDB org has: the "
            "token cannot see the whole org. InfluxDB lists system buckets only to a token with "
            "read on the org itself, and the others to one with read on buckets: use a token "
            "with both (the operator token), then run again; nothing was changed")
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise ListingLooksPartial(
            f"the bucket listing names {', '.join(duplicates)} more than once: buckets changed "
            "while they were being listed. Run again; nothing was changed")


def plan_org(buckets: Sequence[dict], tasks: TaskSettings, *, ignore_buckets: Iterable[str] = (),
             map_system_buckets: bool = False, app_buckets: Sequence[str] = (),
             app_bucket_retention_seconds: int = APP_BUCKET_RETENTION_SECONDS) -> OrgPlan:
    """Everything to declare for this listing and these declared applications. Buckets the
    program owns are mapped separately, from their own resource."""
    check_listing(buckets)
    ignored = frozenset(ignore_buckets)
    ids = {bucket["name"]: bucket["id"] for bucket in buckets}
    declared = declared_app_buckets(app_buckets, app_bucket_retention_seconds)
    own = [replace(spec, listed_id=ids.get(spec.name))
           for spec in (*owned_buckets(tasks), *declared)]
    owned = {spec.name for spec in own}
    listed = sorted(buckets, key=lambda bucket: bucket["name"])
    mapped = [bucket for bucket in listed if bucket["name"] not in owned
              and (map_system_buckets or not is_system_bucket(bucket["name"]))]
    mappings = [
        Mapping(bucket["id"], bucket["name"], retention_policy_name(retention_of(bucket)))
        for bucket in mapped if is_mappable(bucket["name"])
    ]
    per_app, unmonitored = app_plans(sorted({*app_buckets, *(
        bucket["name"] for bucket in listed if is_app_bucket(bucket["name"], ignored))}), tasks)
    apps = list(per_app)
    _check_unique_task_names(per_app)
    # Without its bucket the disk check would fail every minute; it appears once the bucket does.
    has_disk_bucket = any(bucket["name"] == tasks.disk_bucket for bucket in buckets)
    wanted_global = [task for task in global_tasks(tasks)
                     if has_disk_bucket or task.name != task_name(None, "disk_checks")]
    unmappable = [bucket["name"] for bucket in mapped if not is_mappable(bucket["name"])]
    return OrgPlan(apps=apps, mappings=mappings, unmappable=unmappable, unmonitored=unmonitored,
                   owned_buckets=own,
                   app_tasks=per_app, global_tasks=wanted_global, bucket_count=len(buckets))


def app_plans(names: Iterable[str], tasks: TaskSettings) -> tuple[dict[str, list[TaskSpec]],
                                                                  dict[str, str]]:
    """Each app's tasks, and the app buckets left out with the reason: a name no task can carry
    (empty, only spaces, control characters), or a task InfluxDB would refuse or name otherwise
    (read back as the Task provider's check() and influxd read it). Decided before any write."""
    per_app, left_out = {}, {}
    for name in names:
        if problem := name_problem(name):
            left_out[name] = f"its name {problem}"
            continue
        specs = app_tasks(name, tasks)
        if problem := next(filter(None, (script_problem(spec.flux, spec.name)
                                         for spec in specs)), None):
            left_out[name] = f"its task script {problem}"
        else:
            per_app[name] = specs
    return per_app, left_out


def owned_buckets(tasks: TaskSettings) -> list[OwnedBucket]:
    """`multiapp_` keeps findings for an hour; `alerted_` remembers sent messages long enough."""
    remember = max(MULTIAPP_RETENTION_SECONDS,
                   -(-duration_ns(tasks.realert_after, "realertAfter") // 10**9))
    return [
        OwnedBucket(tasks.multiapp_bucket, MULTIAPP_RETENTION_SECONDS,
                    "Findings of the per-application tasks, read by the Slack notifiers",
                    "multiappBucket"),
        OwnedBucket(tasks.alerted_bucket, remember,
                    "Slack messages already sent, so none is posted twice", "alertedBucket",
                    "realertAfter"),
    ]


def declared_app_buckets(apps: Sequence[str], retention: int) -> list[OwnedBucket]:
    """The buckets of the declared applications, described as the old bucketmaker described
    them (so adopting one of its buckets changes nothing but, at most, the retention)."""
    return [OwnedBucket(app, retention, f"{app} K8s metrics", "appBuckets", "appBucketRetention",
                        holds_app_data=True)
            for app in apps]


def _check_unique_task_names(per_app: dict[str, list[TaskSpec]]) -> None:
    owner: dict[str, str] = {}
    for app, specs in per_app.items():
        for spec in specs:
            if spec.name in owner:
                raise PlanError(
                    f"buckets {owner[spec.name]!r} and {app!r} would both get the task "
                    f"{spec.name!r} (task names capitalise the bucket name as the old scripts "
                    "did): rename one bucket or add one to ignoreBuckets")
            owner[spec.name] = app

