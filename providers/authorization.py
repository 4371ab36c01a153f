"""Authorization tokens as a Pulumi dynamic resource
(`pulumi-python:dynamic/influxdb:AuthorizationToken`).

A token is known by its org, description (without the stack's mark) and permissions (compared
as a set). Whether `create` may adopt an existing one depends on whether the server still shows
its value:

- InfluxDB 2.7 returns the value on every GET, so a token with the same identity is adopted
  (its status PATCHed to the desired one): nothing is duplicated, and the value goes to state.
- InfluxDB 2.9 hashes tokens and returns `"token": ""`: an existing token is useless to us, since
  the Pulumi program needs the value. Unmarked ones (made by hand or by the old scripts) are left
  alone (a warning says so: delete them by hand if nothing uses them) and a new one is created.
  One this stack's mark claims is the object of a create of ours whose answer was lost: no one
  ever received its value, so nothing can use it, and it is deleted before trying again.

The value is a secret output (`additional_secret_outputs`) kept from state on read, never
replaced by the empty string a 2.9 server returns. This resource always acts with the configured
token: it takes no `token` input, since its `token` is the value it creates.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any, ClassVar

from pulumi import Input, Output, ResourceOptions
from pulumi.dynamic import CheckFailure, CreateResult, Resource

from providers.base import InfluxProvider, discard, with_secret_outputs
from providers.client import InfluxClient
from providers.inputs import failures, influx_id, status, text
from providers.listing import Listing, Loader
from providers.marks import stack_of, unmarked

PATH = "/api/v2/authorizations"
RESOURCE_TYPES = frozenset({
    "authorizations", "buckets", "dashboards", "orgs", "sources", "tasks", "telegrafs", "users",
    "variables", "scrapers", "secrets", "labels", "views", "documents", "notificationRules",
    "notificationEndpoints", "checks", "dbrp", "notebooks", "annotations", "remotes",
    "replications", "instance",
})

log = logging.getLogger(__name__)


# Schema and check.
def permission(value: Any) -> str | None:
    """What is wrong with one permission `{action, resource: {type, orgID?, id?}}`, if anything."""
    if not isinstance(value, dict) or not isinstance(value.get("resource"), dict):
        return f"must look like {{action, resource: {{type, orgID?, id?}}}}, got {value!r}"
    resource = value["resource"]
    if value.get("action") not in ("read", "write"):
        return f"action must be 'read' or 'write', got {value.get('action')!r}"
    if resource.get("type") not in RESOURCE_TYPES:
        return f"resource type {resource.get('type')!r} is not an InfluxDB resource type"
    for key in ("orgID", "id"):
        if resource.get(key) is not None and influx_id(resource[key]):
            return f"resource {key} {influx_id(resource[key])}"
    return None


def permissions(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return f"must be a non-empty list of permissions, got {value!r}"
    return next((f"[{index}] {reason}" for index, item in enumerate(value)
                 if (reason := permission(item))), None)


RULES = {"org_id": influx_id, "description": text, "permissions": permissions, "status": status}


def canonical(granted: list[dict]) -> list[dict]:
    """Permissions in the input shape (the server adds names), in a stable order."""
    shaped = [{"action": item["action"],
               "resource": {key: item["resource"][key] for key in ("type", "orgID", "id")
                            if item["resource"].get(key)}}
              for item in granted]
    return sorted(shaped, key=lambda item: json.dumps(item, sort_keys=True))


class AuthorizationTokenProvider(InfluxProvider):
    path = PATH
    replace_keys = ("org_id", "permissions")
    update_keys = ("description", "status")
    defaults: ClassVar[dict[str, Any]] = {"description": "", "status": "active"}
    credential = None

    def failures(self, inputs: dict[str, Any]) -> Iterable[CheckFailure]:
        yield from failures(inputs, RULES)
        if not (permissions(inputs.get("permissions")) or influx_id(inputs.get("org_id"))):
            yield from (
                CheckFailure("permissions", f"permissions[{index}] is for org {org}, not for "
                             f"this token's org {inputs['org_id']}")
                for index, item in enumerate(inputs["permissions"])
                if (org := item["resource"].get("orgID")) and org != inputs["org_id"])

    def same(self, key: str, old: Any, new: Any) -> bool:
        if key == "permissions":
            return canonical(old or []) == canonical(new or [])
        return super().same(key, old, new)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client(props)
        tokens = self.listing(client, props["org_id"])
        hidden = [found for found in tokens.objects()
                  if lookalike(found, props) and not self.same_identity(found, props)]
        if hidden:
            log.warning("%d token(s) described %r with these permissions exist, but the server "
                        "does not show their values (hashed tokens); creating a new one: delete "
                        "the old ones if nothing uses them", len(hidden), props["description"])
        return self.create_once(
            client, props,
            adopt=lambda existing: self.adopt(client, tokens, existing, props),
            create=lambda: create(client, props),
        )

    def adopt(self, client: InfluxClient, tokens: Listing, existing: dict,
              props: dict[str, Any]) -> dict:
        if not existing.get("token"):
            # Marked as ours, made by a create whose answer was lost: no one has the value.
            log.warning("deleting token %s, created by a request whose answer was lost",
                        existing["id"])
            discard(client, f"{PATH}/{existing['id']}", tokens, existing["id"])
            return create(client, props)
        return self.patch(client, existing["id"], existing, props) or existing

    # The hooks behind create, read, update and delete.
    def same_identity(self, found: dict, props: dict[str, Any]) -> bool:
        """A look-alike whose value we can read, or that a stack's mark claims (the mark
        decides whether it is ours to adopt or another stack's)."""
        return lookalike(found, props) and bool(found.get("token")
                                                or stack_of(found.get("description")))

    def loader(self, client: InfluxClient) -> Loader:
        return client.list_authorizations

    def patch(self, client: InfluxClient, id_: str, current: dict[str, Any],
              desired: dict[str, Any]) -> dict | None:
        """PATCH the status and description where they differ; None when neither does."""
        body = {key: desired[key] for key in ("status", "description")
                if (current.get(key) or "") != desired[key]}
        return client.patch(f"{PATH}/{id_}", body) if body else None

    def outputs(self, token: dict, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "org_id": token["orgID"],
            "description": token.get("description") or "",
            "permissions": canonical(token["permissions"]),
            "status": token["status"],
            "token": token.get("token") or props.get("token", ""),
            "user_id": token.get("userID", ""),
        }

    def updated(self, token: dict, olds: dict[str, Any], _news: dict[str, Any]) -> dict[str, Any]:
        # The value is no input: a server that hides it leaves the one in state.
        return self.state(token, olds)


def lookalike(token: dict, props: dict[str, Any]) -> bool:
    """The same org, permissions and description, whatever stack's mark it carries."""
    return (token["orgID"] == props["org_id"]
            and unmarked(token.get("description")) == unmarked(props["description"])
            and canonical(token["permissions"]) == canonical(props["permissions"]))


def create(client: InfluxClient, props: dict[str, Any]) -> dict:
    return client.post(PATH, {"orgID": props["org_id"], "description": props["description"],
                              "status": props["status"], "permissions": props["permissions"]})


class AuthorizationToken(Resource, module="influxdb", name="AuthorizationToken"):
    """An InfluxDB API token with the given permissions; its value is the secret `token`."""

    org_id: Output[str]
    description: Output[str]
    permissions: Output[list[dict]]
    status: Output[str]
    token: Output[str]
    user_id: Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        org_id: Input[str],
        permissions: Input[list[dict]],
        description: Input[str] = "",
        status: Input[str] = "active",
        opts: ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            AuthorizationTokenProvider(), resource_name,
            {"org_id": org_id, "description": description, "permissions": permissions,
             "status": status, "token": None, "user_id": None},
            with_secret_outputs(opts, "token"),
        )
