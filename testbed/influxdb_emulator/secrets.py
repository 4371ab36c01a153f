"""Org secrets: keys are listed, values are never returned (secret.Handler).

Every route first reads the org with the caller's token: a missing or unreadable org is a 404.
"""

from __future__ import annotations

from testbed.influxdb_emulator.api import Call, Reply, Route
from testbed.influxdb_emulator.errors import INVALID, ApiError
from testbed.influxdb_emulator.orgs import readable_org
from testbed.influxdb_emulator.permissions import READ, WRITE


def list_secrets(call: Call) -> Reply:
    org = readable_org(call, call.params["id"])
    call.require(READ, "secrets", org.id)
    links = {"org": f"/api/v2/orgs/{org.id}", "self": f"/api/v2/orgs/{org.id}/secrets"}
    return Reply(200, {"links": links, "secrets": sorted(call.store.secrets[org.id])})


def patch_secrets(call: Call) -> Reply:
    org = readable_org(call, call.params["id"])
    values = call.json_object()
    if not all(isinstance(value, str) for value in values.values()):
        raise ApiError(INVALID, "invalid json structure: secret values must be strings")
    call.require(WRITE, "secrets", org.id)
    call.store.secrets[org.id].update(values)
    return Reply(204)


def delete_secret(call: Call) -> Reply:
    org = readable_org(call, call.params["id"])
    call.require(WRITE, "secrets", org.id)
    call.store.secrets[org.id].pop(call.params["key"], None)
    return Reply(204)


def post_secrets_delete(call: Call) -> Reply:
    org = readable_org(call, call.params["id"])
    keys = call.json_object().get("secrets") or []
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise ApiError(INVALID, "invalid json structure: secrets must be a list of keys")
    call.require(WRITE, "secrets", org.id)
    for key in keys:
        call.store.secrets[org.id].pop(key, None)
    return Reply(204)


ROUTES = [
    Route("GET", "/api/v2/orgs/{id}/secrets", list_secrets),
    Route("PATCH", "/api/v2/orgs/{id}/secrets", patch_secrets),
    Route("POST", "/api/v2/orgs/{id}/secrets/delete", post_secrets_delete),
    Route("DELETE", "/api/v2/orgs/{id}/secrets/{key}", delete_secret),
]
