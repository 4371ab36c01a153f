"""InfluxDB monitoring for every application bucket of one organization.

Each run lists the org's buckets and declares: a DBRP mapping per bucket, the `multiapp_` and
`alerted_` buckets and those of the declared applications, a scoped token for task management,
the restart and pod-state tasks of every application bucket, the Slack and disk alert tasks, and
(unless turned off) the "K8s applications" and "Monitoring alerts" dashboards and their variables.
"""

import asyncio
import datetime

import pulumi
from pulumi import Output, ResourceOptions

from program.dashboards import plan_dashboards, plan_variables
from program.guards import LastRun, approve_run
from program.permissions import REPLACED_TOKENS, task_token_permissions
from program.plan import plan_org
from program.settings import load_settings
from program.slack import secret_warnings, silence_warnings
from providers import AuthorizationToken, Bucket, Dashboard, Dbrp, Task, Variable
from providers.dbrp import dbrp_name
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
        f"no DBRP mapping for {', '.join(map(repr, plan.unmappable))}: a database name "
        f"{'; '.join(filter(None, map(dbrp_name, plan.unmappable)))}")
for bucket, reason in plan.unmonitored.items():
    pulumi.log.warn(
        f"bucket {bucket!r} is not monitored (no tasks are declared for it): {reason}. Rename "
        "the bucket, or list it in ignoreBuckets (`pulumi config set --path "
        "'ignoreBuckets[<n>]' <name>`) to silence this warning")
for warning in secret_warnings(influx, org, settings.tasks.secret_keys):
    pulumi.log.warn(warning)
for warning in silence_warnings(settings.tasks.silences, datetime.datetime.now(datetime.UTC)):
    pulumi.log.warn(warning)

# What the last run recorded: this stack's own outputs.
last_run = pulumi.StackReference(
    f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}")
# Every object's description names the stack that manages it: a create never adopts another
# stack's object, and recognises its own (one organization is one stack).
STACK = f"{pulumi.get_project()}/{pulumi.get_stack()}"


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
        permissions=task_token_permissions(org_id), status="active", replaces=REPLACED_TOKENS)

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
    last = LastRun(apps=await last_output("apps"),
                   owned_bucket_ids=await last_output("owned_bucket_ids"),
                   made_bucket_ids=await last_output("made_bucket_ids"))
    approval = approve_run(influx, org["id"], buckets, plan, settings, STACK, last)
    pulumi.log.info(approval.summary(org["name"], plan))
    declare_monitoring(org["id"], approval.made_bucket_ids)
    # Let the registrations start before the SDK waits for them: when it finds none started, it
    # waits output by output, which grows with the square of the resources (pulumi 3.272).
    await asyncio.sleep(0)


pulumi.run(monitor_org)
