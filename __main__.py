"""InfluxDB monitoring for every application bucket of one organization.

Each run lists the org's buckets and declares: a DBRP mapping per bucket, the `multiapp_` and
`alerted_` buckets and those of the declared applications, a scoped token for task management,
the restart and pod-state tasks of every application bucket, the Slack and disk alert tasks, and
(unless turned off) the "K8s applications" and "Monitoring alerts" dashboards and their variables.
"""

import asyncio

import pulumi
from pulumi import Output, ResourceOptions

from program.dashboards import plan_dashboards, plan_variables
from program.permissions import task_token_permissions
from program.plan import (
    apps_with_tasks,
    buckets_made_before,
    check_app_removal,
    check_buckets_gone,
    check_one_stack,
    check_retention_cuts,
    plan_org,
    renamed_apps,
)
from program.settings import load_settings
from program.slack import secret_warnings
from providers import AuthorizationToken, Bucket, Dashboard, Dbrp, Task, Variable
from providers.dbrp import MAX_DATABASE_BYTES
from providers.marks import marked

# Settings and the org as it is now.
settings = load_settings()
influx = settings.connection.client()
org = influx.find_org(settings.connection.org)
buckets = influx.list_buckets(org["id"])
plan = plan_org(buckets, settings.tasks, ignore_buckets=settings.ignore_buckets,
                map_system_buckets=settings.map_system_buckets, app_buckets=settings.app_buckets,
                app_bucket_retention_seconds=settings.app_bucket_retention_seconds)
if plan.unmappable:
    pulumi.log.warn(
        f"no DBRP mapping for {', '.join(map(repr, plan.unmappable))}: a database name must be "
        "printable (no control characters, no space but ' '), not '.' or '..', without '/' or "
        "'\\' (InfluxDB maps a bucket named db/rp to that database itself), at most "
        f"{MAX_DATABASE_BYTES} bytes")
for bucket, reason in plan.unmonitored.items():
    pulumi.log.warn(
        f"bucket {bucket!r} is not monitored (no tasks are declared for it): {reason}. Rename "
        "the bucket, or list it in ignoreBuckets (`pulumi config set --path "
        "'ignoreBuckets[<n>]' <name>`) to silence this warning")
for warning in secret_warnings(influx, org, settings.tasks.slack_secret_keys):
    pulumi.log.warn(warning)

# The apps of the last run: this stack's own `apps` output.
last_run = pulumi.StackReference(
    f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}")
# Every object's description names the stack that manages it: a create never adopts another
# stack's object, and recognises its own (one organization is one stack).
STACK = f"{pulumi.get_project()}/{pulumi.get_stack()}"


def monitored_before(output_apps: list[str] | None) -> list[str] | None:
    """The apps monitored before this run. The `apps` output is saved even by a run that failed
    before deleting anything, so when this run removes apps, the apps whose tasks InfluxDB still
    holds count too: a failed run never lowers the bar of the safety stop."""
    if not output_apps or set(output_apps) <= set(plan.apps):
        return output_apps  # nothing removed: no need to ask InfluxDB
    live = apps_with_tasks((task["name"] for task in influx.list_tasks(org["id"])),
                           known_apps=[*output_apps, *plan.apps])
    return sorted(live | set(output_apps))


def approve_run(output_apps: list[str] | None, own_bucket_ids: list[str] | None,
                made_bucket_ids: list[str] | None) -> set[str]:
    """Stop before anything is declared if another stack manages the org, or this run would cut
    a bucket's retention or drop too many apps; log what changed. The IDs of the buckets this
    stack made come back."""
    check_one_stack(buckets, STACK, own_bucket_ids=own_bucket_ids or [])
    made = buckets_made_before(made_bucket_ids, own_bucket_ids, plan.owned_buckets, buckets)
    check_retention_cuts(plan.owned_buckets, buckets, made=made,
                         allowed=settings.allow_retention_cut)
    previous_apps = monitored_before(output_apps)
    removed = check_app_removal(previous_apps, plan.apps,
                                max_percent=settings.max_app_deletion_percent,
                                max_count=settings.max_app_deletion_count,
                                allowed=settings.allow_mass_deletion,
                                renamed=lambda apps: renamed_apps(
                                    apps, influx.list_dbrps(org["id"]), buckets))
    # An app loses its monitoring only if its bucket is really gone, not just missing from a
    # listing that lost a page: ask InfluxDB for each by name (only when apps are removed).
    listed = {bucket["name"] for bucket in buckets}
    check_buckets_gone([app for app in removed if app not in listed and
                        influx.bucket_exists(org["id"], app)])
    added = sorted(set(plan.apps) - set(previous_apps or []))
    pulumi.log.info(
        f"org {org['name']}: {plan.bucket_count} buckets, {len(plan.apps)} apps; "
        f"new apps: {', '.join(added) or 'none'}; removed apps: {', '.join(removed) or 'none'}")
    return made


