"""The caller's own user (`GET /api/v2/me`), read with the caller's permissions."""

from __future__ import annotations

from tests.influxdb_emulator.api import Call, Reply, Route
from tests.influxdb_emulator.permissions import READ


def get_me(call: Call) -> Reply:
    user = call.store.users[call.auth.user_id]
    call.require(READ, "users", resource_id=user.id)
    return Reply(200, user.to_json())


ROUTES = [Route("GET", "/api/v2/me", get_me)]
