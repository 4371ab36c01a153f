"""The fault matrix: every phase of the program's life (preview, up, a no-op up, an app added,
refresh, destroy) under every kind of fault (a 503 burst, 429, a dropped connection,
commit-then-error, a slow answer), injected at once on every write endpoint (POST, PATCH or PUT,
and DELETE of buckets, mappings, tokens, tasks, dashboards and variables). Whatever the faulted
run did, the next run converges, the org holds no duplicate, and destroy leaves nothing of the
stack behind.

On the emulator (the faults need it), with a short answer timeout (influxdb:timeout) so that a
slow answer costs a second: the stand-in runs the whole matrix, the real CLI a few cells, and
the 2.9 hashed-token mode the slow answers of a first up. The phases are chosen so the writes
reach every endpoint (`TOUCHES`): the first up adopts what the old scripts made (PATCH) and
creates the rest (POST); an app added with new settings, a bucket's retention changed and the
token, a dashboard and a variable edited in the UI creates, PATCHes and PUTs; destroy, with
retainBucketsOnDelete off, DELETEs on all six.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flux.tasks import APP_KINDS, GLOBAL_KINDS, task_name
from providers.marks import stack_of, unmarked
from testbed.engine.cli import PulumiCli
from testbed.engine.result import Result, StackEngine, succeeded
from testbed.engine.stand_in import Engine
from testbed.influx.holdings import (
    authorizations,
    bucket_names,
    dashboards,
    stored_mappings,
    tasks,
    variables,
    writes,
)
from testbed.influx.seed import APPS, HOST_BUCKET, add_bucket, seed_monitored
from testbed.influx.server import InfluxOrg, InfluxServer, create_org, delete_org

TIMEOUT = 0.5  # influxdb:timeout: a slow answer is given up after half a second
SLOWEST = 4 * TIMEOUT  # lands after the client gave up and waited one more timeout for it
STACK = "rubin-influx-tools/dev"
TASK_TOKEN = "rubin-influx-tools: task management"
NEW_APP = "sasquatch"
DASHBOARD_NAMES = ("K8s applications", "Monitoring alerts")
VARIABLE_NAMES = ("K8s_application", "cluster")
DASHBOARDS, VARIABLES = "/api/v2/dashboards", "/api/v2/variables"
COLLECTIONS = ("/api/v2/buckets", "/api/v2/dbrps", "/api/v2/authorizations", "/api/v2/tasks",
               DASHBOARDS, VARIABLES)
# A variable is updated with a PUT (a PATCH cannot empty its description), the rest with a PATCH.
UPDATE = {path: "PUT" if path == VARIABLES else "PATCH" for path in COLLECTIONS}
ENDPOINTS = [(method, path) for path in COLLECTIONS
             for method in ("POST", UPDATE[path], "DELETE")]
NO_WRITES = ("preview", "no-op-up", "refresh")
TOUCHES = {  # the write endpoints a phase reaches, whatever the faults (together: every one)
    # A dashboard's cells get their views by a PATCH after the dashboard's POST.
    "up": {*(("POST", path) for path in COLLECTIONS), ("PATCH", "/api/v2/buckets"),
           ("PATCH", "/api/v2/tasks"), ("PATCH", DASHBOARDS)},
    "app-added": {("POST", "/api/v2/dbrps"), ("POST", "/api/v2/tasks"),
                  *((UPDATE[path], path) for path in COLLECTIONS)},
    "destroy": {("DELETE", path) for path in COLLECTIONS},
}
FAULTS = {  # the faults each write endpoint gets, in turn
    "503-burst": [{"count": 2, "status": 503}],
    "429": [{"count": 2, "status": 429, "retry_after": "0"}],
    "dropped-connection": [{"count": 1, "drop": True}],
    "commit-then-error": [{"count": 1, "status": 500, "after_commit": True}],
    # The first write lands while the client waits for it; the second after it gave up waiting.
    "slow-answer": [{"count": 1, "delay_s": 1.5 * TIMEOUT}, {"count": 1, "delay_s": SLOWEST}],
}


# The org before the faulted run.
def made_by_the_old_scripts(org: InfluxOrg) -> None:
    """What the old scripts left: the multiapp_ bucket, a mapping and a task, unmarked and (but
    the mapping) unlike the program's, so the first up adopts each and PATCHes the others."""
    add_bucket(org, "multiapp_", 3600)
    nublado = next(b for b in org.server.api("GET", "/api/v2/buckets", params={
        "orgID": org.id, "name": "nublado"}).json()["buckets"])
    for path, body in (
            ("/api/v2/dbrps", {"bucketID": nublado["id"], "database": "nublado",
                               "retention_policy": "infinite", "default": True}),
            ("/api/v2/tasks", {"description": "old", "status": "active",
                               "flux": 'option task = {name: "Mobu restarts", every: 2m}\n'
                                       'from(bucket: "x") |> range(start: -5m)\n'})):
        org.server.api("POST", path, json={"orgID": org.id, **body}).raise_for_status()


