"""Where the providers find the server: the stack's influxdb: config, else the environment."""

from __future__ import annotations

import pytest

from testbed.engine.provider_host import ProviderError, ProviderHost, secret
from testbed.influx.server import InfluxOrg
from testbed.provider_kinds import BUCKET, check_and_create

# On the servers that hash tokens, as InfluxDB 2.9 and later do by default (see the plugin).
pytestmark = pytest.mark.hashed_tokens


def test_the_environment_is_used_when_the_stack_config_says_nothing(org: InfluxOrg):
    with ProviderHost(env={"INFLUXDB_URL": org.url, "INFLUXDB_TOKEN": org.token}) as host:
        host.configure({})
        id_, _, _ = check_and_create(host, BUCKET, BUCKET.inputs(org))
    assert BUCKET.fetch(org, id_) is not None


def test_the_stack_config_wins_over_the_environment(org: InfluxOrg):
    wrong = {"INFLUXDB_URL": "http://127.0.0.1:9", "INFLUXDB_TOKEN": "wrong"}
    with ProviderHost(env=wrong) as host:
        host.configure({"influxdb:url": org.url, "influxdb:token": secret(org.token)})
        id_, _, _ = check_and_create(host, BUCKET, BUCKET.inputs(org))
    assert BUCKET.fetch(org, id_) is not None


def test_a_missing_url_is_named_with_both_ways_to_set_it(org: InfluxOrg):
    with ProviderHost(env={"INFLUXDB_URL": "", "INFLUXDB_TOKEN": ""}) as host:
        host.configure({"influxdb:token": secret(org.token)})
        with pytest.raises(ProviderError) as raised:
            check_and_create(host, BUCKET, BUCKET.inputs(org))
    assert ("no InfluxDB url: set it with `pulumi config set influxdb:url ...` or in "
            "INFLUXDB_URL") in raised.value.details
