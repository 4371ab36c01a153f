"""Set-up helpers: put buckets into an org the way an operator would, with the operator token.

The one place tests, the benchmark and the demo make the org they need.
"""

from __future__ import annotations

from testbed.influx.server import InfluxOrg, InfluxServer

APPS = ("gafaelfawr", "mobu", "nublado")
HOST_BUCKET = "roundtable_internal_"


def org_named(server: InfluxServer, name: str) -> InfluxOrg:
    """An existing org of the server, by name."""
    response = server.api("GET", "/api/v2/orgs", params={"org": name})
    response.raise_for_status()
    return InfluxOrg(server=server, name=name, id=response.json()["orgs"][0]["id"])


def add_bucket(org: InfluxOrg, name: str, retention_seconds: int = 0) -> dict:
    """A new bucket of the org (retention 0: forever), as the server answers it."""
    response = org.server.api("POST", "/api/v2/buckets", json={
        "orgID": org.id, "name": name,
        "retentionRules": [{"type": "expire", "everySeconds": retention_seconds}]})
    response.raise_for_status()
    return response.json()


def seed_monitored(org: InfluxOrg) -> InfluxOrg:
    """The org as the monitoring InfluxDB has it: the APPS' buckets and a host-level bucket."""
    for app in APPS:
        add_bucket(org, app)
    add_bucket(org, HOST_BUCKET, 30 * 86400)
    return org
