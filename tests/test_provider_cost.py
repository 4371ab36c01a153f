"""What a Pulumi operation costs in API requests: one listing per kind of object, not one
request per resource, for the adoption checks of a first `up` and for a `refresh`.
"""

from __future__ import annotations

import pytest

from testbed.influx.server import InfluxOrg, InfluxServer
from testbed.provider_kinds import KINDS, Kind, check_and_create, provider_host

COUNT = 4


def calls(emulator: InfluxServer, kind: Kind) -> list[tuple[str, str]]:
    """The (method, path) of every request made for this kind of object."""
    return [(entry["method"], entry["path"]) for entry in emulator.request_log()
            if entry["path"].startswith(kind.path)]


def is_one_listing(made: list[tuple[str, str]], kind: Kind) -> bool:
    """A GET of the collection, and at most the empty page that ends it."""
    return set(made) == {("GET", kind.path)} and len(made) <= 2


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_creating_and_refreshing_many_objects_costs_one_listing(kind: Kind, org: InfluxOrg,
                                                                emulator: InfluxServer):
    inputs = [kind.inputs(org) for _ in range(COUNT)]
    emulator.clear_request_log()
    with provider_host(org.server) as host:
        created = [check_and_create(host, kind, each)[:2] for each in inputs]
    made = calls(emulator, kind)
    listing = [call for call in made if call[0] == "GET"]
    assert is_one_listing(listing, kind)
    assert made == listing + [("POST", kind.path)] * COUNT

    emulator.clear_request_log()
    with provider_host(org.server) as host:
        for id_, outs in created:
            assert host.read(kind.provider, kind.type_name, "it", id_, outs)[0] == id_
    assert is_one_listing(calls(emulator, kind), kind)
