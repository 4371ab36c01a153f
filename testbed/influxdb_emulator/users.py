"""Users: the caller's own (`/me`), and list, read, create, delete (tenant UserService).

Creating a user needs global write on users; reading or deleting one, permission on that user.
"""

from __future__ import annotations

from testbed.influxdb_emulator.api import Call, Reply, Route, typed
from testbed.influxdb_emulator.errors import CONFLICT, EMPTY_VALUE, ApiError, or_not_found
from testbed.influxdb_emulator.model import STATUSES, User
from testbed.influxdb_emulator.permissions import READ, WRITE


def _found(call: Call, user_id: str, action: str) -> User:
    user = or_not_found(call.store.users.get(user_id), "user not found")
    call.require(action, "users", resource_id=user.id)
    return user


def get_me(call: Call) -> Reply:
    return Reply(200, _found(call, call.auth.user_id, READ).to_json())


def get_user(call: Call) -> Reply:
    return Reply(200, _found(call, call.path_id(), READ).to_json())


def list_users(call: Call) -> Reply:
    users = [user.to_json() for user in call.store.users.values()
             if call.can(READ, "users", resource_id=user.id)]
    return Reply(200, {"links": {"self": "/api/v2/users"}, "users": users})


def post_user(call: Call) -> Reply:
    data = call.json_object()
    call.require(WRITE, "users")
    name = typed(data, "name", str, "")
    if not name:
        raise ApiError(EMPTY_VALUE, "user name is empty")
    if call.store.user_named(name):
        raise ApiError(CONFLICT, f"user with name {name} already exists")
    status = typed(data, "status", str) or "active"
    user = User(id=call.store.ids.next_id(), name=name,
                status=status if status in STATUSES else "active")
    call.store.users[user.id] = user
    return Reply(201, user.to_json())


def delete_user(call: Call) -> Reply:
    user = _found(call, call.path_id(), WRITE)
    for auth in [a for a in call.store.authorizations.by_id.values() if a.user_id == user.id]:
        call.store.remove_authorization(auth)
    del call.store.users[user.id]
    return Reply(204)


ROUTES = [
    Route("GET", "/api/v2/me", get_me),
    Route("GET", "/api/v2/users", list_users),
    Route("POST", "/api/v2/users", post_user),
    Route("GET", "/api/v2/users/{id}", get_user),
    Route("DELETE", "/api/v2/users/{id}", delete_user),
]
