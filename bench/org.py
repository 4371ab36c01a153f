"""The organization the benchmark measures: N application buckets, the system buckets every org
has, and the host-level bucket that turns the disk check on (seeded as the tests seed theirs)."""

from __future__ import annotations

from testbed.influx.seed import add_bucket, seed_monitored
from testbed.influx.server import InfluxOrg

APP_RETENTION_SECONDS = 30 * 86400


def app_name(number: int) -> str:
    return f"app{number:05d}"


def add_app(org: InfluxOrg, name: str) -> None:
    add_bucket(org, name, APP_RETENTION_SECONDS)


def seed_org(org: InfluxOrg, apps: int) -> None:
    """Create `apps` application buckets and the host-level bucket."""
    seed_monitored(org, map(app_name, range(apps)), APP_RETENTION_SECONDS)