def more_to_do(engine: StackEngine, org: InfluxOrg) -> None:
    """An app bucket appears, a bucket's retention changes, and two settings change."""
    add_bucket(org, NEW_APP)
    mobu = next(b for b in org.server.api("GET", "/api/v2/buckets", params={
        "orgID": org.id, "name": "mobu"}).json()["buckets"])
    org.server.api("PATCH", f"/api/v2/buckets/{mobu['id']}", json={
        "retentionRules": [{"type": "expire", "everySeconds": 7 * 86400}]}).raise_for_status()
    engine.config["rubin-influx-tools:checkEvery"] = "10m"
    engine.config["rubin-influx-tools:realertAfter"] = "2h"


def drifted_and_more_to_do(engine: StackEngine, org: InfluxOrg) -> None:
    """After an up, the scoped token's, a dashboard's and a variable's descriptions edited in the
    UI (a refresh records them), and more to do."""
    succeeded(engine.up())
    token = our_tokens(org)[0]
    org.server.api("PATCH", f"/api/v2/authorizations/{token['id']}",
                   json={"description": "edited in the UI"}).raise_for_status()
    for path, edited in ((DASHBOARDS, dashboards(org)[0]), (VARIABLES, variables(org)[0])):
        org.server.api("PATCH", f"{path}/{edited['id']}",
                       json={"description": "edited in the UI"}).raise_for_status()
    assert set(succeeded(engine.refresh()).ops()) == {"refresh-same", "refresh-update"}
    more_to_do(engine, org)


Phase = Callable[..., Result]
PHASES: dict[str, tuple[Callable[..., None], Phase]] = {
    # name: (set-up before the faults, the faulted run)
    "preview": (lambda engine, org: (succeeded(engine.up()), more_to_do(engine, org)),
                lambda engine: engine.preview()),
    "up": (lambda engine, org: made_by_the_old_scripts(org), lambda engine: engine.up()),
    "no-op-up": (lambda engine, org: succeeded(engine.up()), lambda engine: engine.up()),
    "app-added": (drifted_and_more_to_do, lambda engine: engine.up()),
    "refresh": (lambda engine, org: succeeded(engine.up()), lambda engine: engine.refresh()),
    "destroy": (lambda engine, org: succeeded(engine.up()), lambda engine: engine.destroy()),
}


# What must hold afterwards.
def apps(org: InfluxOrg) -> list[str]:
    return sorted({*APPS, NEW_APP} & bucket_names(org))


def our_tokens(org: InfluxOrg) -> list[dict]:
    """The scoped task tokens this stack's mark claims."""
    return [token for token in authorizations(org)
            if unmarked(token["description"]) == TASK_TOKEN
            and stack_of(token["description"]) == STACK]


def assert_exactly_the_plan(org: InfluxOrg) -> None:
    """Every object of the plan once: no duplicate of any."""
    names = Counter(task["name"] for task in tasks(org))
    expected = {task_name(app, kind) for app in apps(org) for kind in APP_KINDS}
    assert names == Counter({*expected, *(task_name(None, kind) for kind in GLOBAL_KINDS)})
    assert len(our_tokens(org)) == 1
    mappings = Counter(mapping["database"] for mapping in stored_mappings(org))
    assert mappings == Counter({*apps(org), HOST_BUCKET, "multiapp_", "alerted_"})
    assert Counter(dashboard["name"] for dashboard in dashboards(org)) == Counter(DASHBOARD_NAMES)
    assert Counter(variable["name"] for variable in variables(org)) == Counter(VARIABLE_NAMES)


