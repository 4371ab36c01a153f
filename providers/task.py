"""InfluxDB tasks as a Pulumi dynamic resource (`pulumi-python:dynamic/influxdb:Task`).

A task is known by its name within its org; its name and schedule live in the Flux script's
`option task = {...}` block, which check() verifies against the `name` input. `create` adopts a
task with the same name (this stack's, else an unmarked one, the oldest with a warning if several
share it: the server does not keep names unique; never one another stack's mark claims),
PATCHing its flux, status and description, and deletes this stack's other tasks of that name
(duplicates left by a create whose answer came too late). Updates send only those three
fields, never name/every/offset, which would make the server rewrite and reformat the script and
so cause a diff on every run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from pulumi import Input, Output, ResourceOptions
from pulumi.dynamic import CheckFailure, CreateResult, Resource

from flux.options import script_problem
from providers.base import InfluxProvider, secret_token, with_secret_outputs
from providers.client import InfluxClient
from providers.inputs import all_of, failures, flux_script, influx_id, name, status, text
from providers.listing import Loader

PATH = "/api/v2/tasks"
EDITABLE = ("flux", "status", "description")


# Schema and check.
RULES = {
    "org_id": influx_id,
    "name": name,
    "flux": all_of(text, flux_script),
    "status": status,
    "description": text,
}


class TaskProvider(InfluxProvider):
    path = PATH
    replace_keys = ("org_id",)
    update_keys = ("name", *EDITABLE)
    defaults: ClassVar[dict[str, Any]] = {"status": "active", "description": ""}

    def failures(self, inputs: dict[str, Any]) -> Iterable[CheckFailure]:
        found = list(failures(inputs, RULES))
        yield from found
        flux, wanted = inputs.get("flux"), inputs.get("name")
        if isinstance(flux, str) and not any(failure.property == "flux" for failure in found):
            # The record read as influxd reads it, so what passes here is what the server takes.
            problem = script_problem(flux, wanted if isinstance(wanted, str) else None)
            if problem:
                yield CheckFailure("flux", f"flux {problem}")

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client(props)
        return self.create_once(
            client, props,
            adopt=lambda existing: self.patch(client, existing["id"], existing, props) or existing,
            create=lambda: client.post(PATH, {"orgID": props["org_id"], **{
                key: props[key] for key in EDITABLE}}),
        )

    # The hooks behind create, read, update and delete.
    def same_identity(self, found: dict, props: dict[str, Any]) -> bool:
        return found["name"] == props["name"]

    def loader(self, client: InfluxClient) -> Loader:
        return client.list_tasks

    def patch(self, client: InfluxClient, id_: str, current: dict[str, Any],
              desired: dict[str, Any]) -> dict | None:
        """PATCH the flux, status and description where they differ; None when none does."""
        body = {key: desired[key] for key in EDITABLE if (current.get(key) or "") != desired[key]}
        if not body:
            return None
        # The server refuses an update without flux, status or options ("cannot update task
        # without content"), so a description change carries the status along.
        return client.patch(f"{PATH}/{id_}", {"status": desired["status"], **body})

    def outputs(self, task: dict, _props: dict[str, Any]) -> dict[str, Any]:
        return {
            "org_id": task["orgID"],
            "name": task["name"],
            "flux": task["flux"],
            "status": task["status"],
            "description": task.get("description") or "",
            "every": task.get("every") or "",
            "offset": task.get("offset") or "",
            "owner_id": task.get("ownerID") or "",
        }


class Task(Resource, module="influxdb", name="Task"):
    """A Flux task; its name and schedule come from the script's `option task` block.

    The schedule and owner InfluxDB reports are kept in the state (`every`, `offset`,
    `owner_id`) but not exposed as outputs: nothing reads them, and the SDK's bookkeeping of an
    output is paid for each of the thousands of tasks of a large org.
    """

    org_id: Output[str]
    name: Output[str]
    flux: Output[str]
    status: Output[str]
    description: Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        org_id: Input[str],
        name: Input[str],
        flux: Input[str],
        status: Input[str] = "active",
        description: Input[str] = "",
        token: Input[str] | None = None,
        opts: ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            TaskProvider(), resource_name,
            {"org_id": org_id, "name": name, "flux": flux, "status": status,
             "description": description, **secret_token(token)},
            with_secret_outputs(opts, "token"),
        )
