"""Dashboard variables (http VariableHandler over the kv VariableService).

Names are unique within an org regardless of case; an org's listing has no paging. PATCH applies
only the fields it is given (an empty name or description counts as not given); PUT replaces the
whole variable, and makes it if the ID is unknown.
"""

from __future__ import annotations

import re

from testbed.influxdb_emulator.api import Call, Reply, Route, typed
from testbed.influxdb_emulator.errors import CONFLICT, INVALID, ApiError, or_not_found
from testbed.influxdb_emulator.ids import parse_id
from testbed.influxdb_emulator.model import Variable, now
from testbed.influxdb_emulator.orgs import find_org
from testbed.influxdb_emulator.permissions import READ, WRITE
from testbed.influxdb_emulator.store import Store

TYPES = ("constant", "map", "query")
PROTECTED = ("and", "import", "not", "return", "option", "test", "empty", "in", "or", "package",
             "builtin")


def check_variable(name: str, arguments: object) -> None:
    """influxd's Variable.Valid."""
    if not name:
        raise ApiError(INVALID, "missing variable name")
    if not re.match(r"[a-zA-Z_]", name):
        raise ApiError(INVALID, "variable name must start with a letter")
    if not isinstance(arguments, dict) or arguments.get("type") not in TYPES:
        raise ApiError(INVALID, "invalid arguments type")
    if name in PROTECTED:
        raise ApiError(INVALID, f'"{name}" is a protected variable name')


def check_unique(store: Store, variable: Variable) -> None:
    """No other variable of the org has the name, whatever its case."""
    if any(other.id != variable.id and other.name.casefold() == variable.name.casefold()
           for other in store.variables.in_org(variable.org_id)):
        raise ApiError(CONFLICT, "variable is not unique for key "
                                 f"{variable.org_id}{variable.name.lower()}")


def _fields(call: Call) -> dict:
    data = call.json_object()
    return {"org_id": parse_id(typed(data, "orgID", str, "")) if data.get("orgID") else "",
            "name": typed(data, "name", str, ""), "arguments": data.get("arguments"),
            "description": typed(data, "description", str, ""),
            "selected": typed(data, "selected", list)}


def _variable(call: Call, action: str) -> Variable:
    variable_id = call.path_id()
    variable = or_not_found(call.store.variables.get(variable_id),
                            f'variable not found for key "{variable_id}"')
    call.require(action, "variables", variable.org_id, variable.id)
    return variable


def post_variable(call: Call) -> Reply:
    fields = _fields(call)
    check_variable(fields["name"], fields["arguments"])
    call.require(WRITE, "variables", fields["org_id"] or None)
    find_org(call.store, fields["org_id"])
    variable = Variable(call.store.ids.next_id(), **fields)
    check_unique(call.store, variable)
    call.store.variables.add(variable)
    return Reply(201, variable.to_json())


def list_variables(call: Call) -> Reply:
    found = (call.store.variables.in_org(parse_id(call.arg("orgID"))) if call.arg("orgID")
             else call.store.variables.by_id.values())
    visible = [variable.to_json() for variable in found
               if call.can(READ, "variables", variable.org_id, variable.id)]
    org = f"&orgID={call.arg('orgID')}" if call.arg("orgID") else ""
    return Reply(200, {"variables": visible, "links": {
        "self": f"/api/v2/variables?descending=false&limit=20&offset=0{org}"}})


def get_variable(call: Call) -> Reply:
    return Reply(200, _variable(call, READ).to_json())


def patch_variable(call: Call) -> Reply:
    variable = _variable(call, WRITE)
    fields = _fields(call)
    if not (fields["name"] or fields["description"] or fields["selected"] is not None
            or fields["arguments"] is not None):
        raise ApiError(INVALID, "no fields supplied in update")
    renamed = Variable(variable.id, variable.org_id, fields["name"].strip() or variable.name,
                       variable.arguments)
    check_unique(call.store, renamed)
    variable.name = renamed.name
    variable.description = fields["description"] or variable.description
    if fields["selected"] is not None:
        variable.selected = fields["selected"]
    if fields["arguments"] is not None:
        variable.arguments = fields["arguments"]
    variable.updated = now()
    return Reply(200, variable.to_json())


def put_variable(call: Call) -> Reply:
    variable_id = call.path_id()
    fields = _fields(call)
    check_variable(fields["name"], fields["arguments"])
    existing = call.store.variables.get(variable_id)
    call.require(WRITE, "variables", existing.org_id if existing else fields["org_id"] or None,
                 variable_id)
    replacement = Variable(variable_id, **fields)
    check_unique(call.store, replacement)
    if existing is not None:
        call.store.variables.remove(existing)
    call.store.variables.add(replacement)
    return Reply(200, replacement.to_json())


def delete_variable(call: Call) -> Reply:
    call.store.variables.remove(_variable(call, WRITE))
    return Reply(204)


ROUTES = [
    Route("GET", "/api/v2/variables", list_variables),
    Route("POST", "/api/v2/variables", post_variable),
    Route("GET", "/api/v2/variables/{id}", get_variable),
    Route("PATCH", "/api/v2/variables/{id}", patch_variable),
    Route("PUT", "/api/v2/variables/{id}", put_variable),
    Route("DELETE", "/api/v2/variables/{id}", delete_variable),
]
