"""The policy pack (policy/): each policy judged on resources shaped as the engine shows them.

Props go through what the analyzer does to the engine's request (protobuf Struct, secrets as
envelopes, then pulumi_policy's own deserialisation and unknown-checking proxy), so the validators
see numbers as floats and secrets unwrapped, as under `pulumi preview --policy-pack policy`.
The last tests start the pack the way the CLI does and talk to it over gRPC.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from flux import TaskSettings
from flux.literals import flux_string
from policy import rules
from policy.rules import DBRP, POLICIES, TASK, TOKEN
from program.permissions import task_token_permissions
from program.plan import is_mappable, plan_org
from testbed.influx.server import REPO
from tests.test_bucket_names import ISSUE_NAMES

ORG_ID = "0a1b2c3d4e5f6a7b"
STACK = "urn:pulumi:prod::rubin-influx-tools::pulumi:pulumi:Stack::rubin-influx-tools-prod"
WEBHOOK = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX"


# Resources as the engine shows them to a policy pack.

def secret(value: Any) -> dict:
    """A secret value as the engine marshals it (MarshalOptions{KeepSecrets: true})."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def engine_struct(inputs: Mapping[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(inputs, struct_pb2.Struct())


def engine_props(inputs: Mapping[str, Any]) -> Mapping[str, Any]:
    """What a validator receives for these inputs (the analyzer's own decoding steps)."""
    return unknown_checking_proxy(
        deserialize_properties(json_format.MessageToDict(engine_struct(inputs))))


def urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:prod::rubin-influx-tools::pulumi:pulumi:Stack${resource_type}::{name}"


def options() -> PolicyResourceOptions:
    return PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=None,
                                 aliases=[], custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
                                 additional_secret_outputs=[], parent=STACK)


def resource_args(resource_type: str, name: str, inputs: Mapping) -> ResourceValidationArgs:
    return ResourceValidationArgs(resource_type, engine_props(inputs), urn(resource_type, name),
                                  name, options(), provider=None)


def stack_resource(resource_type: str, name: str, props: Mapping) -> PolicyResource:
    return PolicyResource(resource_type, engine_props(props), urn(resource_type, name), name,
                          options(), None, None, [], {})


def policy(name: str):
    return next(p for p in POLICIES if p.name == name)


def violations(policy_name: str, args) -> list[str]:
    found: list[str] = []
    policy(policy_name).validate(args, lambda message, urn=None: found.append(message))
    return found


def stack_violations(policy_name: str, resources: list[PolicyResource],
                     config: Mapping | None = None) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    policy(policy_name).validate(StackValidationArgs(resources, config),
                                 lambda message, urn=None: found.append((message, urn)))
    return found


# Inputs of the dynamic resources.

def token_inputs(*permissions: tuple[str, str]) -> dict:
    return {"org_id": ORG_ID, "description": "rubin-influx-tools: task management",
            "status": "active",
            "permissions": [{"action": action, "resource": {"type": kind, "orgID": ORG_ID}}
                            for action, kind in permissions]}


SCOPED = (("read", "orgs"), ("read", "tasks"), ("write", "tasks"))
# The old tokenmaker's "Token for task/alert creation".
TOKENMAKER = tuple((action, kind) for kind in ("buckets", "orgs", "tasks")
                   for action in ("read", "write"))


def app_flux(bucket: str, field: str, every: str = "5m") -> str:
    name = flux_string(f"{bucket.capitalize()} {field}")
    return f"""option task = {{name: {name}, every: {every}, offset: 7s}}

from(bucket: {flux_string(bucket)})
    |> range(start: -task.every)
    |> filter(fn: (r) => r._measurement == "kubernetes_pod_container" and r._field == "{field}")
    |> difference()
    |> filter(fn: (r) => r._value != 0)
    |> to(bucket: "multiapp_")
"""


SLACK_FLUX = """import "slack"
import "influxdata/influxdb/secrets"

option task = {name: "_slack_notify", every: 1m, offset: 30s}

webhook = secrets.get(key: "slack_webhook_url")
notify = slack.endpoint(url: webhook)(mapFn: (r) => ({channel: "#influxdb-alerts", text: r.message,
    color: if r._field == "differential_restarts" then "danger" else "warning"}))

from(bucket: "multiapp_")
    |> range(start: -task.every)
    |> filter(fn: (r) => r._measurement =~ /^restarts|state$/)
    |> notify()
"""


