"""The organization the benchmark measures: N application buckets, the system buckets every org
has, and the host-level bucket that turns the disk check on."""

from __future__ import annotations

from testbed.influx.seed import add_bucket
from testbed.influx.server import InfluxOrg

HOST_BUCKET = "roundtable_internal_"  # the default diskBucket
APP_RETENTION_SECONDS = 30 * 86400


def app_name(number: int) -> str:
    return f"app{number:05d}"


def add_app(org: InfluxOrg, name: str) -> None:
    add_bucket(org, name, APP_RETENTION_SECONDS)


def seed_org(org: InfluxOrg, apps: int) -> None:
    """Create the host-level bucket and `apps` application buckets."""
    for name in (HOST_BUCKET, *(app_name(number) for number in range(apps))):
        add_app(org, name)
