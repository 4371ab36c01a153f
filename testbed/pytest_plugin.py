"""The pytest plugin of the test bed: every fixture the tests use (`tests/conftest.py` names it).

`influxdb` is parametrized over the servers, each started once per session on a free loopback
port, and every test that talks to InfluxDB runs on one pair of them, an emulator and a real
influxd (built by `make tools`):
- by default influxd 2.7.12 and the emulator, which follows it: the emulator's contract and
  parity tests, and everything that depends on a token's value being shown on reads;
- marked `hashed_tokens` (the provider and program tests): influxd 2.8.0 run with
  `--use-hashed-tokens`, as 2.9 and later run by default, and the emulator's --hashed-tokens
  mode, which follows that;
- marked `every_server` (InfluxQL on the mappings, the alerts): both pairs.
Or only the real InfluxDB named by INFLUXDB_TEST_URL and INFLUXDB_TEST_TOKEN. A test that needs
the emulator's request log or fault injection asks for `emulator`, and runs on its pair's
emulator only; one that runs Flux (tasks on data) asks for `influxd`, and runs on its pair's real
server only. `org` is a fresh organization on the server for one test, deleted afterwards, so
tests do not see each other's objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from testbed.engine.cli import PulumiCli
from testbed.engine.stand_in import Engine
from testbed.flux_checker import FluxChecker
from testbed.influx.differences import ON_HASHING_INFLUXD, ON_INFLUXD
from testbed.influx.influxd import SERVERS, start_server
from testbed.influx.seed import seed_monitored
from testbed.influx.server import (
    InfluxOrg,
    InfluxServer,
    create_org,
    delete_org,
    real_server_from_env,
    start_emulator,
)
from testbed.kubernetes.server import FakeKubernetes
from testbed.pulumi_home import ACCOUNT_PULUMI_HOME, changes, fingerprint
from testbed.telegraf import Telegraf

HASHED_TOKENS = "hashed_tokens"
EVERY_SERVER = "every_server"
STAND_IN_ONLY = "stand_in_only"


@pytest.fixture(scope="session", autouse=True)
def users_pulumi_home_untouched() -> Iterator[None]:
    """Fails the session (at its last teardown) if anything wrote the user's ~/.pulumi."""
    before = fingerprint()
    yield
    written = changes(before, fingerprint())
    assert not written, (f"the tests wrote the user's Pulumi home {ACCOUNT_PULUMI_HOME}: give "
                         f"that CLI run a PULUMI_HOME of its own ({', '.join(written[:10])})")


def servers() -> tuple[str, ...]:
    """The `influxdb` parameters: an external server when the environment names one."""
    return ("external",) if real_server_from_env() else SERVERS


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{HASHED_TOKENS}(on=True): run on the servers that hash tokens (influxd "
        "2.8.0 --use-hashed-tokens and the emulator's --hashed-tokens), not on influxd 2.7.12 and "
        "the emulator that follows it; `hashed_tokens(False)` on a test undoes its module's mark")
    config.addinivalue_line(
        "markers", f"{EVERY_SERVER}: run on both pairs of servers, for a promise that must hold "
        "on every InfluxDB release the suite has")
    config.addinivalue_line(
        "markers", f"{STAND_IN_ONLY}: a program test of code that runs the same under either "
        "engine (a check of the program's own), run under the engine stand-in only; the cases "
        "kept under the real CLI prove how the CLI shows them")


@pytest.fixture(scope="session", params=servers())
def influxdb(request: pytest.FixtureRequest) -> InfluxServer:
    if request.param == "external":
        yield real_server_from_env()
        return
    server = start_server(request.param)
    yield server
    server.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run each test on its pair of servers (marked `hashed_tokens` or not); tests that ask for
    `emulator` on the pair's emulator only, and tests that ask for `influxd` on its real server
    only; expect the known differences (`testbed/influx/differences.py`) to fail on influxd."""
    keep, drop = [], []
    for item in items:
        server = getattr(item, "callspec", None) and item.callspec.params.get("influxdb")
        (drop if _wrong_server(item, server) or _redundant_pairing(item, server)
         else keep).append(item)
        if server and server.startswith("influxd") and (reason := _known_difference(item,
                                                                                    server)):
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"emulator differs: {reason}"))
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _wrong_server(item: pytest.Item, server: str | None) -> bool:
    """Whether the server is not of the test's pair, or not the kind the test asks for."""
    if server in (None, "external"):
        return False
    fixtures = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker(HASHED_TOKENS)  # a test's own mark overrides its module's
    wants_hashed = marker is not None and (marker.args[0] if marker.args else True)
    other_pair = (server.endswith("-hashed") != wants_hashed
                  and item.get_closest_marker(EVERY_SERVER) is None)
    return (other_pair
            or (server.startswith("influxd") and "emulator" in fixtures)
            or (server.startswith("emulator") and "influxd" in fixtures))


