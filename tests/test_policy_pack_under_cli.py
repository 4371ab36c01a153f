"""The policy pack (policy/) as `pulumi preview|up --policy-pack policy` runs it: the real CLI
starts the pack, judges every resource before any step, and a mandatory violation stops the run.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from testbed.engine.cli import PulumiCli
from testbed.influx.server import InfluxOrg
from testbed.paths import REPO

PACK = REPO / "policy"
# A program that writes a task running every 30 s: the schedule policy (mandatory) refuses it.
TOO_OFTEN = '''\
from providers import Task

Task("task/too-often", org_id="{org_id}", name="too often",
     flux='option task = {{name: "too often", every: 30s}}\\nfrom(bucket: "app")\\n')
'''


def engine_for(project: Path, org: InfluxOrg, state: Path) -> PulumiCli:
    return PulumiCli(project, state_dir=state, config={
        "influxdb:url": org.url, "influxdb:org": org.name, "influxdb:token": org.token},
        secret_config_keys={"influxdb:token"}, policy_packs=[PACK])


def test_the_programs_plan_passes_every_policy(org, tmp_path):
    org.server.api("POST", "/api/v2/buckets", json={"orgID": org.id, "name": "mobu",
                                                    "retentionRules": []}).raise_for_status()
    engine = engine_for(REPO, org, tmp_path / "pulumi")

    for result in (engine.preview(), engine.up()):
        assert result.error is None, result.error
        assert any("rubin-influx-tools@v0.1.0" in line for line in result.log)


def test_a_mandatory_violation_stops_the_run_before_any_write(org, tmp_path):
    project = tmp_path / "violating"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(yaml.safe_dump({
        "name": "violating", "runtime": {"name": "python", "options": {
            "virtualenv": str(REPO / ".venv")}}}))
    (project / "__main__.py").write_text(TOO_OFTEN.format(org_id=org.id))
    engine = engine_for(project, org, tmp_path / "pulumi")

    result = engine.up()

    assert result.error is not None and "mandatory" in result.error
    assert "runs every 30s" in result.error
    assert result.steps == []
    tasks = org.server.api("GET", "/api/v2/tasks", params={"orgID": org.id}).json()["tasks"]
    assert tasks == []
