"""Set-up helpers: put buckets, secrets and tokens into an org the way an operator would, with
the operator token.

The one place tests, the benchmark, the alert test bed and the demo make the org they need.
"""

from __future__ import annotations

from collections.abc import Iterable

from flux.settings import TaskSettings
from testbed.influx.contract import Token, api_call
from testbed.influx.server import InfluxOrg, InfluxServer

APPS = ("gafaelfawr", "mobu", "nublado")
HOST_BUCKET = TaskSettings().disk_bucket  # the host-level bucket the disk check watches
HOST_RETENTION_SECONDS = 30 * 86400


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


def delete_bucket(org: InfluxOrg, name: str) -> None:
    """Delete the org's bucket of that name, as an operator would; fails loudly."""
    found = org.server.api("GET", "/api/v2/buckets", params={"orgID": org.id, "name": name})
    found.raise_for_status()
    org.server.api("DELETE", f"/api/v2/buckets/{found.json()['buckets'][0]['id']}"
                   ).raise_for_status()


def seed_monitored(org: InfluxOrg, apps: Iterable[str] = APPS,
                   app_retention_seconds: int = 0) -> InfluxOrg:
    """The org as the monitoring InfluxDB has it: the apps' buckets and the host-level bucket."""
    for app in apps:
        add_bucket(org, app, app_retention_seconds)
    add_bucket(org, HOST_BUCKET, HOST_RETENTION_SECONDS)
    return org


def set_secret(org: InfluxOrg, key: str, value: str) -> None:
    """Store an org secret (such as the Slack webhook URL the alert tasks read)."""
    response = org.server.api("PATCH", f"/api/v2/orgs/{org.id}/secrets", json={key: value})
    response.raise_for_status()


def scoped_token(org: InfluxOrg, *permissions: tuple[str, str, str | None]) -> Token:
    """A new token of the org holding only (action, type, bucket or other ID) permissions,
    each scoped to the org; the answer is checked against the contract."""
    __tracebackhide__ = True
    wanted = [{"action": action, "resource": {"type": kind, "orgID": org.id,
                                              **({"id": item} if item else {})}}
              for action, kind, item in permissions]
    response = api_call(org, "POST", "/api/v2/authorizations",
                        json={"orgID": org.id, "permissions": wanted})
    assert response.status_code == 201, response.status_code
    return Token(response.json()["token"])
