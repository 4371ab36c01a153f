"""The GitHub Actions workflows: actionlint finds nothing, and the deploy rules hold.

actionlint is the real one, built pinned by `make tools` (testbed/tools.py), without shellcheck
and pyflakes so that its findings do not depend on what else is installed; the structure checks
read the YAML as GitHub does, and the shell steps that carry logic (the preview's secrets check,
the destroy confirmation, the InfluxDB onboarding) are run with the shell the workflow selects.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from testbed.influx.contract import Token, api_call
from testbed.influx.server import REPO
from testbed.tools import ACTIONLINT, ACTIONLINT_VERSION, PULUMI_VERSION

WORKFLOWS = REPO / ".github" / "workflows"
CI = WORKFLOWS / "ci.yaml"
DEPLOY = WORKFLOWS / "deploy.yaml"
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
SECRET_NAME = re.compile(r"token|passphrase|password|secret|key", re.IGNORECASE)
SECRET_REFERENCE = re.compile(r"^\$\{\{ *secrets\.[A-Z0-9_]+ *\}\}$")
LONG_LITERAL = re.compile(r"[A-Za-z0-9+/=_-]{32,}")
USES_SECRETS = re.compile(r"(?<![\w-])secrets\.")
# The command GitHub runs for `shell: bash` (docs: "Using a specific shell").
GITHUB_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads `on` as true
    return workflow


def actionlint(*paths: Path) -> list[dict]:
    result = subprocess.run([str(ACTIONLINT.path), "-shellcheck=", "-pyflakes=", "-format",
                             "{{json .}}", *map(str, paths)], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(action + "@")]


def step_named(job: dict, name: str) -> dict:
    return next(step for step in job["steps"] if step.get("name") == name)


def all_jobs() -> Iterator[tuple[str, dict]]:
    for path in (CI, DEPLOY):
        for name, job in load(path)["jobs"].items():
            yield f"{path.name}:{name}", job


def pinned_requirement(path: Path, package: str) -> str:
    return re.search(rf"^{package}==(\S+)$", path.read_text(), re.MULTILINE).group(1)


def run_step(workflow: dict, step: dict, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    """Run a `run:` step with the shell the workflow selects, as the runner would."""
    assert workflow["defaults"]["run"]["shell"] == "bash"
    return subprocess.run([*GITHUB_BASH, "-c", step["run"]],
                          env={"PATH": os.environ["PATH"], **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


# actionlint.

def test_every_workflow_passes_actionlint():
    workflows = sorted(WORKFLOWS.glob("*.y*ml"))
    assert {path.name for path in workflows} >= {"ci.yaml", "deploy.yaml"}
    assert actionlint(*workflows) == []


def test_actionlint_is_the_pinned_release():
    said = subprocess.run([str(ACTIONLINT.path), "-version"], capture_output=True, text=True,
                          check=True).stdout
    assert said.splitlines()[0] == ACTIONLINT_VERSION


def test_actionlint_reports_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    needs: build\n"
                      "    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n")
    findings = actionlint(broken)
    assert {(f["kind"], f["line"]) for f in findings} == {("job-needs", 3), ("expression", 7)}
    assert "needs job \"build\" which does not exist" in findings[0]["message"]


# Both workflows.

def test_every_action_is_pinned_to_a_commit():
    uses = [step["uses"] for _, job in all_jobs() for step in job["steps"] if "uses" in step]
    assert uses and [u for u in uses if not PINNED_ACTION.match(u)] == []


def test_refresh_and_destroy_run_the_program_so_a_rotated_token_works():
    assert load(DEPLOY)["env"]["PULUMI_RUN_PROGRAM"] == "true"


def test_the_deploy_writes_the_state_once_a_run_not_after_every_step():
    assert load(DEPLOY)["env"]["PULUMI_SKIP_CHECKPOINTS"] == "true"


def test_every_job_sets_up_python_3_11_and_the_deploy_installs_the_cli_the_tests_run():
    versions = {step["with"]["python-version"] for _, job in all_jobs()
                for step in steps_using(job, "actions/setup-python")}
    assert versions == {"3.11"}
    cli = load(DEPLOY)["env"]["PULUMI_VERSION"]
    assert f"v{cli}" == PULUMI_VERSION
    sdk = pinned_requirement(REPO / "requirements.txt", "pulumi")
    assert tuple(map(int, cli.split("."))) >= tuple(map(int, sdk.split("."))), \
        "the CLI must not be older than the SDK"
    assert pinned_requirement(REPO / "policy" / "requirements.txt", "pulumi") == \
        pinned_requirement(REPO / "requirements.txt", "pulumi")


def secret_literals(node, key: str = "") -> Iterator[str]:
    """Values that look like a credential written into the file instead of `${{ secrets.X }}`
    (a cache step's `key` names a cache, not a credential)."""
    if isinstance(node, dict):
        for child_key, child in node.items():
            if child_key == "with" and str(node.get("uses", "")).startswith("actions/cache@"):
                child = {name: value for name, value in child.items() if name != "key"}
            yield from secret_literals(child, str(child_key))
    elif isinstance(node, list):
        for child in node:
            yield from secret_literals(child, key)
    elif isinstance(node, str) and key != "uses":
        if SECRET_NAME.search(key) and not SECRET_REFERENCE.match(node):
            yield f"{key}: {node}"
        yield from (f"{key}: {match}" for match in LONG_LITERAL.findall(node))


@pytest.mark.parametrize("path", [CI, DEPLOY], ids=lambda path: path.name)
def test_no_secret_is_written_into_a_workflow(path):
    assert list(secret_literals(load(path))) == []


def test_the_secret_check_catches_a_literal_token():
    workflow = load(DEPLOY)
    workflow["env"]["INFLUXDB_TOKEN"] = "abc"
    workflow["jobs"]["deploy"]["steps"][0]["run"] = "curl -H 'Authorization: Token " + "x9" * 20
    assert len(list(secret_literals(workflow))) == 2


# Deploy.

STACK_VARIABLE = "vars.PULUMI_STACK || 'prod'"
PULUMI_SECRETS = {"PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE",
                  "INFLUXDB_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                  "GOOGLE_CREDENTIALS", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY"}


def pulumi_steps(workflow: dict) -> dict[str, dict]:
    """The pulumi/actions step of each job that has one, by job."""
    return {name: step for name, job in workflow["jobs"].items()
            for step in steps_using(job, "pulumi/actions")}


def test_deploy_previews_pull_requests_and_deploys_main_on_push_schedule_and_dispatch():
    workflow = load(DEPLOY)
    triggers = workflow["on"]
    assert set(triggers) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert triggers["push"] == {"branches": ["main"]}
    minutes, *rest = triggers["schedule"][0]["cron"].split()
    assert re.fullmatch(r"\*/(\d+)", minutes) and int(minutes[2:]) <= 30 and set(rest) == {"*"}
    jobs = workflow["jobs"]
    assert jobs["preview-secrets"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["preview"]["needs"] == "preview-secrets"
    assert jobs["deploy"]["if"] == ("github.ref == 'refs/heads/main' && github.event_name != "
                                    "'pull_request' && inputs.command != 'destroy'")
    assert jobs["confirm-destroy"]["if"] == \
        "github.ref == 'refs/heads/main' && inputs.command == 'destroy'"
    assert jobs["destroy"]["needs"] == "confirm-destroy"


def test_the_stack_is_the_repository_variable_else_prod_in_every_job_and_lock():
    workflow = load(DEPLOY)
    assert workflow["env"]["STACK"] == f"${{{{ {STACK_VARIABLE} }}}}"
    assert {step["with"]["stack-name"] for step in pulumi_steps(workflow).values()} == {
        "${{ env.STACK }}"}
    groups = [workflow["jobs"][job]["concurrency"]["group"] for job in ("deploy", "destroy")]
    assert groups == [f"pulumi-${{{{ {STACK_VARIABLE} }}}}",
                      f"pulumi-destroy-${{{{ {STACK_VARIABLE} }}}}"]


def test_deploy_permissions_are_read_only_except_the_preview_comment():
    workflow = load(DEPLOY)
    assert workflow["permissions"] == {"contents": "read"}
    assert {name: job.get("permissions") for name, job in workflow["jobs"].items()} == {
        "preview-secrets": None, "preview": {"contents": "read", "pull-requests": "write"},
        "deploy": None, "confirm-destroy": None, "destroy": None}
    assert load(CI)["permissions"] == {"contents": "read"}


def test_one_deploy_at_a_time_per_stack_never_cancelled_and_a_queued_destroy_never_replaced():
    jobs = load(DEPLOY)["jobs"]
    # GitHub keeps one pending run per group, cancelling the older: destroy has a group of its
    # own so that no scheduled or pushed deploy queued after it can take its place.
    assert jobs["deploy"]["concurrency"]["group"] != jobs["destroy"]["concurrency"]["group"]
    assert {jobs[job]["concurrency"]["cancel-in-progress"] for job in ("deploy", "destroy")} == {
        False}
    assert "cancel-in-progress: true" not in DEPLOY.read_text()


def test_preview_shows_a_diff_in_the_comment_and_deploy_refreshes_and_updates_in_one_command():
    steps = pulumi_steps(load(DEPLOY))
    assert {job: step["with"]["command"] for job, step in steps.items()} == {
        "preview": "preview", "deploy": "up", "destroy": "destroy"}
    assert steps["preview"]["with"]["comment-on-pr"] is True
    assert steps["preview"]["with"]["diff"] is True
    assert steps["deploy"]["with"]["refresh"] is True
    assert {step["with"]["pulumi-version"] for step in steps.values()} == {
        "${{ env.PULUMI_VERSION }}"}


def test_preview_and_up_apply_the_policy_pack_with_the_config_written_from_the_stack():
    workflow = load(DEPLOY)
    for name in ("preview", "deploy"):
        job = workflow["jobs"][name]
        write = step_named(job, "Write the policy config from the stack's settings")
        [pulumi] = steps_using(job, "pulumi/actions")
        steps = job["steps"]
        assert write["run"] == ('policy/venv/bin/python policy/config_from_stack.py "$STACK" > '
                                '"$RUNNER_TEMP/policy-config.json"')
        assert steps.index(write) < steps.index(pulumi)
        assert pulumi["with"]["policyPacks"] == "policy"
        assert pulumi["with"]["policyPackConfigs"] == "${{ runner.temp }}/policy-config.json"
    assert "policyPacks" not in pulumi_steps(workflow)["destroy"]["with"]
    assert (REPO / "policy" / "PulumiPolicy.yaml").is_file()


def test_dependencies_go_into_the_virtualenvs_pulumi_and_the_policy_pack_name():
    program_venv = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["runtime"]["options"][
        "virtualenv"]
    pack_venv = yaml.safe_load((REPO / "policy" / "PulumiPolicy.yaml").read_text())["runtime"][
        "options"]["virtualenv"]
    jobs = load(DEPLOY)["jobs"]
    for name in ("preview", "deploy", "destroy"):
        [install] = [step for step in jobs[name]["steps"] if "pip install" in step.get("run", "")]
        assert f"python -m venv {program_venv} && {program_venv}/bin/pip install -r " \
               "requirements.txt" in install["run"]
        if name != "destroy":  # destroy is not judged by the pack
            assert f"python -m venv policy/{pack_venv} && policy/{pack_venv}/bin/pip install " \
                   "-r policy/requirements.txt" in install["run"]


def test_secrets_reach_only_the_pulumi_steps_and_the_preview_check_never_the_installs():
    workflow = load(DEPLOY)
    assert not USES_SECRETS.search(yaml.safe_dump(workflow["env"]))
    given = {}
    for job in workflow["jobs"].values():
        assert not USES_SECRETS.search(yaml.safe_dump({k: v for k, v in job.items()
                                                       if k != "steps"}))
        for step in job["steps"]:
            if USES_SECRETS.search(yaml.safe_dump(step)):
                given[step.get("name", step.get("uses"))] = step["env"]
    checked = given.pop("Check for the backend's secrets")
    assert set(checked) == {"HAS_BACKEND"}
    assert set(given) == {"pulumi preview", "pulumi up --refresh", "pulumi destroy"}
    assert {frozenset(env.items()) for env in given.values()} == {
        frozenset((name, f"${{{{ secrets.{name} }}}}") for name in PULUMI_SECRETS)}


@pytest.mark.parametrize(("has_backend", "ready"), [("true", "true"), ("false", "false")])
def test_a_pull_request_without_the_secrets_skips_its_preview_with_a_notice(has_backend, ready,
                                                                          tmp_path):
    workflow = load(DEPLOY)
    check = step_named(workflow["jobs"]["preview-secrets"], "Check for the backend's secrets")
    outputs = tmp_path / "github_output"
    outputs.touch()

    result = run_step(workflow, check, {"HAS_BACKEND": has_backend,
                                        "GITHUB_OUTPUT": str(outputs)}, tmp_path)

    assert result.returncode == 0, result.stderr  # a skip, never a red failure
    assert outputs.read_text() == f"ready={ready}\n"
    assert result.stdout.startswith("::notice::No preview: this pull request gets no deploy "
                                    "secrets") is (ready == "false")
    preview = workflow["jobs"]["preview"]
    assert preview["if"] == "needs.preview-secrets.outputs.ready == 'true'"
    assert workflow["jobs"]["preview-secrets"]["outputs"]["ready"] == \
        "${{ steps.check.outputs.ready }}"


def test_destroy_waits_for_the_typed_confirmation_and_then_the_environments_approval():
    workflow = load(DEPLOY)
    confirm = workflow["jobs"]["confirm-destroy"]
    destroy = workflow["jobs"]["destroy"]
    guard = step_named(confirm, "Check the destroy confirmation")
    assert guard["env"] == {"CONFIRM": "${{ inputs.confirm }}"}
    assert "environment" not in confirm  # checked before anyone is asked to approve
    assert destroy["environment"] == "destroy"
    assert destroy["needs"] == "confirm-destroy"
    dispatch = workflow["on"]["workflow_dispatch"]["inputs"]
    assert dispatch["command"]["options"] == ["up", "destroy"]
    assert dispatch["command"]["default"] == "up"


@pytest.mark.parametrize(("typed", "passes"), [
    ("prod", True), ("", False), ("prd", False), ("prod ", False), ("PROD", False)])
def test_the_confirmation_must_be_the_stack_name(typed, passes, tmp_path):
    workflow = load(DEPLOY)
    guard = step_named(workflow["jobs"]["confirm-destroy"], "Check the destroy confirmation")
    result = run_step(workflow, guard, {"STACK": "prod", "CONFIRM": typed}, tmp_path)
    assert (result.returncode == 0) is passes
    assert ("::error::destroy removes everything in stack prod" in result.stdout) is not passes


# CI.

def test_ci_runs_the_readme_test_command_with_python_and_node_then_against_influxdb_2_7():
    workflow = load(CI)
    assert set(workflow["on"]) == {"push", "pull_request"}
    jobs = workflow["jobs"]
    assert set(jobs) == {"test", "test-influxdb"}
    for job in jobs.values():
        assert step_named(job, "make test")["run"].strip() == "make test"
        [node] = steps_using(job, "actions/setup-node")
        assert node["with"]["node-version"] == "20"
    real = jobs["test-influxdb"]
    assert real["services"]["influxdb"]["image"] == "influxdb:2.7"
    assert real["services"]["influxdb"]["ports"] == ["8086:8086"]
    assert real["env"]["INFLUXDB_TEST_URL"] == "http://localhost:8086"


def test_ci_onboards_influxdb_and_hands_the_masked_token_to_the_tests(fresh_influxdb, tmp_path):
    """The step against a server not set up yet (the `fresh_influxdb` fixture), as the CI
    service container starts: the token it exports is the operator's of the org it named."""
    workflow = load(CI)
    job = workflow["jobs"]["test-influxdb"]
    onboard = step_named(job, "Onboard InfluxDB")
    github_env = tmp_path / "github_env"
    github_env.touch()
    env = {**job["env"], "INFLUXDB_TEST_URL": fresh_influxdb.url, "GITHUB_ENV": str(github_env)}

    first = run_step(workflow, onboard, env, tmp_path)
    assert first.returncode == 0, first.stderr
    exported = github_env.read_text()
    token = Token(exported.removeprefix("INFLUXDB_TEST_TOKEN=").removesuffix("\n"))
    assert token and exported == f"INFLUXDB_TEST_TOKEN={token}\n"
    assert first.stdout.splitlines()[0] == f"::add-mask::{token}"
    orgs = api_call(fresh_influxdb, "GET", "/api/v2/orgs", token=token).json()["orgs"]
    assert [org["name"] for org in orgs] == [job["env"]["INFLUXDB_TEST_ORG"]] == ["rubin"]

    # A failed setup fails the step (pipefail) instead of exporting an empty token.
    again = run_step(workflow, onboard, env, tmp_path)
    assert again.returncode != 0
    assert github_env.read_text() == exported
