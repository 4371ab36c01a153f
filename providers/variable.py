"""InfluxDB dashboard variables as a Pulumi dynamic resource
(`pulumi-python:dynamic/influxdb:Variable`).

A variable is a Flux query whose results a dashboard offers as choices; a cell reads the choice
as `v.<name>`. It is known by its name within its org (influxd keeps names unique, ignoring
case). `create` adopts a variable of that name (this stack's, else an unmarked one; never one
another stack's mark claims), setting its query and description; a move to another org replaces
it. An update PUTs the whole variable: a PATCH cannot empty a description.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from pulumi import Input, Output, ResourceOptions
from pulumi.dynamic import CheckFailure, CreateResult, Resource

from providers.base import InfluxProvider, secret_token, with_secret_outputs
from providers.client import InfluxClient
from providers.inputs import all_of, failures, flux_script, influx_id, text
from providers.listing import Loader

PATH = "/api/v2/variables"
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Names influxd refuses for a variable (Variable.Valid), and `v`'s own time-range fields.
PROTECTED = frozenset({"and", "import", "not", "return", "option", "test", "empty", "in", "or",
                       "package", "builtin", "timeRangeStart", "timeRangeStop",
                       "windowPeriod"})


# Schema and check.
def variable_name(value: Any) -> str | None:
    if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
        return ("must be a Flux identifier (a letter or '_', then letters, digits or '_'), "
                f"since cells read it as v.<name>, got {value!r}")
    if value in PROTECTED:
        return f"must not be {value!r}: influxd or the dashboards reserve it"
    return None


RULES = {
    "org_id": influx_id,
    "name": variable_name,
    "query": all_of(text, flux_script),
    "description": text,
}


class VariableProvider(InfluxProvider):
    path = PATH
    replace_keys = ("org_id",)
    update_keys = ("name", "query", "description")
    defaults: ClassVar[dict[str, Any]] = {"description": ""}

    def failures(self, inputs: dict[str, Any]) -> Iterable[CheckFailure]:
        return failures(inputs, RULES)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client(props)
        return self.create_once(
            client, props,
            adopt=lambda existing: self.patch(client, existing["id"], variable_settings(existing),
                                              props) or existing,
            create=lambda: client.post(PATH, body(props)),
        )

    # The hooks behind create, read, update and delete.
    def same_identity(self, found: dict, props: dict[str, Any]) -> bool:
        return found["name"].casefold() == props["name"].casefold()

    def loader(self, client: InfluxClient) -> Loader:
        return client.list_variables

    def patch(self, client: InfluxClient, id_: str, current: dict[str, Any],
              desired: dict[str, Any]) -> dict | None:
        if all(current.get(key) == desired[key] for key in VariableProvider.update_keys):
            return None
        return client.put(f"{PATH}/{id_}", body(desired))

    def outputs(self, variable: dict, _props: dict[str, Any]) -> dict[str, Any]:
        return variable_settings(variable)


# Request bodies and the server's shape.
def body(props: dict[str, Any]) -> dict[str, Any]:
    """The whole variable, as POST and PUT take it."""
    return {"orgID": props["org_id"], "name": props["name"],
            "description": props["description"],
            "arguments": {"type": "query",
                          "values": {"query": props["query"], "language": "flux"}}}


def variable_settings(variable: dict) -> dict[str, Any]:
    """The variable as the server has it, in the shape of the inputs (a variable changed by hand
    to a list of constants has no query: "")."""
    arguments = variable.get("arguments") or {}
    values = arguments.get("values") if arguments.get("type") == "query" else None
    return {
        "org_id": variable["orgID"],
        "name": variable["name"],
        "query": (values or {}).get("query") or "",
        "description": variable.get("description") or "",
    }


class Variable(Resource, module="influxdb", name="Variable"):
    """A dashboard variable whose choices a Flux query lists; its ID is the resource ID."""

    org_id: Output[str]
    name: Output[str]
    query: Output[str]
    description: Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        org_id: Input[str],
        name: Input[str],
        query: Input[str],
        description: Input[str] = "",
        token: Input[str] | None = None,
        opts: ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            VariableProvider(), resource_name,
            {"org_id": org_id, "name": name, "query": query, "description": description,
             **secret_token(token)},
            with_secret_outputs(opts, "token"),
        )
