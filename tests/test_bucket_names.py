"""Any bucket name InfluxDB accepts works end to end, or is left out of the plan with a reason
before anything is written (issue 17, item 1), proved over generated names.

InfluxDB refuses only a leading `_` and a `"` in a bucket name (and takes the empty name, spaces
only, control characters). For each generated name: the plan either monitors the bucket, and
then each of its tasks passes the Task provider's check() through the real provider host, is
valid to InfluxData's Flux checker, names the task and reads the bucket as the plan does, and
(a bounded number of examples, on both servers) is created and read back by the server under
that name and schedule; or leaves the bucket out, only for a name no task can carry. A bucket is
mapped exactly when the server takes its name as a DBRP database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flux import TaskSettings, TaskSpec
from flux.literals import name_problem
from flux.tasks import APP_KINDS
from program.bucket_classes import is_app_bucket
from program.plan import OrgPlan, plan_org
from testbed.engine.provider_host import ProviderHost
from testbed.flux_checker import FluxChecker
from testbed.influx.seed import add_bucket
from testbed.influx.server import InfluxOrg
from testbed.provider_kinds import DBRP, TASK

# Pieces that broke check() before (issue 17) or that Flux strings treat specially.
AWKWARD = ["{", "}", "\\", "$", "${", "${x}", "\\${", ":", "cron:", "every:", "option task = {",
           "//", "/*", "'", " ", "\t", "\n", "\r", "\x00", "\x7f", "\x85", "\u00a0", "\u200b",
           "\u2028", "\u2029", "\u3000", "\ufeff", "é", "ß", "ǆ", "日本", "\U0001f600", ".", "_"]
# Every character InfluxDB takes in a bucket name: all but `"` (and surrogates, which no UTF-8
# text can carry); a leading `_` is refused.
accepted_names = st.lists(
    st.one_of(st.sampled_from(AWKWARD),
              st.characters(exclude_categories=("Cs",), exclude_characters='"')),
    max_size=12).map("".join).filter(lambda name: not name.startswith("_"))
# The names issue 17 lists, always tried.
ISSUE_NAMES = ["a{b", "}{", "{{x}}", "back\\slash", "trailing\\", "${x}", "x${y}z", "a$\\${b}",
               "cron: 0 * * * *", "a cron: 1", "every: 1m", "nb\u00a0sp", "zero\u200bwidth",
               "line\u2028sep", "\u00a0", "", " ", "   ", "\t", "new\nline"]
SETTINGS = TaskSettings()
ORG_ID = "00000000000000a1"


def with_issue_names(test):
    for name in ISSUE_NAMES:
        test = example(name=name)(test)
    return test


def plan_for(name: str, org: str = SETTINGS.org) -> OrgPlan:
    listing = [{"id": f"{number:016x}", "name": bucket, "retentionRules": []}
               for number, bucket in enumerate([name, "_monitoring", "_tasks"], start=1)]
    return plan_org(listing, TaskSettings(org=org))


def task_inputs(spec: TaskSpec, org_id: str = ORG_ID) -> dict:
    return {"org_id": org_id, "name": spec.name, "flux": spec.flux, "status": "inactive",
            "description": spec.description}


def mapped(plan: OrgPlan, name: str) -> bool:
    """Whether the plan maps the bucket (a bucket the program owns is mapped apart)."""
    return name in {bucket.bucket_name for bucket in plan.mappings} | {
        bucket.name for bucket in plan.owned_buckets}


def assert_monitored_or_left_out_for_its_name(plan: OrgPlan, name: str) -> None:
    if not is_app_bucket(name):
        assert name not in plan.apps and name not in plan.unmonitored
    elif name in plan.unmonitored:
        # Only a name no task can carry is left out, never one whose rendering would fail.
        assert name_problem(name), plan.unmonitored[name]
        assert name not in plan.apps and name not in plan.app_tasks
    else:
        assert plan.apps == [name] and len(plan.app_tasks[name]) == len(APP_KINDS)


def assert_checker_reads_the_task_as_planned(checker: FluxChecker, spec: TaskSpec,
                                             bucket: str) -> None:
    result = checker.check(spec.name, spec.flux)
    assert result["valid"] is True, result.get("error")
    body = result["ast"]["body"]
    [option] = [node["assignment"]["init"] for node in body if node["type"] == "OptionStatement"]
    properties = {prop["key"]["name"]: prop["value"] for prop in option["properties"]}
    assert (properties["name"]["type"], properties["name"]["value"]) == (
        "StringLiteral", spec.name)
    assert bucket in _string_literals(result["ast"])


def _string_literals(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["value"]} if node.get("type") == "StringLiteral" else set()
        return found.union(*(_string_literals(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_string_literals(item) for item in node))
    return set()


@pytest.fixture(scope="module")
def checking_host() -> Iterator[ProviderHost]:
    """The real provider host, for check() only (local: it asks no server)."""
    with ProviderHost() as host:
        yield host


@settings(max_examples=300, deadline=None, database=None)
@with_issue_names
@given(name=accepted_names)
def test_any_accepted_name_is_monitored_with_tasks_that_pass_check_or_left_out(
        checking_host: ProviderHost, flux_checker: FluxChecker, name: str):
    plan = plan_for(name)

    assert_monitored_or_left_out_for_its_name(plan, name)
    for spec in plan.app_tasks.get(name, []):
        _, failures = checking_host.check(TASK.provider, TASK.type_name, "t", {},
                                          task_inputs(spec))
        assert failures == []
        assert_checker_reads_the_task_as_planned(flux_checker, spec, name)
    database = {"org_id": ORG_ID, "bucket_id": "0" * 15 + "1", "bucket_name": name,
                "database": name, "retention_policy": "infinite", "default": True}
    _, failures = checking_host.check(DBRP.provider, DBRP.type_name, "m", {}, database)
    assert (failures == []) == mapped(plan, name)


# One org (the `org` fixture) serves every example; each example removes what it made.
@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@with_issue_names
@given(name=accepted_names)
def test_the_server_takes_the_planned_tasks_and_mappings_under_the_planned_names(
        org: InfluxOrg, name: str):
    server = org.server
    bucket = add_bucket(org, name)
    created: list[str] = []
    try:
        plan = plan_for(name, org.name)
        assert_monitored_or_left_out_for_its_name(plan, name)
        for spec in plan.app_tasks.get(name, []):
            response = server.api("POST", "/api/v2/tasks", json={
                "orgID": org.id, "flux": spec.flux, "status": "inactive"})
            assert response.status_code == 201, response.text
            created.append(response.json()["id"])
            stored = server.api("GET", f"/api/v2/tasks/{created[-1]}").json()
            assert (stored["name"], stored["every"]) == (spec.name, SETTINGS.check_every)
            assert stored["flux"] == spec.flux
        mapping = server.api("POST", "/api/v2/dbrps", json={
            "orgID": org.id, "bucketID": bucket["id"], "database": name,
            "retention_policy": "infinite", "default": True})
        assert (mapping.status_code == 201) == mapped(plan, name), mapping.text
        if mapping.status_code == 201:
            assert mapping.json()["database"] == name
            server.api("DELETE", f"/api/v2/dbrps/{mapping.json()['id']}",
                       params={"orgID": org.id})
    finally:
        for task_id in created:
            server.api("DELETE", f"/api/v2/tasks/{task_id}")
        server.api("DELETE", f"/api/v2/buckets/{bucket['id']}")
