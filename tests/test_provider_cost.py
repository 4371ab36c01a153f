"""What a Pulumi operation costs in API requests: one listing per kind of object, not one
request per resource, for the adoption checks of a first `up` and for a `refresh` (a dashboard's
refresh reads the dashboard itself: the listing has no views).
"""

from __future__ import annotations

import pytest

from testbed.influx.server import InfluxOrg, InfluxServer
from testbed.provider_kinds import DASHBOARD, KINDS, Kind, check_and_create, provider_host

# On the servers that hash tokens, as InfluxDB 2.9 and later do by default (see the plugin).
pytestmark = pytest.mark.hashed_tokens

COUNT = 4


def calls(emulator: InfluxServer, kind: Kind) -> list[tuple[str, str]]:
    """The (method, path) of every request made for this kind of object."""
    return [(entry["method"], entry["path"]) for entry in emulator.request_log()
            if entry["path"].startswith(kind.path)]


def is_one_listing(made: list[tuple[str, str]], kind: Kind) -> bool:
    """A GET of the collection, and at most the empty page that ends it."""
    return set(made) == {("GET", kind.path)} and len(made) <= 2


def create_and_refresh(kind: Kind, org: InfluxOrg, emulator: InfluxServer) -> tuple[
        list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    """Create COUNT objects, then refresh them in another operation: their IDs, and the calls
    each of the two made."""
    inputs = [kind.inputs(org) for _ in range(COUNT)]
    emulator.clear_request_log()
    with provider_host(org.server) as host:
        created = [check_and_create(host, kind, each)[:2] for each in inputs]
    made = calls(emulator, kind)
    emulator.clear_request_log()
    with provider_host(org.server) as host:
        for id_, outs in created:
            assert host.read(kind.provider, kind.type_name, "it", id_, outs)[0] == id_
    return [id_ for id_, _ in created], made, calls(emulator, kind)


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind.listing_is_whole], ids=str)
def test_creating_and_refreshing_many_objects_costs_one_listing(kind: Kind, org: InfluxOrg,
                                                                emulator: InfluxServer):
    _, made, refreshed = create_and_refresh(kind, org, emulator)
    listing = [call for call in made if call[0] == "GET"]
    assert is_one_listing(listing, kind)
    assert made == listing + [("POST", kind.path)] * COUNT
    assert is_one_listing(refreshed, kind)


def test_a_dashboard_costs_a_post_and_a_view_patch_a_cell_to_create_and_one_get_to_refresh(
        org: InfluxOrg, emulator: InfluxServer):
    ids, made, refreshed = create_and_refresh(DASHBOARD, org, emulator)
    listing = [call for call in made if call == ("GET", DASHBOARD.path)]
    posts = [call for call in made if call[0] == "POST"]
    patches = [call for call in made if call[0] == "PATCH"]
    reads = [call for call in made if call[0] == "GET" and call[1] != DASHBOARD.path]
    cells = len(DASHBOARD.inputs(org)["cells"])
    assert is_one_listing(listing, DASHBOARD)
    assert posts == [("POST", DASHBOARD.path)] * COUNT
    # influxd makes a new dashboard's views empty: each is PATCHed, then the dashboard read.
    assert len(patches) == COUNT * cells and all(path.endswith("/view") for _, path in patches)
    assert sorted(reads) == sorted(("GET", f"{DASHBOARD.path}/{id_}") for id_ in ids)
    assert len(made) == len(listing) + len(posts) + len(patches) + len(reads)
    # The listing has no views: a refresh reads each dashboard, and lists none.
    assert sorted(refreshed) == sorted(("GET", f"{DASHBOARD.path}/{id_}") for id_ in ids)