def _redundant_pairing(item: pytest.Item, server: str | None) -> bool:
    """Program tests pair the real CLI with the real influxd, and the stand-in with the emulator:
    the real thing end to end, and the fast pair that keeps the stand-in and the emulator honest.
    A test that needs the emulator's controls runs under both engines there, unless it is marked
    `stand_in_only`."""
    engine = item.callspec.params.get("new_engine") if hasattr(item, "callspec") else None
    fixtures = getattr(item, "fixturenames", ())
    if engine is None and "cli" in fixtures:
        engine = "cli"
    if engine == "cli" and item.get_closest_marker(STAND_IN_ONLY):
        return True
    if engine is None or "emulator" in fixtures:
        return False
    real = server is not None and server.startswith("influxd")
    return (engine, real) in {("stand-in", True), ("cli", False)}


def _known_difference(item: pytest.Item, server: str) -> str | None:
    """The listed difference of this test on this influxd, by name or by name and its other
    parameters."""
    listed = ON_HASHING_INFLUXD if server.endswith("-hashed") else ON_INFLUXD
    fixtures = "|".join(re.escape(param) for param in (*ENGINES, *sorted(SERVERS, reverse=True)))
    others = re.sub(rf"(^|-)({fixtures})(?=-|$)", "", item.callspec.id).strip("-")
    name = item.originalname
    return listed.get(name) or listed.get(f"{name}[{others}]")


@pytest.fixture
def emulator(influxdb: InfluxServer) -> InfluxServer:
    """The emulator itself, for tests that need its request log or fault injection."""
    if not influxdb.is_emulator:
        pytest.skip("needs the emulator's /_emulator/ controls, not a real InfluxDB")
    influxdb.clear_faults()
    influxdb.clear_request_log()
    yield influxdb
    influxdb.clear_faults()


@pytest.fixture
def influxd(influxdb: InfluxServer) -> InfluxServer:
    """A real InfluxDB, for tests that run Flux: the emulator stores tasks but never runs them.
    influxd 2.7.12, or 2.8.0 hashing tokens for a test marked `hashed_tokens`."""
    if influxdb.is_emulator:
        pytest.skip("needs a real InfluxDB to run Flux tasks")
    return influxdb


@pytest.fixture
def fresh_influxdb(influxdb: InfluxServer) -> InfluxServer:
    """Another server of `influxdb`'s kind, started but not set up (onboarded) yet."""
    if influxdb.kind == "external":
        pytest.skip("needs a server the test bed starts; the external one is set up already")
    server = start_server(influxdb.name, onboard=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def hashed_emulator() -> InfluxServer:
    """An emulator in --hashed-tokens mode (InfluxDB 2.9: GET returns an empty token)."""
    server = start_emulator(hashed_tokens=True)
    yield server
    server.stop()


ENGINES = ("stand-in", "cli")


@pytest.fixture(params=ENGINES)
def new_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., Engine | PulumiCli]:
    """Makes the engine for one stack: the real Pulumi CLI or the stand-in (tests run under both).

    Takes the engines' common arguments: `project_dir`, `stack`, `config`, `secret_config_keys`,
    `env`. Each stack keeps its state in a backend of its own.
    """
    def make(**arguments: Any) -> Engine | PulumiCli:
        place = tmp_path / arguments.get("stack", "dev")
        place.mkdir(exist_ok=True)
        if request.param == "cli":
            return PulumiCli(state_dir=place / "pulumi", **arguments)
        return Engine(state_path=place / "state.json", **arguments)
    return make


@pytest.fixture
def cli(monitored_org: InfluxOrg, tmp_path: Path) -> PulumiCli:
    """The real CLI alone, one stack on `monitored_org`, for what only it does (its flags, its
    logs, being killed, data kept or deleted by the real influxd)."""
    return PulumiCli(state_dir=tmp_path / "pulumi", config=monitored_org.stack_config(),
                     secret_config_keys={"influxdb:token"})


@pytest.fixture
def org(influxdb: InfluxServer) -> InfluxOrg:
    created = create_org(influxdb)
    yield created
    delete_org(created)


@pytest.fixture(scope="session")
def flux_checker() -> FluxChecker:
    """InfluxData's Flux parser and semantic checker, one Node process for the session."""
    checker = FluxChecker()
    yield checker
    checker.close()


@pytest.fixture(scope="session")
def fake_kubernetes() -> FakeKubernetes:
    """A fake Kubernetes API and kubelet on loopback, for the session."""
    fake = FakeKubernetes()
    yield fake
    fake.stop()


@pytest.fixture
def telegraf(fake_kubernetes: FakeKubernetes, tmp_path: Path) -> Telegraf:
    """The real Telegraf, reading the fake Kubernetes (cleared for each test)."""
    fake_kubernetes.clear()
    return Telegraf(fake_kubernetes, tmp_path)


@pytest.fixture
def monitored_org(org: InfluxOrg) -> InfluxOrg:
    """A fresh org as the monitoring InfluxDB has it: app buckets and a host-level bucket."""
    return seed_monitored(org)


@pytest.fixture
def engine(monitored_org: InfluxOrg, new_engine: Callable[..., Engine | PulumiCli]
           ) -> Engine | PulumiCli:
    """The stack `dev` pointed at `monitored_org`, under each engine (`new_engine`)."""
    return new_engine(stack="dev", config=monitored_org.stack_config(),
                      secret_config_keys={"influxdb:token"})

