"""The request counts each phase should cost: derived from the program's plan of the seeded org
and from the API's paging. The report checks the measured counts against them, and so do the tests.

Who reads what (each listing is made once per process, see providers/listing.py):
- the program, on every preview and up, and under the real CLI on refresh and destroy too (they
  run the program, `--run-program`, as the README and the deploy workflow run them): the org
  lookup, the org's secret keys (is the Slack webhook there?), then the bucket pages;
- the providers, only when a step needs the server: the first create of a kind lists that kind
  once for the adoption checks (buckets paged, DBRP mappings, authorizations and variables in one
  GET, tasks paged, dashboards in one GET while the org has none); a refresh lists each kind in
  state once and reads every resource from it, but reads each dashboard itself (the listing has
  no views);
- a new dashboard costs its POST, a PATCH of each cell's view (influxd makes them empty) and a
  GET of the dashboard as it then is.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.org import app_name
from flux import TaskSettings
from program.dashboards import plan_dashboards, plan_variables
from program.plan import SYSTEM_BUCKETS, OrgPlan, plan_org
from providers.client import BUCKET_PAGE, TASK_PAGE
from testbed.influx.seed import HOST_BUCKET

ORG_LOOKUP = 1
SECRET_KEYS = 1  # GET /api/v2/orgs/{id}/secrets: the keys only
UNPAGED_LISTING = 1  # GET /api/v2/dbrps, /api/v2/authorizations, /api/v2/variables: everything
TOKENS = 1  # the task-management token
DASHBOARDS = len(plan_dashboards(TaskSettings()))
VARIABLES = len(plan_variables([]))
# An org without dashboards lists them in one GET; with some, a second GET finds nothing new.
EMPTY_DASHBOARD_LISTING = 1
VIEWS = sum(len(dashboard.cells) for dashboard in plan_dashboards(TaskSettings()))


@dataclass(frozen=True)
class Counts:
    reads: int
    writes: int


def pages(count: int, size: int) -> int:
    """GETs that list `count` objects: the client stops only at an empty page, since permission
    filtering can make a page short before the end."""
    return -(-count // size) + 1


def listed_buckets(apps: int, *, owned: bool) -> list[str]:
    """The org's bucket names: as seeded, plus the program's own buckets once it has run."""
    settings = TaskSettings()
    owned_names = [settings.multiapp_bucket, settings.alerted_bucket] if owned else []
    return [*SYSTEM_BUCKETS, HOST_BUCKET, *map(app_name, range(apps)), *owned_names]


def plan_of(names: list[str]) -> OrgPlan:
    listing = [{"id": f"{number:016x}", "name": name, "retentionRules": []}
               for number, name in enumerate(names)]
    return plan_org(listing, TaskSettings())


def task_count(plan: OrgPlan) -> int:
    return len(plan.tasks)


def object_count(plan: OrgPlan) -> int:
    """Objects declared: mappings of listed buckets, each owned bucket and its mapping, the
    token, the tasks, the dashboards and their variables."""
    return (len(plan.mappings) + 2 * len(plan.owned_buckets) + TOKENS + task_count(plan)
            + DASHBOARDS + VARIABLES)


def expected_counts(apps: int, engine: str = "standin") -> dict[str, Counts]:
    """Reads and writes of each phase for an org seeded with `apps` application buckets, under
    the engine stand-in or the real CLI (`real`)."""
    seeded = listed_buckets(apps, owned=False)
    after_up = listed_buckets(apps, owned=True)
    after_add = listed_buckets(apps + 1, owned=True)
    first, grown = plan_of(seeded), plan_of(after_add)

    def program(buckets: list[str]) -> int:
        return ORG_LOOKUP + SECRET_KEYS + pages(len(buckets), BUCKET_PAGE)

    # retainBucketsOnDelete defaults to true: destroy leaves the owned buckets in place.
    retained = len(grown.owned_buckets)
    program_run = program(after_add) if engine != "standin" else 0
    return {
        "preview": Counts(program(seeded), 0),
        "up": Counts(program(seeded) + pages(len(seeded), BUCKET_PAGE) + 3 * UNPAGED_LISTING
                     + pages(0, TASK_PAGE) + EMPTY_DASHBOARD_LISTING + DASHBOARDS,
                     object_count(first) + VIEWS),
        "noop_up": Counts(program(after_up), 0),
        "add_one": Counts(program(after_add) + UNPAGED_LISTING
                          + pages(task_count(first), TASK_PAGE),
                          object_count(grown) - object_count(first)),
        "refresh": Counts(program_run + pages(len(after_add), BUCKET_PAGE) + 3 * UNPAGED_LISTING
                          + pages(task_count(grown), TASK_PAGE) + DASHBOARDS, 0),
        "destroy": Counts(program_run, object_count(grown) - retained),
    }