def task_inputs(name: str, flux: str) -> dict:
    return {"org_id": ORG_ID, "name": name, "flux": flux, "status": "active",
            "description": f"rubin-influx-tools: {name}", "token": secret("scoped-token-value")}


def mapping_inputs(bucket: str, database: str | None = None) -> dict:
    return {"org_id": ORG_ID, "bucket_id": "f00dfeedf00dfeed", "bucket_name": bucket,
            "database": bucket if database is None else database, "retention_policy": "1w",
            "default": True}


# The token-least-privilege policy.

def test_the_scoped_task_token_passes():
    args = resource_args(TOKEN, "token/tasks", token_inputs(*SCOPED))
    assert violations("token-least-privilege", args) == []


def test_the_old_tokenmakers_token_is_refused_for_write_on_orgs():
    args = resource_args(TOKEN, "token/tasks", token_inputs(*TOKENMAKER))
    assert violations("token-least-privilege", args) == [
        "token 'token/tasks' grants write on orgs: remove that permission; the scoped token only "
        "needs read on orgs and read/write on tasks, scoped to its org (write on authorizations, "
        "users or orgs would let a leaked copy mint tokens or take over the org)"]


@pytest.mark.parametrize("kind", ["authorizations", "users"])
def test_write_on_authorizations_or_users_is_refused(kind):
    args = resource_args(TOKEN, "token/tasks", token_inputs(*SCOPED, ("write", kind)))
    assert [m.split(":")[0] for m in violations("token-least-privilege", args)] == [
        f"token 'token/tasks' grants write on {kind}"]


def test_any_instance_permission_is_refused_even_read():
    args = resource_args(TOKEN, "token/tasks", token_inputs(*SCOPED, ("read", "instance")))
    [message] = violations("token-least-privilege", args)
    assert message.startswith("token 'token/tasks' holds read on the instance: remove that")


def test_read_on_authorizations_is_not_a_violation():
    args = resource_args(TOKEN, "token/tasks", token_inputs(*SCOPED, ("read", "authorizations")))
    assert violations("token-least-privilege", args) == []


# The task-no-literal-url and task-slack-webhook-from-secret policies.

def test_a_slack_task_reading_its_webhook_from_a_secret_passes_both_rules():
    args = resource_args(TASK, "task/_slack_notify", task_inputs("_slack_notify", SLACK_FLUX))
    assert violations("task-no-literal-url", args) == []
    assert violations("task-slack-webhook-from-secret", args) == []


def test_a_literal_webhook_is_refused_without_repeating_its_secret_path():
    flux = SLACK_FLUX.replace('secrets.get(key: "slack_webhook_url")', f'"{WEBHOOK}"')
    args = resource_args(TASK, "task/_slack_notify", task_inputs("_slack_notify", flux))
    [message] = violations("task-no-literal-url", args)
    assert message.startswith("task 'task/_slack_notify' has a literal URL in its Flux "
                              "(to hooks.slack.com): store the webhook URL as an InfluxDB secret")
    assert "XXXXsecretXXXX" not in message and "/services/" not in message


def test_a_url_in_a_comment_is_refused_too():
    flux = f"// posts to {WEBHOOK.replace('https', 'HTTP')}\n{SLACK_FLUX}"
    args = resource_args(TASK, "task/_slack_notify", task_inputs("_slack_notify", flux))
    assert len(violations("task-no-literal-url", args)) == 1


def test_slack_called_without_secrets_get_is_refused():
    flux = SLACK_FLUX.replace('secrets.get(key: "slack_webhook_url")', "webhookFromEnv")
    args = resource_args(TASK, "task/_slack_notify", task_inputs("_slack_notify", flux))
    assert violations("task-slack-webhook-from-secret", args) == [
        "task 'task/_slack_notify' calls Slack without secrets.get: add "
        'import "influxdata/influxdb/secrets" and pass url: secrets.get(key: "<key>") to '
        "slack.message / slack.endpoint, <key> naming the InfluxDB secret with the webhook"]


def test_secrets_get_only_in_a_comment_does_not_count():
    flux = SLACK_FLUX.replace('secrets.get(key: "slack_webhook_url")',
                              "webhookFromEnv // was secrets.get(key: ...)")
    args = resource_args(TASK, "task/_slack_notify", task_inputs("_slack_notify", flux))
    assert len(violations("task-slack-webhook-from-secret", args)) == 1


