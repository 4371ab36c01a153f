"""The permission model: what a token holds and what a request needs.

Matching follows influxdb `Permission.Matches`: the action must be equal (write does not imply
read) and the type equal; then a held `{type}` matches everything, `{type, orgID}` every resource
of that type in the org, `{type, id}` the one resource. A failed check is a 401 "<perm> is
unauthorized" (authorizer.IsAllowed); only token creation answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from testbed.influxdb_emulator.errors import INVALID, UNAUTHORIZED, ApiError
from testbed.influxdb_emulator.ids import parse_id

READ = "read"
WRITE = "write"
ACTIONS = (READ, WRITE)

RESOURCE_TYPES = (
    "authorizations", "buckets", "dashboards", "orgs", "sources", "tasks", "telegrafs", "users",
    "variables", "scrapers", "secrets", "labels", "views", "documents", "notificationRules",
    "notificationEndpoints", "checks", "dbrp", "notebooks", "annotations", "remotes",
    "replications", "instance",
)


@dataclass(frozen=True)
class Permission:
    action: str
    type: str
    org_id: str | None = None
    id: str | None = None

    def allows(self, needed: Permission) -> bool:
        if self.action != needed.action or self.type != needed.type:
            return False
        if self.org_id is None and self.id is None:
            return True
        if self.id is None:
            return self.org_id == needed.org_id
        return self.id == needed.id

    def __str__(self) -> str:
        if self.org_id and self.id:
            resource = f"orgs/{self.org_id}/{self.type}/{self.id}"
        elif self.org_id:
            resource = f"orgs/{self.org_id}/{self.type}"
        elif self.id:
            resource = f"{self.type}/{self.id}"
        else:
            resource = self.type
        return f"{self.action}:{resource}"

    def resource_json(self) -> dict[str, str]:
        resource = {"type": self.type}
        if self.id:
            resource["id"] = self.id
        if self.org_id:
            resource["orgID"] = self.org_id
        return resource


def permission_from_json(data: object) -> Permission:
    """A permission from a request body, with the server's 400s for bad actions and types."""
    if not isinstance(data, dict) or not isinstance(data.get("resource"), dict):
        raise ApiError(INVALID, "invalid json structure")
    resource = data["resource"]
    if resource.get("type") not in RESOURCE_TYPES:
        raise ApiError(INVALID, "invalid resource type for permission: unknown resource type")
    if data.get("action") not in ACTIONS:
        raise ApiError(INVALID, "invalid action type for permission: unknown action")
    return Permission(
        action=data["action"],
        type=resource["type"],
        org_id=_optional_id(resource.get("orgID")),
        id=_optional_id(resource.get("id")),
    )


def _optional_id(value: object) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ApiError(INVALID, "invalid json structure")
    return parse_id(value)


def operator_permissions() -> tuple[Permission, ...]:
    """What `influx setup` gives the operator token: read and write on every type but instance."""
    kinds = [kind for kind in RESOURCE_TYPES if kind != "instance"]
    return tuple(Permission(action, kind) for kind in kinds for action in ACTIONS)


def require(held: tuple[Permission, ...], needed: Permission) -> None:
    if not holds(held, needed):
        raise ApiError(UNAUTHORIZED, f"{needed} is unauthorized")


def holds(held: tuple[Permission, ...], needed: Permission) -> bool:
    return any(permission.allows(needed) for permission in held)
