"""Bucket specifics: retention changes the server would refuse if sent naively, and a server
that is not there.
"""

from __future__ import annotations

import socket

import pytest

from testbed.engine.provider_host import ProviderError
from testbed.influx.server import InfluxOrg
from testbed.provider_kinds import BUCKET, check_and_create, provider_host

# On the servers that hash tokens, as InfluxDB 2.9 and later do by default (see the plugin).
pytestmark = pytest.mark.hashed_tokens


def test_a_bucket_kept_forever_can_be_shortened_to_an_hour(org: InfluxOrg):
    with provider_host(org.server) as host:
        id_, outs, inputs = check_and_create(host, BUCKET, {**BUCKET.inputs(org),
                                                            "retention_seconds": 0})
        shorter = {**inputs, "retention_seconds": 3600}
        host.update(BUCKET.provider, BUCKET.type_name, "it", id_, outs, shorter)
    assert BUCKET.observe(BUCKET.fetch(org, id_))["retention_seconds"] == 3600


def test_a_dead_server_fails_the_create_with_a_message_naming_its_url(org: InfluxOrg):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with provider_host(org.server, url=url) as host, pytest.raises(ProviderError) as raised:
        check_and_create(host, BUCKET, BUCKET.inputs(org))
    assert (f"GET /api/v2/buckets: cannot reach the InfluxDB server at {url} (connection "
            "refused) (check influxdb:url / INFLUXDB_URL; if it changed since the last "
            "`pulumi up`, run refresh and destroy with --run-program") in raised.value.details