def test_a_task_that_does_not_call_slack_needs_no_secret():
    args = resource_args(TASK, "task/Nublado restarts",
                         task_inputs("Nublado restarts", app_flux("nublado", "restarts_total")))
    assert violations("task-slack-webhook-from-secret", args) == []


# The task-at-most-once-a-minute policy.

def schedule_violations(schedule: str) -> list[str]:
    flux = f'option task = {{name: "Nublado restarts", {schedule}, offset: 0s}}\n' \
           'from(bucket: "nublado") |> range(start: -1h)\n'
    args = resource_args(TASK, "task/Nublado restarts", task_inputs("Nublado restarts", flux))
    return violations("task-at-most-once-a-minute", args)


@pytest.mark.parametrize("schedule", [
    "every: 1m", "every: 2m30s", "every: 1h", "every: 60s", "every: 1h30m", "every: 1mo",
    'cron: "*/5 * * * *"', 'cron: "0 */5 * * * *"', 'cron: "30 * * * * * 2030"',
    'cron: "@hourly"', 'cron: "@every 5m"',
])
def test_schedules_of_at_most_once_a_minute_pass(schedule):
    assert schedule_violations(schedule) == []


@pytest.mark.parametrize("schedule", ["every: 59s", "every: 30s", "every: 500ms", "every: 1s999ms"])
def test_every_shorter_than_a_minute_is_refused(schedule):
    every = schedule.split(": ")[1]
    assert schedule_violations(schedule) == [
        f"task 'task/Nublado restarts' runs every {every}: make every 1m or longer; no check "
        "here needs more than one run a minute, and each run queries InfluxDB"]


@pytest.mark.parametrize("cron", ["*/10 * * * * *", "0,30 * * * * *", "* * * * * *", "@every 30s"])
def test_cron_firing_more_than_once_a_minute_is_refused(cron):
    [message] = schedule_violations(f'cron: "{cron}"')
    assert message.startswith(f"task 'task/Nublado restarts' has cron \"{cron}\", which fires "
                              "more than once a minute: drop the seconds field")


def test_every_that_is_not_a_duration_literal_is_refused():
    [message] = schedule_violations("every: checkEvery")
    assert "every: checkEvery, which is not a duration literal" in message


def test_the_rules_read_any_truncated_script_without_failing():
    # Every prefix, then a bad escape and an open regex, string and escape: none may raise.
    for end in range(len(SLACK_FLUX) + 1):
        inputs = task_inputs("x", SLACK_FLUX[:end] + ' "\\xZ" /"\\')
        for name in ("task-no-literal-url", "task-slack-webhook-from-secret",
                     "task-at-most-once-a-minute"):
            violations(name, resource_args(TASK, "task/x", inputs))
        stack_violations("app-buckets-have-tasks", [stack_resource(TASK, "task/x", inputs)])


def test_every_inside_the_task_name_or_a_comment_is_not_the_schedule():
    flux = ('// every: 10s was too often\n'
            'option task = {name: "runs, every: 10s", every: 5m}\nfrom(bucket: "nublado")\n')
    args = resource_args(TASK, "task/x", task_inputs("runs, every: 10s", flux))
    assert violations("task-at-most-once-a-minute", args) == []


# The dbrp-database-is-bucket-name policy.

def test_a_mapping_named_after_its_bucket_passes():
    args = resource_args(DBRP, "mapping/nublado", mapping_inputs("nublado"))
    assert violations("dbrp-database-is-bucket-name", args) == []


def test_a_mapping_with_another_database_name_is_refused():
    args = resource_args(DBRP, "mapping/nublado", mapping_inputs("nublado", database="Nublado"))
    assert violations("dbrp-database-is-bucket-name", args) == [
        "DBRP mapping 'mapping/nublado' names database 'Nublado' for bucket 'nublado': set "
        "database to 'nublado', so InfluxQL and Chronograf find the bucket by its name"]


def test_a_mapping_whose_bucket_name_the_check_left_empty_is_asked_for_the_name():
    inputs = {**mapping_inputs("nublado"), "bucket_name": ""}  # the Dbrp check's default
    args = resource_args(DBRP, "mapping/nublado", inputs)
    [message] = violations("dbrp-database-is-bucket-name", args)
    assert message.startswith("DBRP mapping 'mapping/nublado' has no bucket_name: pass the bucket")


