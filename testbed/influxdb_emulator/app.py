"""The API as a function of a request: authentication, routing, errors (no HTTP plumbing).

Authentication runs before routing, as in influxdb's AuthenticationHandler: without a valid
token even an unknown path is a 401; with one, an unknown path is a 404.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from testbed.influxdb_emulator import (
    authorizations,
    buckets,
    dashboards,
    dbrps,
    orgs,
    secrets,
    setup,
    tasks,
    users,
    variables,
    write,
)
from testbed.influxdb_emulator.api import Call, Reply, Router
from testbed.influxdb_emulator.errors import UNAUTHORIZED, ApiError
from testbed.influxdb_emulator.model import Authorization
from testbed.influxdb_emulator.store import Store

ROUTER = Router(setup.ROUTES + orgs.ROUTES + secrets.ROUTES + buckets.ROUTES + dbrps.ROUTES
                + authorizations.ROUTES + tasks.ROUTES + users.ROUTES + write.ROUTES
                + dashboards.ROUTES + variables.ROUTES)


def authenticate(store: Store, header: str) -> Authorization:
    scheme, _, token = header.partition(" ")
    auth = store.authorization_for(token) if scheme in ("Token", "Bearer") and token else None
    if auth is None:
        raise ApiError(UNAUTHORIZED, "unauthorized access")
    return auth  # an inactive token is let in; its permission checks fail (Call.require)


def handle(store: Store, method: str, path: str, query: str, body: bytes,
           authorization_header: str) -> Reply:
    """Answer one API request; the store lock is held throughout."""
    # influxd's public API paths match exactly: with a trailing slash they need a token.
    public = ROUTER.is_public(method, path) or (
        not path.startswith("/api/") and ROUTER.is_public(method, path.rstrip("/")))
    if path != "/" and path.endswith("/"):
        path = path.rstrip("/")
    query_values = {key: values[0] for key, values in parse_qs(query).items()}
    call = Call(store, method, path, query_values, body)
    try:
        with store.lock:
            if not public:
                call.auth = authenticate(store, authorization_header)
            route, call.params = ROUTER.resolve(method, path)
            return route.handler(call)
    except ApiError as error:
        return error_reply(error)


def error_reply(error: ApiError) -> Reply:
    return Reply(error.status, error.body(), {"X-Platform-Error-Code": error.code})
