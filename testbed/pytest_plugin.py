"""Fixtures: the InfluxDB every test talks to.

`influxdb` is one server per test session: the emulator on a free loopback port, or the real
InfluxDB named by INFLUXDB_TEST_URL and INFLUXDB_TEST_TOKEN. `org` is a fresh organization on it
for one test, deleted afterwards, so tests do not see each other's objects.
"""

from __future__ import annotations

import pytest

from testbed.influx.server import (
    InfluxOrg,
    InfluxServer,
    create_org,
    delete_org,
    real_server_from_env,
    start_emulator,
)


@pytest.fixture(scope="session")
def influxdb() -> InfluxServer:
    server = real_server_from_env()
    if server is not None:
        yield server
        return
    server = start_emulator()
    yield server
    server.stop()


@pytest.fixture
def emulator(influxdb: InfluxServer) -> InfluxServer:
    """The emulator itself, for tests that need its request log or fault injection."""
    if not influxdb.is_emulator:
        pytest.skip("needs the emulator's /_emulator/ controls, not a real InfluxDB")
    influxdb.clear_faults()
    influxdb.clear_request_log()
    yield influxdb
    influxdb.clear_faults()


@pytest.fixture(scope="session")
def hashed_emulator() -> InfluxServer:
    """An emulator in --hashed-tokens mode (InfluxDB 2.9: GET returns an empty token)."""
    server = start_emulator(hashed_tokens=True)
    yield server
    server.stop()


@pytest.fixture
def org(influxdb: InfluxServer) -> InfluxOrg:
    created = create_org(influxdb)
    yield created
    delete_org(created)
