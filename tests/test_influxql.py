"""The DBRP mappings work as a database: after a real `pulumi up` on the real influxd, InfluxQL
reaches every bucket the program maps, as Chronograf asks (`/query` with `db`, and with `rp`).

A mapping proven only as an object could still answer nothing; here a point written to each
bucket comes back through InfluxQL by the mapping's database and by its retention policy (which
no virtual mapping of influxd 2.4+ has: those are named `autogen`), `SHOW DATABASES` and `SHOW
RETENTION POLICIES` list them, and the buckets the program cannot map are named in its warning.
On every real server the suite has (influxd 2.7.12, and 2.8.0 with hashed tokens).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import pytest

from providers.dbrp import MAX_DATABASE_BYTES
from testbed.engine.cli import PulumiCli
from testbed.engine.result import succeeded
from testbed.influx.holdings import bucket_names, stored_mappings
from testbed.influx.influxql import databases, identifier, query, retention_policies
from testbed.influx.seed import add_bucket, scoped_token, seed_monitored
from testbed.influx.server import InfluxOrg, InfluxServer, create_org, delete_org

# Names an operator may give a bucket, each with its own retention (so its own policy name).
AWKWARD_BUCKETS = {
    "with space": 7 * 86400,
    "app.v2.prod": 3 * 86400,
    "dash-ed-app": 0,
    "ünïcødé-日本-📈": 36 * 3600,
}
UNMAPPABLE = "telegraf/autogen"  # influxd maps a `db/rp` bucket itself: no mapping can be made
# The longest database a mapping can have (bolt's key limit less the index's other parts); a
# bucket may have a longer name, which no mapping can carry.
LONGEST_DATABASE = "é" * (MAX_DATABASE_BYTES // 2) + "d" * (MAX_DATABASE_BYTES % 2)
PROBE = "influxql_probe"
pytestmark = pytest.mark.every_server  # what Chronograf sees must hold on every release


def longest_bucket_name(org: InfluxOrg) -> str:
    """The longest bucket name the server takes, found by asking it (a refused name makes no
    bucket)."""
    low, high = 1, 1 << 16
    while low < high:
        length = (low + high + 1) // 2
        response = org.server.api("POST", "/api/v2/buckets", json={
            "orgID": org.id, "name": "l" * length, "retentionRules": []})
        if response.status_code == 201:
            org.server.api("DELETE", f"/api/v2/buckets/{response.json()['id']}")
            low = length
        else:
            high = length - 1
    return "l" * low


def write_probe(org: InfluxOrg, bucket: str, value: int) -> None:
    response = org.server.api("POST", "/api/v2/write", data=f"{PROBE} value={value}i".encode(),
                              params={"org": org.name, "bucket": bucket, "precision": "s"})
    assert response.status_code == 204, f"write to {bucket!r}: {response.text}"


class MappedOrg(NamedTuple):
    org: InfluxOrg
    reader: str  # Chronograf's token: read access to the org's buckets, nothing else
    unmappable: set[str]  # buckets no mapping can carry
    log: list[str]  # of the `pulumi up` that mapped it


def probe_values(mapped: MappedOrg, db: str, rp: str | None = None) -> list[int]:
    series = query(mapped.org.server, mapped.reader, f"SELECT value FROM {identifier(PROBE)}",
                   db=db, rp=rp)
    return [row["value"] for one in series for row in one["rows"]]


@pytest.fixture(scope="module")
def mapped_org(influxdb: InfluxServer,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[MappedOrg]:
    """An org as the monitoring InfluxDB has it, with awkward and unmappable buckets, after a
    real `pulumi up`. Its tests ask for `influxd` (real servers only)."""
    monitored_org = seed_monitored(create_org(influxdb))
    for name, seconds in AWKWARD_BUCKETS.items():
        add_bucket(monitored_org, name, seconds)
    add_bucket(monitored_org, LONGEST_DATABASE)
    longest = add_bucket(monitored_org, longest_bucket_name(monitored_org))["name"]
    add_bucket(monitored_org, UNMAPPABLE)
    cli = PulumiCli(state_dir=tmp_path_factory.mktemp("influxql") / "pulumi",
                    config=monitored_org.stack_config(), secret_config_keys={"influxdb:token"})
    log = succeeded(cli.up()).log
    yield MappedOrg(monitored_org, scoped_token(monitored_org, ("read", "buckets", None)),
                    {UNMAPPABLE, longest}, log)
    delete_org(monitored_org)


def test_influxql_reads_every_mapped_bucket_by_its_database_and_its_retention_policy(
        mapped_org, influxd):
    org = mapped_org.org
    mappings = stored_mappings(org)
    assert {m["database"] for m in mappings} >= {*AWKWARD_BUCKETS, LONGEST_DATABASE}

    for number, mapping in enumerate(mappings):
        bucket = mapping["database"]
        write_probe(org, bucket, number)

        assert probe_values(mapped_org, bucket) == [number], bucket
        assert probe_values(mapped_org, bucket, mapping["retention_policy"]) == [number], bucket


def test_show_databases_and_retention_policies_list_every_mapping(mapped_org, influxd):
    org, reader, _, _ = mapped_org

    listed = databases(org.server, reader)

    for mapping in stored_mappings(org):
        assert mapping["database"] in listed
        assert retention_policies(org.server, reader, mapping["database"]).get(
            mapping["retention_policy"]) is True, mapping["database"]


def test_every_bucket_is_mapped_but_the_one_the_program_names_as_unmappable(mapped_org,
                                                                            influxd):
    org, _, unmappable, log = mapped_org

    unmapped = bucket_names(org) - {m["database"] for m in stored_mappings(org)}

    assert {name for name in unmapped if not name.startswith("_")} == unmappable
    assert any("no DBRP mapping for" in line and all(repr(name) in line for name in unmappable)
               for line in log)
