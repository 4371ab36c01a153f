"""The policy pack (policy/) as `pulumi preview|up --policy-pack policy` runs it: the real CLI
starts the pack, judges every resource before any step, and a mandatory violation stops the run.

Each mandatory policy is proven by a program that breaks it and passes the providers' own checks
(a policy the checks already cover could never fire); the stack's `ignoreBuckets` reaches the
advisory through the policy config `policy/config_from_stack.py` writes, as the deploy does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from testbed.engine.cli import PulumiCli
from testbed.influx.seed import add_bucket
from testbed.influx.server import InfluxOrg
from testbed.paths import REPO

PACK = REPO / "policy"
BUCKET_ID = "0123456789abcdef"
# Per mandatory policy: a program breaking it (and no provider check), and what the pack says.
VIOLATIONS = {
    "token-least-privilege": ('''
AuthorizationToken("token/admin", org_id=ORG_ID, description="too wide", permissions=[
    {"action": "write", "resource": {"type": "orgs", "orgID": ORG_ID}}])
''', "token 'token/admin' grants write on orgs: remove that permission"),
    "task-no-literal-url": ('''
Task("task/hook", org_id=ORG_ID, name="hook", flux='import "http"\\n'
     'option task = {name: "hook", every: 1m}\\n'
     'http.post(url: "https://hooks.example.org/T0/B0/x", data: bytes(v: "x"))\\n')
''', "task 'task/hook' has a literal URL in its Flux (to hooks.example.org)"),
    "task-slack-webhook-from-secret": ('''
Task("task/slack", org_id=ORG_ID, name="slack", flux='import "slack"\\n'
     'option task = {name: "slack", every: 1m}\\n'
     'slack.message(url: v.webhook, channel: "#a", text: "x", color: "good")\\n')
''', "task 'task/slack' calls Slack without secrets.get"),
    "task-at-most-once-a-minute": ('''
Task("task/too-often", org_id=ORG_ID, name="too often",
     flux='option task = {name: "too often", every: 30s}\\nfrom(bucket: "app")\\n')
''', "task 'task/too-often' runs every 30s: make every 1m or longer"),
    "dbrp-database-is-bucket-name": (f'''
Dbrp("mapping/mobu", org_id=ORG_ID, bucket_id="{BUCKET_ID}", bucket_name="mobu",
     database="telegraf", retention_policy="autogen")
''', "DBRP mapping 'mapping/mobu' names database 'telegraf' for bucket 'mobu'"),
}


def engine_for(project: Path, org: InfluxOrg, state: Path, **config) -> PulumiCli:
    return PulumiCli(project, state_dir=state, config={
        "influxdb:url": org.url, "influxdb:org": org.name, "influxdb:token": org.token, **config},
        secret_config_keys={"influxdb:token"}, policy_packs=[PACK])


def program(directory: Path, org: InfluxOrg, source: str) -> Path:
    """A project in `directory` running `source` (with ORG_ID set) in the repository's venv."""
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump({
        "name": "violating", "runtime": {"name": "python", "options": {
            "virtualenv": str(REPO / ".venv")}}}))
    (directory / "__main__.py").write_text(
        f"from providers import AuthorizationToken, Dbrp, Task\n\nORG_ID = {org.id!r}\n{source}")
    return directory


def test_the_programs_plan_passes_every_policy(org, tmp_path):
    add_bucket(org, "mobu")
    engine = engine_for(REPO, org, tmp_path / "pulumi")

    for result in (engine.preview(), engine.up()):
        assert result.error is None, result.error
        assert any("rubin-influx-tools@v0.1.0" in line for line in result.log)


@pytest.mark.parametrize("policy", VIOLATIONS)
def test_a_program_breaking_a_mandatory_policy_is_stopped_before_any_write(policy, org, emulator,
                                                                           tmp_path):
    source, said = VIOLATIONS[policy]
    engine = engine_for(program(tmp_path / "violating", org, source), org, tmp_path / "pulumi")

    result = engine.up()

    assert result.error is not None and "mandatory" in result.error
    assert policy in result.error and said in result.error
    assert result.steps == []
    assert [entry for entry in emulator.request_log() if entry["method"] != "GET"] == []


def policy_config_of(engine: PulumiCli, target: Path) -> Path:
    """What policy/config_from_stack.py writes for the engine's stack (the deploy's step)."""
    written = subprocess.run([sys.executable, "policy/config_from_stack.py", engine.stack_name],
                             cwd=engine.project_dir, capture_output=True, text=True, check=True)
    target.write_text(written.stdout)
    return target


def test_the_stacks_ignore_buckets_reach_the_advisory_through_the_policy_config(org, tmp_path):
    add_bucket(org, "mobu")
    engine = engine_for(REPO, org, tmp_path / "pulumi",
                        **{"rubin-influx-tools:ignoreBuckets": ["mobu"]})
    advice = "app bucket 'mobu' has no task watching pod restarts"
    unconfigured = engine.preview()
    assert unconfigured.error is None and advice in "\n".join(unconfigured.log)

    engine.policy_pack_configs = [policy_config_of(engine, tmp_path / "policy-config.json")]
    configured = engine.preview()

    assert configured.error is None, configured.error
    assert advice not in "\n".join(configured.log)
    assert any("rubin-influx-tools@v0.1.0" in line for line in configured.log)
