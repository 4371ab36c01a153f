"""What the provider tests share: a configured provider host, and the resource kinds described
well enough for one test to drive any of them.

Each `Kind` knows the inputs of a valid object (creating the bucket a mapping needs), an update
the provider applies in place, a change that forces a replacement, how to make a look-alike by
hand with the operator token, and how to see the server's object in input terms.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pulumi.dynamic import ResourceProvider

from providers.authorization import AuthorizationTokenProvider
from providers.bucket import BucketProvider
from providers.dashboard import DashboardProvider
from providers.dbrp import DbrpProvider
from providers.marks import marked, unmarked
from providers.task import TaskProvider
from providers.variable import VariableProvider
from testbed.engine.provider_host import ProviderHost, is_secret, secret
from testbed.influx.seed import add_bucket
from testbed.influx.server import InfluxOrg, InfluxServer

OTHER_ID = "0123456789abcdef"  # a well-formed ID that is not this org's
STACK = "provider-tests/it"  # the stack whose mark the inputs carry


@contextmanager
def provider_host(server: InfluxServer, token: str | None = None, url: str | None = None,
                  timeout: float | None = None) -> Iterator[ProviderHost]:
    """A fresh provider host (so a fresh listing cache) configured as a stack would be
    (`timeout`: influxdb:timeout, when not the default)."""
    with ProviderHost(env={"INFLUXDB_URL": "", "INFLUXDB_TOKEN": "", "INFLUXDB_ORG": "",
                           "INFLUXDB_TIMEOUT": ""}) as host:
        host.configure({"influxdb:url": url or server.url, "influxdb:org": server.org,
                        "influxdb:token": secret(token or server.token),
                        **({"influxdb:timeout": str(timeout)} if timeout else {})})
        yield host


def check_and_create(host: ProviderHost, kind: Kind, inputs: dict) -> tuple[str, dict, dict]:
    """Check and create, as `pulumi up` does for a new resource: (id, outputs, checked inputs)."""
    checked, failures = host.check(kind.provider, kind.type_name, "it", {}, inputs)
    assert failures == []
    # The engine keeps an input's secretness through check; the harness returns plain values.
    marked = {key: inputs[key] if is_secret(inputs.get(key)) else value
              for key, value in checked.items()}
    id_, outs = host.create(kind.provider, kind.type_name, "it", marked)
    return id_, outs, checked


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def task_flux(name: str, every: str = "1h") -> str:
    return (f'option task = {{name: "{name}", every: {every}}}\n\n'
            'from(bucket: "app")\n    |> range(start: -task.every)\n')


def create_bucket(org: InfluxOrg, name: str | None = None) -> dict:
    return add_bucket(org, name or unique("app"))


@dataclass(frozen=True, eq=False)  # compared and hashed by identity
class Kind:
    """One resource type, as the generic provider tests drive it."""

    name: str
    provider: ResourceProvider
    path: str  # the API collection
    listed_as: str  # the key of the list in a listing answer
    inputs: Callable[[InfluxOrg], dict]
    in_place: Callable[[dict], dict]  # new inputs updated in place
    replacing: Callable[[dict], dict]  # new inputs that force a replacement
    by_hand: Callable[[dict], dict]  # a POST body for a look-alike, different in place
    hand_edit: dict  # a PATCH body someone might send from the UI
    observe: Callable[[dict], dict]  # the server object, as inputs (the updatable ones)
    org_in_every_call: bool = False  # DBRP calls name the org even with an object ID
    read_params: dict | None = None  # what a GET of one object adds to see all of it
    listing_is_whole: bool = True  # False: the listing lacks what refresh compares

    def __str__(self) -> str:
        return self.name

    @property
    def type_name(self) -> str:
        return f"pulumi-python:dynamic/influxdb:{self.name}"

    def org_params(self, org: InfluxOrg) -> dict:
        return {"orgID": org.id} if self.org_in_every_call else {}

    def fetch(self, org: InfluxOrg, id_: str) -> dict | None:
        """The object as the server has it, None when it is gone."""
        response = org.server.api("GET", f"{self.path}/{id_}",
                                  params={**self.org_params(org), **(self.read_params or {})})
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json().get("content", response.json())

    def listed(self, org: InfluxOrg) -> list[dict]:
        response = org.server.api("GET", self.path, params={"orgID": org.id})
        response.raise_for_status()
        return response.json()[self.listed_as]

    def make_by_hand(self, org: InfluxOrg, inputs: dict) -> dict:
        response = org.server.api("POST", self.path, json=self.by_hand(inputs))
        response.raise_for_status()
        return response.json()


def _bucket_inputs(org: InfluxOrg) -> dict:
    return {"org_id": org.id, "name": unique("app"), "retention_seconds": 3600,
            "description": marked("an app", STACK)}


def _bucket_seen(bucket: dict) -> dict:
    return {"retention_seconds": bucket["retentionRules"][0]["everySeconds"],
            "description": bucket.get("description", ""), "name": bucket["name"]}


def _mapping_inputs(org: InfluxOrg) -> dict:
    bucket = create_bucket(org)
    return {"org_id": org.id, "bucket_id": bucket["id"], "bucket_name": bucket["name"],
            "database": bucket["name"], "retention_policy": "autogen", "default": True}


def _permissions(org: InfluxOrg | str, action: str = "read") -> list[dict]:
    org_id = org if isinstance(org, str) else org.id
    return [{"action": action, "resource": {"type": "buckets", "orgID": org_id}}]


def _token_inputs(org: InfluxOrg) -> dict:
    return {"org_id": org.id, "description": marked(unique("token"), STACK),
            "permissions": _permissions(org),
            "status": "active"}


def _task_inputs(org: InfluxOrg) -> dict:
    name = unique("task")
    return {"org_id": org.id, "name": name, "flux": task_flux(name), "status": "active",
            "description": marked("a task", STACK)}


BUCKET = Kind(
    "Bucket", BucketProvider(), "/api/v2/buckets", "buckets", _bucket_inputs,
    in_place=lambda inputs: {**inputs, "retention_seconds": 7200,
                             "description": marked("longer", STACK)},
    replacing=lambda inputs: {**inputs, "name": unique("renamed")},
    by_hand=lambda inputs: {"orgID": inputs["org_id"], "name": inputs["name"],
                            "retentionRules": [{"type": "expire", "everySeconds": 0}]},
    hand_edit={"description": "edited by hand"},
    observe=_bucket_seen,
)
DBRP = Kind(
    "Dbrp", DbrpProvider(), "/api/v2/dbrps", "content", _mapping_inputs,
    in_place=lambda inputs: {**inputs, "retention_policy": "1h"},
    replacing=lambda inputs: {**inputs, "database": unique("db")},
    by_hand=lambda inputs: {"orgID": inputs["org_id"], "bucketID": inputs["bucket_id"],
                            "database": inputs["database"],
                            "retention_policy": inputs["retention_policy"], "default": False},
    hand_edit={"retention_policy": "by_hand"},
    observe=lambda mapping: {key: mapping[key] for key in ("retention_policy", "default")},
    org_in_every_call=True,
)
TOKEN = Kind(
    "AuthorizationToken", AuthorizationTokenProvider(), "/api/v2/authorizations",
    "authorizations", _token_inputs,
    in_place=lambda inputs: {**inputs, "status": "inactive",
                             "description": marked(unique("renamed"), STACK)},
    replacing=lambda inputs: {**inputs, "permissions": _permissions(inputs["org_id"], "write")},
    by_hand=lambda inputs: {"orgID": inputs["org_id"],
                            "description": unmarked(inputs["description"]),
                            "permissions": inputs["permissions"], "status": "inactive"},
    hand_edit={"status": "inactive"},
    observe=lambda token: {key: token.get(key, "") for key in ("status", "description")},
)
TASK = Kind(
    "Task", TaskProvider(), "/api/v2/tasks", "tasks", _task_inputs,
    in_place=lambda inputs: {**inputs, "flux": task_flux(inputs["name"], "2h"),
                             "status": "inactive", "description": marked("slower", STACK)},
    replacing=lambda inputs: {**inputs, "org_id": OTHER_ID},
    by_hand=lambda inputs: {"orgID": inputs["org_id"], "flux": task_flux(inputs["name"], "5m"),
                            "description": "made by hand"},
    hand_edit={"status": "inactive", "description": "edited in the UI"},
    observe=lambda task: {key: task.get(key, "") for key in ("flux", "status", "description")},
)


def dashboard_cell(name: str, flux: str, x: int = 0) -> dict:
    """A cell of a line graph of one query, declared with only its type and query text."""
    return {"name": name, "x": x, "y": 0, "w": 6, "h": 4,
            "properties": {"shape": "chronograf-v2", "type": "xy", "queries": [{"text": flux}]}}


def _dashboard_inputs(org: InfluxOrg) -> dict:
    return {"org_id": org.id, "name": unique("dashboard"),
            "description": marked("a dashboard", STACK),
            "cells": [dashboard_cell("first", 'from(bucket: "app") |> range(start: -1h)')]}


def _dashboard_seen(dashboard: dict) -> dict:
    return {"description": dashboard.get("description", ""), "cells": [
        {"name": cell.get("name"), **{key: cell[key] for key in ("x", "y", "w", "h")},
         "properties": {"shape": cell["properties"]["shape"], "type": cell["properties"]["type"],
                        "queries": [
             {"text": query["text"]} for query in cell["properties"]["queries"]]}}
        for cell in dashboard["cells"]]}


def _variable_inputs(org: InfluxOrg) -> dict:
    return {"org_id": org.id, "name": f"var_{uuid.uuid4().hex[:8]}",
            "query": 'buckets() |> rename(columns: {name: "_value"})',
            "description": marked("a variable", STACK)}


DASHBOARD = Kind(
    "Dashboard", DashboardProvider(), "/api/v2/dashboards", "dashboards", _dashboard_inputs,
    in_place=lambda inputs: {**inputs, "description": marked("two cells", STACK), "cells": [
        dashboard_cell("first", 'from(bucket: "other") |> range(start: -2h)'),
        dashboard_cell("second", 'from(bucket: "app") |> range(start: -1d)', x=6)]},
    replacing=lambda inputs: {**inputs, "org_id": OTHER_ID},
    by_hand=lambda inputs: {"orgID": inputs["org_id"], "name": inputs["name"],
                            "description": "made by hand", "cells": []},
    hand_edit={"description": "edited in the UI"},
    observe=_dashboard_seen,
    read_params={"include": "properties"},
    listing_is_whole=False,
)
VARIABLE = Kind(
    "Variable", VariableProvider(), "/api/v2/variables", "variables", _variable_inputs,
    in_place=lambda inputs: {**inputs, "query": 'buckets() |> rename(columns: {id: "_value"})',
                             "description": marked("the IDs", STACK)},
    replacing=lambda inputs: {**inputs, "org_id": OTHER_ID},
    by_hand=lambda inputs: {"orgID": inputs["org_id"], "name": inputs["name"],
                            "description": "made by hand",
                            "arguments": {"type": "constant", "values": ["a", "b"]}},
    hand_edit={"description": "edited in the UI"},
    observe=lambda variable: {"description": variable.get("description", ""),
                              "query": variable["arguments"]["values"].get("query")},
)
KINDS = [BUCKET, DBRP, TOKEN, TASK, DASHBOARD, VARIABLE]