def test_resource_policies_judge_only_their_own_type():
    looks_like_a_mapping = {**mapping_inputs("nublado", database="other"), "flux": WEBHOOK}
    args = resource_args(TASK, "task/x", looks_like_a_mapping)
    assert violations("dbrp-database-is-bucket-name", args) == []
    assert violations("token-least-privilege", resource_args(
        DBRP, "mapping/x", {"permissions": [{"action": "write", "resource": {"type": "orgs"}}]}
    )) == []


# The app-buckets-have-tasks policy (advisory).

def mapping(bucket: str) -> PolicyResource:
    return stack_resource(DBRP, f"mapping/{bucket}", mapping_inputs(bucket))


def app_tasks(bucket: str, fields=("restarts_total", "state_code")) -> list[PolicyResource]:
    return [stack_resource(TASK, f"task/{bucket} {field}",
                           task_inputs(f"{bucket} {field}", app_flux(bucket, field)))
            for field in fields]


SYSTEM_AND_SHARED = [mapping("_monitoring"), mapping("multiapp_"), mapping("roundtable_internal_")]


def test_a_stack_where_every_app_bucket_has_both_tasks_passes():
    resources = [*SYSTEM_AND_SHARED, mapping("nublado"), *app_tasks("nublado"),
                 stack_resource(TASK, "task/_slack_notify",
                                task_inputs("_slack_notify", SLACK_FLUX))]
    assert stack_violations("app-buckets-have-tasks", resources) == []


def test_an_app_bucket_missing_its_pod_state_task_is_reported_on_its_mapping():
    resources = [*SYSTEM_AND_SHARED, mapping("nublado"), *app_tasks("nublado"),
                 mapping("gafaelfawr"), *app_tasks("gafaelfawr", fields=("restarts_total",))]
    assert stack_violations("app-buckets-have-tasks", resources) == [(
        "app bucket 'gafaelfawr' has no task watching pod state (Flux reading "
        'from(bucket: "gafaelfawr") and the field state_code): run `pulumi up` so the program '
        "declares it, or, if 'gafaelfawr' is in the stack's ignoreBuckets, add it to this "
        "policy's ignoreBuckets too", urn(DBRP, "mapping/gafaelfawr"))]


def test_buckets_in_the_policys_ignore_list_need_no_tasks():
    resources = [mapping("nublado"), *app_tasks("nublado"), mapping("scratch")]
    assert len(stack_violations("app-buckets-have-tasks", resources)) == 2
    assert stack_violations("app-buckets-have-tasks", resources,
                            config={"ignoreBuckets": ["scratch"]}) == []


def test_a_bucket_name_with_quotes_matches_only_when_escaped_as_flux_escapes_it():
    bucket = 'odd"name\\${x}'
    assert stack_violations("app-buckets-have-tasks", [mapping(bucket), *app_tasks(bucket)]) == []
    unescaped = [stack_resource(TASK, f"task/{field}", task_inputs(field, app_flux(
        bucket, field).replace(flux_string(bucket), f'"{bucket}"')))
        for field in ("restarts_total", "state_code")]
    assert len(stack_violations("app-buckets-have-tasks", [mapping(bucket), *unescaped])) == 2


def test_a_from_call_in_a_comment_does_not_count_as_watching():
    flux = "// from(bucket: \"nublado\")\n" + app_flux("other", "restarts_total")
    resources = [mapping("nublado"), *app_tasks("nublado", fields=("state_code",)),
                 stack_resource(TASK, "task/x", task_inputs("x", flux))]
    [(message, _)] = stack_violations("app-buckets-have-tasks", resources)
    assert message.startswith("app bucket 'nublado' has no task watching pod restarts")


# The task-names-unique policy (advisory).

def test_two_tasks_with_one_name_are_reported_on_the_second():
    same = task_inputs("Nublado restarts", app_flux("nublado", "restarts_total"))
    resources = [stack_resource(TASK, "task/Nublado restarts", same),
                 stack_resource(TASK, "task/NUBLADO restarts", same), *app_tasks("gafaelfawr")]
    assert stack_violations("task-names-unique", resources) == [(
        "tasks 'task/Nublado restarts' and 'task/NUBLADO restarts' share the task name "
        "'Nublado restarts': give each task its own name (tasks are found by name, so one would "
        "take over the other's task)", urn(TASK, "task/NUBLADO restarts"))]


