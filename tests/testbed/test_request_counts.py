"""The test bed counts the API requests a server answers, the same way on both servers."""

from __future__ import annotations


def test_reads_and_writes_are_counted_and_nothing_else(influxdb):
    before = influxdb.api_requests()
    influxdb.api("GET", "/api/v2/buckets")
    created = influxdb.api("POST", "/api/v2/orgs", json={"name": "counted"}).json()
    influxdb.api("DELETE", f"/api/v2/orgs/{created['id']}")
    if influxdb.is_emulator:
        influxdb.clear_faults()  # a control, not an API request
    after = influxdb.api_requests()

    assert (after[0] - before[0], after[1] - before[1]) == (1, 2)
