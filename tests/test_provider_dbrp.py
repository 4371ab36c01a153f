"""Dbrp specifics: which existing mapping may be adopted, the default flag, the informational
bucket name.
"""

from __future__ import annotations

import pytest

from testbed.engine.provider_host import ProviderError
from testbed.influx.server import InfluxOrg, InfluxServer
from testbed.provider_kinds import DBRP, check_and_create, create_bucket, provider_host

# On the servers that hash tokens, as InfluxDB 2.9 and later do by default (see the plugin).
pytestmark = pytest.mark.hashed_tokens


def mapping_inputs(org: InfluxOrg, bucket: dict, retention_policy: str = "autogen") -> dict:
    return {"org_id": org.id, "bucket_id": bucket["id"], "bucket_name": bucket["name"],
            "database": bucket["name"], "retention_policy": retention_policy, "default": True}


def map_by_hand(org: InfluxOrg, bucket: dict, database: str, retention_policy: str,
                default: bool) -> dict:
    response = org.server.api("POST", "/api/v2/dbrps", json={
        "orgID": org.id, "bucketID": bucket["id"], "database": database,
        "retention_policy": retention_policy, "default": default})
    response.raise_for_status()
    return response.json()


def test_a_mapping_of_the_same_database_to_another_bucket_is_not_adopted(org: InfluxOrg):
    taken, wanted = create_bucket(org), create_bucket(org)
    map_by_hand(org, taken, wanted["name"], "autogen", True)
    with provider_host(org.server) as host, pytest.raises(ProviderError) as raised:
        check_and_create(host, DBRP, mapping_inputs(org, wanted))
    assert (f"database '{wanted['name']}' with retention policy 'autogen' is already mapped to "
            f"bucket {taken['id']}, not to {wanted['name']} {wanted['id']}") in raised.value.details


def test_adopting_a_mapping_makes_it_the_default_again(org: InfluxOrg):
    bucket = create_bucket(org)
    first = map_by_hand(org, bucket, bucket["name"], "autogen", True)
    second = map_by_hand(org, bucket, bucket["name"], "1h", True)  # takes the default over
    with provider_host(org.server) as host:
        id_, outs, _ = check_and_create(host, DBRP, mapping_inputs(org, bucket))
    assert (id_, outs["default"]) == (first["id"], True)
    assert DBRP.fetch(org, first["id"])["default"] is True
    assert DBRP.fetch(org, second["id"])["default"] is False


def test_a_virtual_mapping_is_not_taken_for_a_stored_one(org: InfluxOrg):
    bucket = create_bucket(org)
    virtual = [mapping for mapping in DBRP.listed(org) if mapping["bucketID"] == bucket["id"]]
    assert [mapping["virtual"] for mapping in virtual] == [True]
    with provider_host(org.server) as host:
        id_, _, _ = check_and_create(host, DBRP, mapping_inputs(org, bucket))
    assert id_ != virtual[0]["id"]
    assert DBRP.fetch(org, id_)["virtual"] is False


def test_a_new_bucket_name_alone_is_recorded_without_a_request(org: InfluxOrg,
                                                               emulator: InfluxServer):
    bucket = create_bucket(org)
    with provider_host(org.server) as host:
        id_, outs, inputs = check_and_create(host, DBRP, mapping_inputs(org, bucket))
        emulator.clear_request_log()
        renamed = {**inputs, "bucket_name": "renamed"}
        outs = host.update(DBRP.provider, DBRP.type_name, "it", id_, outs, renamed)
    assert outs["bucket_name"] == "renamed"
    assert emulator.request_log() == []