def test_distinct_task_names_pass():
    assert stack_violations("task-names-unique", [*app_tasks("nublado"), *app_tasks("gaf")]) == []


# During preview.

def test_a_first_preview_is_judged_though_ids_and_the_token_are_not_known_yet():
    """Before the first up, org ids and the task token are unknowns; the rules never read them."""
    token = token_inputs(*TOKENMAKER)
    for permission in token["permissions"]:
        permission["resource"]["orgID"] = UNKNOWN_STRING_VALUE
    task = {**task_inputs("Nublado restarts", app_flux("nublado", "restarts_total", every="30s")),
            "org_id": UNKNOWN_STRING_VALUE, "token": UNKNOWN_STRING_VALUE}
    assert len(violations("token-least-privilege",
                          resource_args(TOKEN, "token/tasks", token))) == 1
    assert len(violations("task-at-most-once-a-minute",
                          resource_args(TASK, "task/Nublado restarts", task))) == 1


# What the program declares.

def planned_stack(listing: list[str]) -> list[PolicyResource]:
    """The Dbrp, AuthorizationToken and Task resources the program declares for these buckets."""
    buckets = [{"id": f"{i:016x}", "name": name, "retentionRules": []}
               for i, name in enumerate(listing)]
    plan = plan_org(buckets, TaskSettings())
    bucket_names = [m.bucket_name for m in plan.mappings] + [b.name for b in plan.owned_buckets]
    tasks = [*(t for specs in plan.app_tasks.values() for t in specs), *plan.global_tasks]
    return [*(mapping(name) for name in bucket_names),
            stack_resource(TOKEN, "token/tasks", {
                **token_inputs(), "permissions": task_token_permissions(ORG_ID)}),
            *(stack_resource(TASK, f"task/{t.name}", task_inputs(t.name, t.flux))
              for t in tasks)]


def all_violations(resources: list[PolicyResource]) -> list[str]:
    found: list[str] = []
    for rule in POLICIES:
        if rule.name in ("app-buckets-have-tasks", "task-names-unique"):
            found += [m for m, _ in stack_violations(rule.name, resources)]
        else:
            for r in resources:
                found += violations(rule.name, ResourceValidationArgs(
                    r.resource_type, r.props, r.urn, r.name, r.opts, None))
    return found


LISTING = ["_monitoring", "_tasks", "roundtable_internal_", "nublado", "gafaelfawr", "argocd"]


def test_everything_the_program_plans_for_an_org_passes_every_policy():
    resources = planned_stack(LISTING)
    assert {r.resource_type for r in resources} == {DBRP, TOKEN, TASK}
    assert all_violations(resources) == []


def test_what_the_program_plans_for_awkward_bucket_names_passes_every_policy():
    """A bucket of spaces only is mapped and left unmonitored by the program: not an app."""
    resources = planned_stack([*LISTING, *ISSUE_NAMES])
    assert {mapping.name for mapping in resources if mapping.resource_type == DBRP} >= {
        "mapping/ ", "mapping/a{b", "mapping/x${y}z"}
    assert all_violations(resources) == []


# A name of each bucket class, and the edges between them.
CLASS_NAMES = ["nublado", "a_b", "_monitoring", "_x_", "_", "__", "host_internal_", "x_", "a b"]


@pytest.mark.parametrize("name", [name for name in (*CLASS_NAMES, *ISSUE_NAMES)
                                  if is_mappable(name)])
def test_the_pack_takes_a_mapped_bucket_for_an_app_exactly_when_the_program_monitors_it(name):
    """The pack's own reading of bucket classes (policy/rules.py) against the program's."""
    listing = [{"id": f"{i:016x}", "name": bucket, "retentionRules": []}
               for i, bucket in enumerate(sorted({"_monitoring", "_tasks", name}))]
    plan = plan_org(listing, TaskSettings(), map_system_buckets=True)
    assert name in [m.bucket_name for m in plan.mappings]
    assert rules.is_app_bucket(name) == (name in plan.apps)


def test_the_advisory_check_recognises_the_programs_own_app_tasks():
    resources = planned_stack(LISTING)
    without = [r for r in resources if r.name != "task/Gafaelfawr state_checks"]
    assert [m.split(" (")[0] for m in all_violations(without)] == [
        "app bucket 'gafaelfawr' has no task watching pod state"]