def assert_nothing_left(org: InfluxOrg) -> None:
    """Destroy left nothing of the stack: no task, token, mapping, dashboard, variable, nor its
    own buckets."""
    assert tasks(org) == []
    assert dashboards(org) == [] and variables(org) == []
    assert our_tokens(org) == []
    assert stored_mappings(org) == []
    assert not {"multiapp_", "alerted_"} & bucket_names(org)


def touched(server: InfluxServer) -> set[tuple[str, str]]:
    """The write endpoints (method, collection) in the request log."""
    return {(method, next(c for c in COLLECTIONS if path.startswith(c)))
            for method, path in writes(server)}


def run_cell(engine: StackEngine, org: InfluxOrg, server: InfluxServer, phase: str,
             fault: str) -> set[tuple[str, str]]:
    """Run the phase with the fault on every write endpoint, then assert the next run converges
    and destroy leaves nothing; the write endpoints the faulted run reached."""
    prepare, faulted = PHASES[phase]
    prepare(engine, org)
    server.clear_request_log()
    for method, path in ENDPOINTS:
        for each in FAULTS[fault]:
            server.add_fault(method=method, path_prefix=path, **each)
    result = faulted(engine)
    server.clear_faults()
    reached = touched(server)
    if phase in NO_WRITES:
        assert result.error is None and not reached
    elif fault == "slow-answer":  # until the slowest write sent has landed
        time.sleep(SLOWEST)

    if phase == "destroy":
        succeeded(engine.destroy())
        assert_nothing_left(org)
        return reached
    converging = succeeded(engine.up())  # the next run converges ...
    assert_exactly_the_plan(org)
    if set(converging.ops()) != {"same"}:  # ... and when it had work left, the one after it
        assert set(succeeded(engine.up()).ops()) == {"same"}  # has none
    succeeded(engine.destroy())
    assert_nothing_left(org)
    return reached


# The matrix.
def stack_config(org: InfluxOrg) -> dict:
    return {**org.stack_config(), "influxdb:timeout": str(TIMEOUT),
            "rubin-influx-tools:retainBucketsOnDelete": False}


@pytest.fixture
def stand_in(tmp_path: Path) -> Callable[[InfluxOrg], StackEngine]:
    """The engine stand-in for a stack on the org: fast enough for the whole matrix."""
    return lambda org: Engine(state_path=tmp_path / "state.json", config=stack_config(org),
                              secret_config_keys={"influxdb:token"})


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("phase", PHASES)
def test_every_phase_converges_after_every_fault_on_every_write_endpoint(
        phase: str, fault: str, stand_in, monitored_org: InfluxOrg, emulator: InfluxServer):
    assert set().union(*TOUCHES.values()) == set(ENDPOINTS)
    reached = run_cell(stand_in(monitored_org), monitored_org, emulator, phase, fault)
    assert reached >= TOUCHES.get(phase, set())


def test_the_real_cli_converges_after_slow_answers_on_every_write_endpoint(
        tmp_path: Path, monitored_org: InfluxOrg, emulator: InfluxServer):
    cli = PulumiCli(state_dir=tmp_path / "pulumi", config=stack_config(monitored_org),
                    secret_config_keys={"influxdb:token"})
    run_cell(cli, monitored_org, emulator, "up", "slow-answer")


@pytest.fixture
def hashed_monitored_org(hashed_emulator: InfluxServer) -> Iterator[InfluxOrg]:
    org = seed_monitored(create_org(hashed_emulator))
    yield org
    hashed_emulator.clear_faults()
    delete_org(org)


def test_slow_answers_converge_when_token_values_are_hidden(stand_in,
                                                            hashed_monitored_org: InfluxOrg):
    run_cell(stand_in(hashed_monitored_org), hashed_monitored_org, hashed_monitored_org.server,
             "up", "slow-answer")
