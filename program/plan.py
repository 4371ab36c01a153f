"""Which resources the org needs, decided from its bucket listing: pure, testable without Pulumi.

Buckets are told apart by their class (program/bucket_classes.py): every application bucket is
monitored, and every bucket is mapped, the system ones only with mapSystemBuckets. Declared
applications (`appBuckets`) are application buckets the program makes when missing, so their
monitoring is in place before their first data arrives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from pulumi.errors import RunError

from flux import TaskSettings, TaskSpec, app_tasks, global_tasks, task_name
from flux.literals import duration_literal, duration_ns, name_problem
from flux.options import script_problem
from flux.tasks import APP_KINDS
from program.bucket_classes import is_app_bucket, is_system_bucket
from providers.bucket import retention_of
from providers.dbrp import dbrp_name
from providers.marks import stack_of

SYSTEM_BUCKETS = ("_monitoring", "_tasks")
MULTIAPP_RETENTION_SECONDS = 3600  # the server's minimum: findings only matter until alerted
APP_BUCKET_RETENTION_SECONDS = 7 * 86400  # what the old bucketmaker gave the buckets it made


class PlanError(RunError, ValueError):
    """The bucket listing or the settings cannot be turned into a safe plan. (A RunError: the
    program stops with this message, not a traceback.)"""


class ListingLooksPartial(PlanError):
    """The bucket listing is missing what every org has: the token cannot see the whole org."""


class TooManyAppsRemoved(PlanError):
    """This run would remove the monitoring of more apps than the safety limits allow."""


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


def buckets_made_before(made: Sequence[str] | None, owned: Sequence[str] | None,
                        specs: Sequence[OwnedBucket], buckets: Sequence[dict]) -> set[str]:
    """The IDs of the buckets this stack made (created, not adopted), as its last run recorded
    them (`made` is its `made_bucket_ids` output). A stack last run by a version that recorded
    only `owned` (every bucket it had, adopted or not) counts its cross-application buckets as
    made and its applications' buckets as adopted: their data is an application's."""
    if made is not None:
        return set(made)
    cross_application = {spec.name for spec in specs if not spec.holds_app_data}
    return {bucket["id"] for bucket in buckets
            if bucket["id"] in set(owned or []) and bucket["name"] in cross_application}


def shortens(now: int, asked: int) -> bool:
    """Whether a retention of `asked` seconds is shorter than `now` (0 is forever)."""
    return asked != 0 and (now == 0 or now > asked)


def check_retention_cuts(owned: Sequence[OwnedBucket], buckets: Sequence[dict], *,
                         made: Iterable[str], allowed: bool) -> None:
    """Refuse, before any write, a run that would shorten the retention of an existing bucket
    (InfluxDB deletes the data older than the new retention at its next check), whatever asks
    for it: a setting, a retention raised by hand that a refresh would put back, or a create
    that adopts the bucket. Never for a bucket this stack did not make (`made`: the IDs of
    those it did); for one it made, only when the operator allowed it for this run."""
    listed = {bucket["name"]: bucket for bucket in buckets}
    made = set(made)
    for spec in owned:
        existing = listed.get(spec.name)
        if existing is None or not shortens(now := retention_of(existing),
                                            spec.retention_seconds):
            continue
        if existing["id"] not in made:
            raise _adopted_cut(spec, now)
        if not allowed:
            raise _made_cut(spec, now)


def _keeps(seconds: int) -> str:
    return "forever" if seconds == 0 else f"for {retention_policy_name(seconds)}"


def _adopted_cut(spec: OwnedBucket, kept: int) -> PlanError:
    """The refusal to shorten a bucket this stack did not make: no setting allows that."""
    asked = retention_policy_name(spec.retention_seconds)
    if spec.holds_app_data:
        enough = retention_policy_name(kept)
        return PlanError(
            f"appBuckets lists {spec.name!r}, a bucket this stack did not make, that keeps its "
            f"data {_keeps(kept)}: appBucketRetention={asked} would cut that, and InfluxDB "
            "would delete the older data; the stack never shortens a bucket it adopted. Set "
            f"appBucketRetention to {enough}{' or longer' if kept else ''} (`pulumi config set "
            f"appBucketRetention {enough}`), or take {spec.name!r} out of appBuckets (an "
            "existing application bucket is monitored all the same), or shorten its retention "
            "in InfluxDB yourself; nothing was changed")
    return PlanError(
        f"{spec.setting} is {spec.name!r}, an existing bucket that keeps its data "
        f"{_keeps(kept)}: managing it would cut that to {asked} and InfluxDB would delete the "
        f"older data. Set {spec.setting} to the name of a bucket of its own (`pulumi config "
        f"set {spec.setting} <name>_`); nothing was changed")


def _made_cut(spec: OwnedBucket, kept: int) -> PlanError:
    """The refusal to shorten a bucket this stack made, unless allowRetentionCut is set."""
    asked = retention_policy_name(spec.retention_seconds)
    keep = (f"set {spec.retention_setting} to {retention_policy_name(kept)} (`pulumi config set "
            f"{spec.retention_setting} {retention_policy_name(kept)}`)"
            if spec.retention_setting == "appBucketRetention" else
            "leave it until the data is no longer needed")
    follows = f" ({spec.retention_setting})" if spec.retention_setting else ""
    return PlanError(
        f"bucket {spec.name!r} keeps its data {_keeps(kept)} now, and this run would cut its "
        f"retention to {asked}{follows}: InfluxDB would delete the data older than {asked}. "
        f"To keep the data, {keep}; to cut it, allow it for one run with `pulumi config set "
        "allowRetentionCut true`, run again, then `pulumi config set allowRetentionCut false`; "
        "nothing was changed")


def former_names(buckets: Sequence[dict], own_bucket_ids: Iterable[str]) -> set[str]:
    """The names this stack's marks carry on its own buckets (`own_bucket_ids`, from its
    state): its name at the runs that wrote them, an older one after `pulumi stack rename`."""
    own = set(own_bucket_ids)
    return {owner for bucket in buckets if bucket["id"] in own
            and (owner := stack_of(bucket.get("description"))) is not None}


def check_one_stack(buckets: Sequence[dict], stack: str, *,
                    own_bucket_ids: Iterable[str] = ()) -> None:
    """Refuse an org whose listing holds a bucket another stack's mark claims: one organization
    is managed by one stack, or every alert would be posted twice. A mark with a name this
    stack had (it was renamed since) is its own: this run moves the marks to its name."""
    ours = {stack, *former_names(buckets, own_bucket_ids)}
    others = sorted((bucket["name"], owner) for bucket in buckets
                    if (owner := stack_of(bucket.get("description"))) not in (None, *ours))
    if others:
        name, owner = others[0]
        raise PlanError(
            f"bucket {name!r} is managed by stack {owner}, and one organization is managed by "
            f"one stack: this stack ({stack}) would duplicate its tasks. Destroy the other stack "
            "or point this one at another organization (influxdb:org); nothing was changed")


def renamed_apps(apps: Iterable[str], mappings: Iterable[dict],
                 buckets: Sequence[dict]) -> dict[str, str]:
    """Which of these apps' buckets were renamed by hand: old name -> new name. InfluxDB keeps a
    bucket's ID through a rename, and the app's DBRP mapping still names the old database."""
    names = {bucket["id"]: bucket["name"] for bucket in buckets}
    apps = set(apps)
    return {mapping["database"]: names[mapping["bucketID"]] for mapping in mappings
            if mapping["database"] in apps
            and names.get(mapping["bucketID"], mapping["database"]) != mapping["database"]}


def check_app_removal(previous_apps: Sequence[str] | None, apps: Sequence[str], *,
                      max_percent: int, max_count: int, allowed: bool,
                      renamed: Callable[[Sequence[str]], dict[str, str]] = lambda _apps: {},
                      ) -> list[str]:
    """The apps this run stops monitoring; raises if that is more than the limits allow, telling
    the buckets renamed by hand (`renamed` finds them) from those that are gone."""
    if not previous_apps:
        return []
    removed = sorted(set(previous_apps) - set(apps))
    share = 100 * len(removed) / len(previous_apps)
    if not allowed and len(removed) > max_count and share > max_percent:
        raise TooManyAppsRemoved(
            f"this run would delete the tasks and mappings of {len(removed)} of "
            f"{len(previous_apps)} apps ({share:.0f}%, more than maxAppDeletionPercent="
            f"{max_percent} and maxAppDeletionCount={max_count}): "
            f"{_removal_causes(removed, renamed(removed))}. If that is what you want, allow it "
            "for one run with `pulumi config set allowMassDeletion true` (and set it back to "
            "false afterwards); otherwise check the token and the org. Nothing was changed")
    return removed


def _removal_causes(removed: Sequence[str], renamed: dict[str, str]) -> str:
    """The removed apps, the renamed ones apart: a rename moves the monitoring, a loss ends it."""
    gone = [app for app in removed if app not in renamed]
    parts = []
    if renamed:
        moves = [f"{old} -> {new}" for old, new in sorted(renamed.items())]
        parts.append(f"{len(renamed)} buckets renamed by hand ({_some(moves)}), whose "
                     "monitoring moves to the new names (InfluxQL: the database is the new "
                     "name)")
    if gone:
        parts.append(f"{len(gone)} buckets gone ({_some(gone)}), whose monitoring ends: if "
                     "those buckets really are gone, that is right")
    return "; ".join(parts)


def _some(names: Sequence[str]) -> str:
    return f"{', '.join(names[:10])}{' ...' if len(names) > 10 else ''}"


def check_buckets_gone(still_there: Sequence[str]) -> None:
    """Refuse a run that would drop apps whose buckets InfluxDB still has."""
    if still_there:
        raise ListingLooksPartial(
            f"the bucket listing left out {len(still_there)} buckets that InfluxDB still has "
            f"({', '.join(still_there[:10])}{' ...' if len(still_there) > 10 else ''}): "
            "the listing was incomplete (a page lost or cut short), so this run would have "
            "deleted their monitoring. Run again; nothing was changed")


def apps_with_tasks(task_names: Iterable[str], known_apps: Iterable[str]) -> set[str]:
    """The apps whose tasks are in InfluxDB: known apps by their bucket name, others by the name
    their tasks give them ("Mobu restarts" -> "Mobu"; task names capitalise the bucket name)."""
    by_task_name = {task_name(app, kind): app for app in known_apps for kind in APP_KINDS}
    found = set()
    for name in task_names:
        if name in by_task_name:
            found.add(by_task_name[name])
        elif kind := next((k for k in APP_KINDS if name.endswith(f" {k}")), None):
            found.add(name.removesuffix(f" {kind}"))
    return found


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