# Its config, from the stack's settings.

IGNORING_MOBU = "config:\n  rubin-influx-tools:ignoreBuckets:\n    - mobu\n"


@pytest.mark.parametrize(("stack", "stack_file", "ignored"), [
    ("prod", IGNORING_MOBU, ["mobu"]),
    ("rubin/prod", IGNORING_MOBU, ["mobu"]),  # a Pulumi Cloud stack: <org>/<stack>
    ("prod", "config:\n  influxdb:org: square\n", []),  # unset: Pulumi.yaml's default
    ("prod", None, []),
])
def test_the_policy_config_is_written_from_the_stacks_file(stack, stack_file, ignored, tmp_path):
    shutil.copy(REPO / "Pulumi.yaml", tmp_path)
    if stack_file:
        (tmp_path / "Pulumi.prod.yaml").write_text(stack_file)

    written = subprocess.run([sys.executable, str(REPO / "policy" / "config_from_stack.py"), stack],
                             cwd=tmp_path, capture_output=True, text=True, check=True)

    assert json.loads(written.stdout) == {"app-buckets-have-tasks": {"ignoreBuckets": ignored}}


# The pack as the CLI runs it.

@pytest.fixture(scope="module")
def analyzer() -> analyzer_pb2_grpc.AnalyzerStub:
    """policy/ served like `pulumi-analyzer-policy-python` does: `python -m pulumi.policy`."""
    pack = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."],
                            cwd=REPO / "policy", stdout=subprocess.PIPE, text=True)
    port = pack.stdout.readline().strip()
    assert port.isdigit(), f"the policy pack did not start (first line: {port!r})"
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
    pack.terminate()
    pack.wait(timeout=10)


def test_the_pack_serves_resource_rules_as_mandatory_and_stack_rules_as_advisory(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=10)
    levels = {p.name: p.enforcementLevel for p in info.policies}
    assert levels == {
        "token-least-privilege": analyzer_pb2.MANDATORY,
        "task-no-literal-url": analyzer_pb2.MANDATORY,
        "task-slack-webhook-from-secret": analyzer_pb2.MANDATORY,
        "task-at-most-once-a-minute": analyzer_pb2.MANDATORY,
        "dbrp-database-is-bucket-name": analyzer_pb2.MANDATORY,
        "app-buckets-have-tasks": analyzer_pb2.ADVISORY,
        "task-names-unique": analyzer_pb2.ADVISORY,
    }


def analyze(analyzer, resource_type: str, name: str, inputs: dict) -> list:
    request = analyzer_pb2.AnalyzeRequest(urn=urn(resource_type, name), type=resource_type,
                                          name=name, properties=engine_struct(inputs))
    return list(analyzer.Analyze(request, timeout=10).diagnostics)


def test_the_pack_blocks_the_old_tokenmakers_token_and_passes_the_scoped_one(analyzer):
    [diagnostic] = analyze(analyzer, TOKEN, "token/tasks", token_inputs(*TOKENMAKER))
    assert diagnostic.policyName == "token-least-privilege"
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
    assert "token 'token/tasks' grants write on orgs: remove that permission" in diagnostic.message
    assert analyze(analyzer, TOKEN, "token/tasks", token_inputs(*SCOPED)) == []


def test_the_pack_reads_a_task_whose_token_input_is_a_secret(analyzer):
    flux = SLACK_FLUX.replace('secrets.get(key: "slack_webhook_url")', f'"{WEBHOOK}"')
    diagnostics = analyze(analyzer, TASK, "task/_slack_notify", task_inputs("_slack_notify", flux))
    assert sorted(d.policyName for d in diagnostics) == [
        "task-no-literal-url", "task-slack-webhook-from-secret"]
    assert all("scoped-token-value" not in d.message for d in diagnostics)


def test_the_pack_advises_on_the_stack(analyzer):
    same = engine_struct(task_inputs("Nublado restarts", app_flux("nublado", "restarts_total")))
    resources = [analyzer_pb2.AnalyzerResource(urn=urn(TASK, f"task/{i}"), type=TASK,
                                               name=f"task/{i}", properties=same)
                 for i in range(2)]
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources),
                                     timeout=10)
    assert [(d.policyName, d.enforcementLevel, d.urn) for d in response.diagnostics] == [
        ("task-names-unique", analyzer_pb2.ADVISORY, urn(TASK, "task/1"))]
