"""Onboarding and the unauthenticated health routes (/ping, /health, /ready, /api/v2/setup)."""

from __future__ import annotations

import time

from testbed.influxdb_emulator import buckets, orgs
from testbed.influxdb_emulator.api import Call, Reply, Route, typed
from testbed.influxdb_emulator.authorizations import authorization_json, new_token
from testbed.influxdb_emulator.errors import CONFLICT, EMPTY_VALUE, INVALID, ApiError
from testbed.influxdb_emulator.model import Authorization, User, now
from testbed.influxdb_emulator.permissions import operator_permissions
from testbed.influxdb_emulator.store import Store

VERSION = "v2.7.12"
COMMIT = "ec9dcde5d6"
STARTED = now()
_STARTED_AT = time.monotonic()


def onboarding_allowed(store: Store) -> bool:
    return not store.users and not store.orgs


# influxd's bounds on a password (errors.MinPasswordLen, MaxPasswordLen), bytes.
PASSWORD_BYTES = (8, 72)


def onboard(store: Store, username: str, org_name: str, bucket_name: str | None,
            retention: int = 0, token: str | None = None, password: str = "") -> dict:
    """What `influx setup` creates: user, org (with its system buckets), the first bucket and
    the operator token. Answers the objects as JSON; a password out of bounds creates nothing."""
    if not onboarding_allowed(store):
        raise ApiError(CONFLICT, "onboarding has already been completed")
    low, high = PASSWORD_BYTES
    if password and not low <= len(password.encode()) <= high:
        raise ApiError(INVALID, f"passwords must be between {low} and {high} characters long")
    buckets.check_retention(retention, buckets.default_shard_seconds(retention))
    user = User(id=store.ids.next_id(), name=username)
    org = orgs.create_org(store, org_name)
    store.users[user.id] = user
    auth = Authorization(id=store.ids.next_id(), token=token or new_token(), org_id=org.id,
                         user_id=user.id, permissions=operator_permissions(),
                         description=f"{username}'s Token")
    store.add_authorization(auth)
    result = {"user": user.to_json(), "org": org.to_json(),
              "auth": authorization_json(store, auth, show_token=True)}
    if bucket_name:
        result["bucket"] = buckets.create_bucket(store, org.id, bucket_name, retention).to_json()
    return result


def post_setup(call: Call) -> Reply:
    data = call.json_object()
    for key, label in (("username", "username"), ("org", "org name"), ("bucket", "bucket name")):
        if not typed(data, key, str):
            raise ApiError(EMPTY_VALUE, f"{label} is empty")
    body = onboard(call.store, data["username"], data["org"], data["bucket"],
                   typed(data, "retentionPeriodSeconds", int) or 0, typed(data, "token", str),
                   typed(data, "password", str) or "")
    return Reply(201, body)


def get_setup(call: Call) -> Reply:
    return Reply(200, {"allowed": onboarding_allowed(call.store)})


def ping(call: Call) -> Reply:
    return Reply(204, headers={"X-Influxdb-Build": "OSS", "X-Influxdb-Version": VERSION})


def health(call: Call) -> Reply:
    return Reply(200, {"name": "influxdb", "message": "ready for queries and writes",
                       "status": "pass", "checks": [], "version": VERSION, "commit": COMMIT})


def ready(call: Call) -> Reply:
    up = time.monotonic() - _STARTED_AT
    return Reply(200, {"status": "ready", "started": STARTED, "up": f"{up:.3f}s"})


def api_routes(call: Call) -> Reply:
    """GET /api/v2: where the main resources live (http.apiLinks), for anyone."""
    routes = {kind: f"/api/v2/{kind}" for kind in (
        "authorizations", "buckets", "dashboards", "variables", "me", "flags", "orgs", "setup",
        "signin", "signout", "sources", "tasks", "telegrafs", "users", "write")}
    routes["query"] = {"self": "/api/v2/query", "ast": "/api/v2/query/ast",
                       "analyze": "/api/v2/query/analyze",
                       "suggestions": "/api/v2/query/suggestions"}
    routes["system"] = {"metrics": "/metrics", "debug": "/debug/pprof", "health": "/health"}
    routes["external"] = {"statusFeed": "https://www.influxdata.com/feed/json"}
    return Reply(200, routes)


ROUTES = [
    Route("GET", "/api/v2", api_routes, public=True),
    Route("GET", "/ping", ping, public=True),
    Route("HEAD", "/ping", ping, public=True),
    Route("GET", "/health", health, public=True),
    Route("GET", "/ready", ready, public=True),
    Route("GET", "/api/v2/setup", get_setup, public=True),
    Route("POST", "/api/v2/setup", post_setup, public=True),
]
