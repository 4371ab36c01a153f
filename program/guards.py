"""May this run go ahead? The guards that stop a run before anything is declared, judged from
what they are given: the org's bucket listing, the plan, the settings, the stack's last run (its
outputs) and, where the listing is not enough, InfluxDB itself (a client).

Every refusal comes before any write and says what it protects, the fix, and "nothing was
changed": another stack's org, a retention cut (data InfluxDB would delete), too many apps
dropped at once (renames told from losses), a listing that lost buckets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from flux import task_name
from flux.tasks import APP_KINDS
from program.plan import (
    ListingLooksPartial,
    OrgPlan,
    OwnedBucket,
    PlanError,
    retention_policy_name,
)
from program.settings import Settings
from providers.bucket import retention_of
from providers.client import InfluxClient
from providers.marks import stack_of


class TooManyAppsRemoved(PlanError):
    """This run would remove the monitoring of more apps than the safety limits allow."""


@dataclass(frozen=True)
class LastRun:
    """What the stack's last run recorded in its outputs; None where it recorded nothing (a new
    stack, or one an earlier version ran)."""

    apps: list[str] | None = None
    owned_bucket_ids: list[str] | None = None
    made_bucket_ids: list[str] | None = None


@dataclass(frozen=True)
class Approval:
    """A run that may go ahead: the buckets the stack made, the apps it adds and removes."""

    made_bucket_ids: set[str]
    added: list[str]
    removed: list[str]

    def summary(self, org_name: str, plan: OrgPlan) -> str:
        return (f"org {org_name}: {plan.bucket_count} buckets, {len(plan.apps)} apps; new apps: "
                f"{', '.join(self.added) or 'none'}; removed apps: "
                f"{', '.join(self.removed) or 'none'}")


def approve_run(influx: InfluxClient, org_id: str, buckets: Sequence[dict], plan: OrgPlan,
                settings: Settings, stack: str, last: LastRun) -> Approval:
    """Stop before anything is declared if another stack manages the org, or this run would cut
    a bucket's retention or drop too many apps or apps whose buckets still exist; else what
    the run changes."""
    check_one_stack(buckets, stack, own_bucket_ids=last.owned_bucket_ids or [])
    made = buckets_made_before(last.made_bucket_ids, last.owned_bucket_ids, plan.owned_buckets,
                               buckets)
    check_retention_cuts(plan.owned_buckets, buckets, made=made,
                         allowed=settings.allow_retention_cut)
    previous_apps = monitored_before(influx, org_id, last.apps, plan.apps)
    removed = check_app_removal(previous_apps, plan.apps,
                                max_percent=settings.max_app_deletion_percent,
                                max_count=settings.max_app_deletion_count,
                                allowed=settings.allow_mass_deletion,
                                renamed=lambda apps: renamed_apps(
                                    apps, influx.list_dbrps(org_id), buckets))
    # An app loses its monitoring only if its bucket is really gone, not just missing from a
    # listing that lost a page: ask InfluxDB for each by name (only when apps are removed).
    listed = {bucket["name"] for bucket in buckets}
    check_buckets_gone([app for app in removed if app not in listed and
                        influx.bucket_exists(org_id, app)])
    return Approval(made, sorted(set(plan.apps) - set(previous_apps or [])), removed)


def monitored_before(influx: InfluxClient, org_id: str, last_apps: list[str] | None,
                     apps: Sequence[str]) -> list[str] | None:
    """The apps monitored before this run. The `apps` output is saved even by a run that failed
    before deleting anything, so when this run removes apps, the apps whose tasks InfluxDB still
    holds count too: a failed run never lowers the bar of the safety stop."""
    if not last_apps or set(last_apps) <= set(apps):
        return last_apps  # nothing removed: no need to ask InfluxDB
    live = apps_with_tasks((task["name"] for task in influx.list_tasks(org_id)),
                           known_apps=[*last_apps, *apps])
    return sorted(live | set(last_apps))


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
