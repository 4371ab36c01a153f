"""Set-up helpers: put buckets, secrets and tokens into an org the way an operator (or the old
scripts) would, with the operator token.

The one place tests, the benchmark, the alert test bed and the demo make the org they need.
"""

from __future__ import annotations

from collections.abc import Iterable

from flux.settings import TaskSettings
from program.plan import retention_policy_name
from providers.bucket import retention_of
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
    token = Token(response.json()["token"])
    token.id = response.json()["id"]  # a server that hashes tokens never shows the value again
    return token


def org_operator_token(org: InfluxOrg) -> Token:
    """A token of the org with what the program needs, that a test may delete (its `id` kept:
    a server that hashes tokens never shows the value again)."""
    me = org.server.api("GET", "/api/v2/me").json()["id"]
    return scoped_token(org, *((action, kind, None) for action in ("read", "write")
                               for kind in ("buckets", "dbrp", "tasks", "authorizations",
                                            "dashboards", "variables")),
                        ("read", "orgs", org.id), ("read", "secrets", None),
                        ("read", "users", me), ("write", "users", me))


# The old scripts (see the README's "Moving from the old scripts").
TOKENMAKER_TOKEN = "Token for task/alert creation"  # the token taskmaker made its tasks with


def old_script_task(name: str, position: int, slack_url: str) -> str:
    """A task as the old taskmaker wrote it: every 2m30s, offset by list position; its notifiers
    post every finding of the last 5m straight to the webhook."""
    header = f'option task = {{name: "{name}", every: 2m30s, offset: {position % 60}s}}\n'
    if name.startswith("_slack_notify"):
        return ('import "slack"\n' + header + 'from(bucket: "multiapp_") |> range(start: -5m)\n'
                f'    |> map(fn: (r) => ({{r with s: slack.message(url: "{slack_url}", '
                'channel: "#old", text: "old: ${r._value}", color: "danger")}))\n'
                '    |> yield()\n')
    return header + 'from(bucket: "x") |> range(start: -5m)\n'


def seed_old_scripts(org: InfluxOrg, task_names: Iterable[str], slack_url: str) -> str:
    """The org as the old scripts left it, over the buckets it has: bucketmapper's mappings,
    taskmaker's `multiapp_` bucket and tasks (`old_script_task`), and tokenmaker's task token
    (read and write on buckets, orgs and tasks, by type); that token's ID."""
    for bucket in org.server.api("GET", "/api/v2/buckets",
                                 params={"orgID": org.id, "limit": 100}).json()["buckets"]:
        if not bucket["name"].startswith("_"):
            org.server.api("POST", "/api/v2/dbrps", json={
                "orgID": org.id, "bucketID": bucket["id"], "database": bucket["name"],
                "retention_policy": retention_policy_name(retention_of(bucket)),
                "default": True}).raise_for_status()
    add_bucket(org, "multiapp_", 3600)
    for position, name in enumerate(task_names):
        org.server.api("POST", "/api/v2/tasks", json={
            "orgID": org.id, "description": name, "status": "active",
            "flux": old_script_task(name, position, slack_url)}).raise_for_status()
    response = org.server.api("POST", "/api/v2/authorizations", json={
        "orgID": org.id, "description": TOKENMAKER_TOKEN,
        "permissions": [{"action": action, "resource": {"type": kind}}
                        for kind in ("buckets", "orgs", "tasks") for action in ("read", "write")]})
    response.raise_for_status()
    return response.json()["id"]
