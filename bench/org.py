"""The organization the benchmark measures: N application buckets, the system buckets every org
has, and the host-level bucket that turns the disk check on."""

from __future__ import annotations

from testbed.influx.server import InfluxServer

HOST_BUCKET = "roundtable_internal_"  # the default diskBucket
APP_RETENTION_SECONDS = 30 * 86400


def app_name(number: int) -> str:
    return f"app{number:05d}"


def find_org_id(server: InfluxServer, org: str) -> str:
    response = server.api("GET", "/api/v2/orgs", params={"org": org})
    response.raise_for_status()
    return response.json()["orgs"][0]["id"]


def add_bucket(server: InfluxServer, org_id: str, name: str) -> None:
    rules = [{"type": "expire", "everySeconds": APP_RETENTION_SECONDS}]
    server.api("POST", "/api/v2/buckets",
               json={"orgID": org_id, "name": name, "retentionRules": rules}).raise_for_status()


def seed_org(server: InfluxServer, org_id: str, apps: int) -> None:
    """Create the host-level bucket and `apps` application buckets."""
    for name in (HOST_BUCKET, *(app_name(number) for number in range(apps))):
        add_bucket(server, org_id, name)
