"""Authorization tokens as a Pulumi dynamic resource
(`pulumi-python:dynamic/influxdb:AuthorizationToken`).

A token is known by its org, description (without the stack's mark) and permissions (compared
as a set). Whether `create` may adopt an existing one depends on whether the server still shows
its value:

- InfluxDB 2.7 (and 2.8 by default) returns the value on every GET, so a token with the same
  identity is adopted (its status PATCHed to the desired one): nothing is duplicated, and the
  value goes to state.
- InfluxDB hashes tokens when 2.8 runs with `--use-hashed-tokens`, and by default from 2.9; it
  then shows a token's value only in the answer to its create (`"token": ""` on reads), so an
  existing token is useless to us: the Pulumi program needs the value. Unmarked ones (made by
  hand or by the old scripts) are left alone, with a warning naming each (delete them by hand
  once nothing uses them), and a new one is created. One this stack's mark claims was made by a
  run of this stack that never recorded it (one killed before its state write, or a create whose
  answer was lost): no one holds its value, so nothing can use it, and it is replaced (deleted,
  and a new one created), with a warning saying which of the two it was.

The tokens named in `replaces` (by description: the old tokenmaker's) are never adopted, whatever
the server shows: each unmarked one found gets the same warning.

The value is a secret output (`additional_secret_outputs`) kept from state on read, never
replaced by the empty string a hashing server returns. Warnings reach the operator as Pulumi
warnings (`providers/diagnostics.py`). This resource always acts with the configured token: it
takes no `token` input, since its `token` is the value it creates.
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


def descriptions(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return None
    return f"must be a list of token descriptions, got {value!r}"


RULES = {"org_id": influx_id, "description": text, "permissions": permissions, "status": status,
         "replaces": descriptions}


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
    defaults: ClassVar[dict[str, Any]] = {"description": "", "status": "active", "replaces": []}
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
        earlier = {found["id"] for found in tokens.objects()}  # made before this run's create
        for found in tokens.objects():
            if reason := left_alone(found, props):
                log.warning("token %s (%r, no stack's mark) is not adopted as %r: %s; a new "
                            "token is made. Delete token %s (`influx auth delete --id %s`) once "
                            "nothing uses it", found["id"], found.get("description") or "",
                            unmarked(props["description"]), reason, found["id"], found["id"])
        return self.create_once(
            client, props,
            adopt=lambda existing: self.adopt(client, tokens, existing, props,
                                              existing["id"] in earlier),
            create=lambda: create(client, props),
        )

    def adopt(self, client: InfluxClient, tokens: Listing, existing: dict,
              props: dict[str, Any], earlier: bool) -> dict:
        if not existing.get("token"):
            # Marked as ours, but the state never recorded it: no one has the value.
            log.warning("token %s carries this stack's mark but %s, and the server does not "
                        "show its value (hashed tokens): nothing can use it, so it is replaced "
                        "(deleted, and a new token made)", existing["id"],
                        "is not in the state: the run that made it ended before it wrote the "
                        "state (killed or cut short)" if earlier else
                        "was made by a create of this run whose answer was lost")
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


def left_alone(token: dict, props: dict[str, Any]) -> str | None:
    """Why create leaves this unmarked token alone though it may do this token's job (a
    look-alike whose value the server hides, or a token `replaces` names); None otherwise."""
    if stack_of(token.get("description")) is not None or token["orgID"] != props["org_id"]:
        return None
    hidden = not token.get("token")
    if token.get("description") in props.get("replaces", ()):
        return ("the server does not show its value (hashed tokens)" if hidden else
                "it is the token this one replaces, and holds other permissions")
    if hidden and lookalike(token, props):
        return "the server does not show its value (hashed tokens)"
    return None


def lookalike(token: dict, props: dict[str, Any]) -> bool:
    """The same org, permissions and description, whatever stack's mark it carries."""
    return (token["orgID"] == props["org_id"]
            and unmarked(token.get("description")) == unmarked(props["description"])
            and canonical(token["permissions"]) == canonical(props["permissions"]))


def create(client: InfluxClient, props: dict[str, Any]) -> dict:
    return client.post(PATH, {"orgID": props["org_id"], "description": props["description"],
                              "status": props["status"], "permissions": props["permissions"]})


class AuthorizationToken(Resource, module="influxdb", name="AuthorizationToken"):
    """An InfluxDB API token with the given permissions; its value is the secret `token`.
    `replaces`: descriptions of the unmarked tokens it takes the place of (never adopted)."""

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
        replaces: Input[list[str]] | None = None,
        opts: ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            AuthorizationTokenProvider(), resource_name,
            {"org_id": org_id, "description": description, "permissions": permissions,
             "status": status, "replaces": replaces or [], "token": None, "user_id": None},
            with_secret_outputs(opts, "token"),
        )
