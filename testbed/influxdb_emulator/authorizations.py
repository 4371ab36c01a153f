"""Authorizations (API tokens): authorization.AuthHandler and AuthedAuthorizationService.

POST checks, in this order: the body (400), write on authorizations in the org and on the
token's user (401), every requested permission held by the caller (403 "permission X is not
allowed"), each permission's org equal to the body's (400). 2.7 shows the token on every read;
with hashed tokens (2.9) only the POST answer carries it.
"""

from __future__ import annotations

import base64
import os

from testbed.influxdb_emulator.api import Call, Reply, Route, typed
from testbed.influxdb_emulator.errors import FORBIDDEN, INVALID, ApiError, or_not_found
from testbed.influxdb_emulator.ids import parse_id
from testbed.influxdb_emulator.model import STATUSES, Authorization, now
from testbed.influxdb_emulator.orgs import org_by_name
from testbed.influxdb_emulator.permissions import READ, WRITE, holds, permission_from_json
from testbed.influxdb_emulator.store import Store


def new_token() -> str:
    """64 random bytes, URL-safe base64: 88 characters, like rand.NewTokenGenerator(64)."""
    return base64.urlsafe_b64encode(os.urandom(64)).decode()


def authorization_json(store: Store, auth: Authorization, show_token: bool) -> dict:
    org = store.orgs[auth.org_id]
    user = store.users[auth.user_id]
    permissions = []
    for permission in auth.permissions:
        resource = permission.resource_json() | _resource_names(store, permission)
        permissions.append({"action": permission.action, "resource": resource})
    return {"id": auth.id, "token": auth.token if show_token else "", "status": auth.status,
            "description": auth.description, "orgID": auth.org_id, "org": org.name,
            "userID": auth.user_id, "user": user.name, "permissions": permissions,
            "links": {"self": f"/api/v2/authorizations/{auth.id}",
                      "user": f"/api/v2/users/{auth.user_id}"},
            "createdAt": auth.created, "updatedAt": auth.updated}


def _resource_names(store: Store, permission) -> dict[str, str]:
    names = {}
    if permission.id:
        named = {"buckets": store.buckets.by_id, "orgs": store.orgs, "users": store.users,
                 "tasks": store.tasks.by_id}.get(permission.type, {}).get(permission.id)
        if named is None:
            return names
        names["name"] = named.name
    if permission.org_id and permission.org_id in store.orgs:
        names["org"] = store.orgs[permission.org_id].name
    return names


def _shows_token(call: Call) -> bool:
    return not call.store.hashed_tokens


def _body_id(data: dict, key: str) -> str | None:
    """An ID field of the body: decoded with the JSON, so a bad one fails before any rule."""
    if typed(data, key, str) is None:
        return None
    try:
        return parse_id(data[key])
    except ApiError as error:
        raise ApiError(INVALID, f"invalid json structure: {error.message}") from None


def post_authorization(call: Call) -> Reply:
    data = call.json_object()
    org_id, user_id = _body_id(data, "orgID"), _body_id(data, "userID")
    raw_permissions = typed(data, "permissions", list) or []
    if not raw_permissions:
        raise ApiError(INVALID, "authorization must include permissions")
    permissions = tuple(permission_from_json(p) for p in raw_permissions)
    if org_id is None:
        raise ApiError(INVALID, "org id required: invalid ID")
    status = typed(data, "status", str) or "active"
    if status not in STATUSES:
        raise ApiError(INVALID, "invalid status: must be active or inactive")
    user_id = user_id or call.auth.user_id
    call.require(WRITE, "authorizations", org_id)
    call.require(WRITE, "users", resource_id=user_id)
    for permission in permissions:
        if not holds(call.auth.permissions, permission):
            raise ApiError(FORBIDDEN, f"permission {permission} is not allowed: "
                                      f"{permission} is unauthorized")
    for permission in permissions:
        if permission.org_id and permission.org_id != org_id:
            raise ApiError(INVALID, f"permission {permission} is not for org id {org_id}")
    if user_id not in call.store.users or org_id not in call.store.orgs:
        raise ApiError(INVALID, "unable to create token")
    auth = Authorization(id=call.store.ids.next_id(), token=new_token(), org_id=org_id,
                         user_id=user_id, permissions=permissions, status=status,
                         description=typed(data, "description", str, ""))
    call.store.add_authorization(auth)
    return Reply(201, authorization_json(call.store, auth, show_token=True))


def _visible(call: Call, auth: Authorization) -> bool:
    return (call.can(READ, "authorizations", auth.org_id, auth.id)
            and call.can(READ, "users", resource_id=auth.user_id))


def list_authorizations(call: Call) -> Reply:
    store = call.store
    user_id = parse_id(call.arg("userID")) if call.arg("userID") else None
    if call.arg("user"):
        user_id = or_not_found(store.user_named(call.arg("user")), "user not found").id
    org_id = parse_id(call.arg("orgID")) if call.arg("orgID") else None
    if call.arg("org"):
        org_id = org_by_name(store, call.arg("org")).id
    found = store.authorizations.in_org(org_id) if org_id else store.authorizations.by_id.values()
    shown = [authorization_json(store, auth, _shows_token(call)) for auth in found
             if (user_id is None or auth.user_id == user_id) and _visible(call, auth)]
    return Reply(200, {"links": {"self": "/api/v2/authorizations"}, "authorizations": shown})


def _find(store: Store, auth_id: str) -> Authorization:
    return or_not_found(store.authorizations.get(auth_id), "authorization not found")


def get_authorization(call: Call) -> Reply:
    auth = _find(call.store, call.path_id())
    call.require(READ, "authorizations", auth.org_id, auth.id)
    call.require(READ, "users", resource_id=auth.user_id)
    return Reply(200, authorization_json(call.store, auth, _shows_token(call)))


def patch_authorization(call: Call) -> Reply:
    auth_id = call.path_id()
    data = call.json_object()
    auth = _find(call.store, auth_id)
    call.require(WRITE, "authorizations", auth.org_id, auth.id)
    call.require(WRITE, "users", resource_id=auth.user_id)
    status = typed(data, "status", str)
    if status is not None and status not in STATUSES:
        raise ApiError(INVALID, "status must be active or inactive")
    auth.status = status or auth.status
    auth.description = typed(data, "description", str, auth.description)
    auth.updated = now()
    return Reply(200, authorization_json(call.store, auth, _shows_token(call)))


def delete_authorization(call: Call) -> Reply:
    auth = _find(call.store, call.path_id())
    call.require(WRITE, "authorizations", auth.org_id, auth.id)
    call.require(WRITE, "users", resource_id=auth.user_id)
    call.store.remove_authorization(auth)
    return Reply(204)


ROUTES = [
    Route("GET", "/api/v2/authorizations", list_authorizations),
    Route("POST", "/api/v2/authorizations", post_authorization),
    Route("GET", "/api/v2/authorizations/{id}", get_authorization),
    Route("PATCH", "/api/v2/authorizations/{id}", patch_authorization),
    Route("DELETE", "/api/v2/authorizations/{id}", delete_authorization),
]