def declare_monitoring(org_id: str, made_before: set[str]) -> None:
    # Buckets the program owns, and DBRP mappings so InfluxQL and Chronograf see every bucket.
    def mapping(bucket_name: str, bucket_id: pulumi.Input[str], retention_policy: str) -> Dbrp:
        return Dbrp(f"mapping/{bucket_name}", org_id=org_id, bucket_id=bucket_id,
                    bucket_name=bucket_name, database=bucket_name,
                    retention_policy=retention_policy, default=True)

    # An application's bucket is kept whatever retainBucketsOnDelete says: its data is not ours.
    owned = {}
    for spec in plan.owned_buckets:
        keep = spec.holds_app_data or settings.retain_buckets_on_delete
        owned[spec.name] = Bucket(f"bucket/{spec.name}", org_id=org_id, name=spec.name,
                                  retention_seconds=spec.retention_seconds,
                                  description=marked(spec.description, STACK),
                                  opts=ResourceOptions(retain_on_delete=keep))
        # A listed bucket's ID is known at preview, so a mapping that exists shows no change.
        mapping(spec.name, spec.listed_id or owned[spec.name].id, spec.retention_policy)
    for listed in plan.mappings:
        mapping(listed.bucket_name, listed.bucket_id, listed.retention_policy)

    # The scoped token the tasks are managed with.
    task_token = AuthorizationToken(
        "token/tasks", org_id=org_id,
        description=marked("rubin-influx-tools: task management", STACK),
        permissions=task_token_permissions(org_id), status="active")

    # Tasks: per application, then the org-wide alerts.
    after_setup = ResourceOptions(depends_on=[*owned.values(), task_token])
    for spec in plan.tasks:
        Task(f"task/{spec.name}", org_id=org_id, name=spec.name, flux=spec.flux,
             status="active", description=marked(spec.description, STACK),
             token=task_token.token,
             opts=after_setup)

    # Dashboards, for people: the applications' pods, and what the alerts found and posted.
    if settings.dashboards:
        declare_dashboards(org_id)

    # What this run manages.
    pulumi.export("org", org["name"])
    pulumi.export("apps", plan.apps)
    pulumi.export("counts", {"buckets": plan.bucket_count, "apps": len(plan.apps),
                             "mappings": len(plan.mappings) + len(owned),
                             "tasks": len(plan.tasks)})
    pulumi.export("task_token", Output.secret(task_token.token))
    pulumi.export("owned_bucket_ids", [bucket.id for bucket in owned.values()])
    # The buckets this stack made: those it created (none was listed by that name) and those it
    # made before. The others it adopted, and no setting ever shortens their retention.
    pulumi.export("made_bucket_ids", [
        owned[spec.name].id for spec in plan.owned_buckets
        if spec.listed_id is None or spec.listed_id in made_before])


async def last_output(name: str) -> list[str] | None:
    """An output of this stack's last run; None when it has none (a new stack, an old one)."""
    return (await last_run.get_output_details(name)).value


def declare_dashboards(org_id: str) -> None:
    # The variables are queries: an application added or removed changes no dashboard. Buckets
    # the program does not monitor as applications are left out of the choices.
    not_apps = [*settings.ignore_buckets, *plan.unmonitored]
    variables = [Variable(f"variable/{spec.name}", org_id=org_id, name=spec.name,
                          query=spec.query, description=marked(spec.description, STACK))
                 for spec in plan_variables(not_apps)]
    for spec in plan_dashboards(settings.tasks):
        Dashboard(f"dashboard/{spec.name}", org_id=org_id, name=spec.name,
                  description=marked(spec.description, STACK), cells=spec.cells,
                  opts=ResourceOptions(depends_on=variables))


async def monitor_org() -> None:
    made = approve_run(await last_output("apps"), await last_output("owned_bucket_ids"),
                       await last_output("made_bucket_ids"))
    declare_monitoring(org["id"], made)
    # Let the registrations start before the SDK waits for them: when it finds none started, it
    # waits output by output, which grows with the square of the resources (pulumi 3.272).
    await asyncio.sleep(0)


pulumi.run(monitor_org)
