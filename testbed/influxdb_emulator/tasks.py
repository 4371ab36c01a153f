"""Tasks (http TaskHandler over the kv TaskService and the authorizer's task validator).

Name, every, cron and offset come only from the script's `option task` record. Tasks are
stored, never run. The handler wraps service errors: "failed to decode request: ..." (400),
"failed to find task: ..." (always 404, permission failures included), "failed to update
task: ..." and "failed to delete task: ..." (the inner error's status).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import TypeVar
from urllib.parse import urlencode

from flux.options import Duration, TaskOptionError, read_task_options
from flux.syntax import FluxSyntaxError
from testbed.influxdb_emulator.api import Call, Reply, Route, typed
from testbed.influxdb_emulator.errors import INTERNAL, INVALID, NOT_FOUND, ApiError, or_not_found
from testbed.influxdb_emulator.flux_options import go_seconds, rewrite_options
from testbed.influxdb_emulator.ids import parse_id
from testbed.influxdb_emulator.model import STATUSES, Task, now_seconds
from testbed.influxdb_emulator.orgs import find_org
from testbed.influxdb_emulator.permissions import READ, WRITE

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500

T = TypeVar("T")


def _decoded(decode: Callable[[], T]) -> T:
    try:
        return decode()
    except ApiError as error:
        raise error.wrapped("failed to decode request", INVALID) from None


def apply_script(task: Task, script: str) -> None:
    """Take name and schedule from the script (kv createTask / updateTask)."""
    try:
        options = read_task_options(script)
    except TaskOptionError as error:
        raise ApiError(INVALID, f"invalid options: {error}") from None
    try:
        offset = go_seconds(options.offset) if options.offset else 0
    except ValueError as error:
        raise ApiError(INTERNAL, f"unexpected error parsing time: {error}") from None
    task.flux, task.name, task.cron = script, options.name, options.cron
    task.every = str(options.every) if options.every else ""
    task.offset_seconds = offset


def _task_json(call: Call, task: Task) -> dict:
    return task.to_json(call.store.orgs[task.org_id].name)


def _status(data: dict) -> str | None:
    status = typed(data, "status", str)
    if status and status not in STATUSES:
        raise ApiError(INVALID, f'invalid task status: "{status}"')
    return status


def post_task(call: Call) -> Reply:
    data = _decoded(call.json_object)
    flux, org_id, status = _decoded(lambda: _create_fields(data))
    if not org_id:
        org_id = or_not_found(call.store.org_named(data["org"]),
                              "could not identify organization: "
                              f'organization name "{data["org"]}" not found').id
    _permitted(call, WRITE, org_id, None, "failed to create task")
    find_org(call.store, org_id)
    task = Task(id=call.store.ids.next_id(), org_id=org_id, owner_id=call.auth.user_id,
                name="", flux="", status=status or "active",
                description=typed(data, "description", str, ""))
    apply_script(task, flux)
    call.store.tasks.add(task)
    return Reply(201, _task_json(call, task))


def _create_fields(data: dict) -> tuple[str, str | None, str | None]:
    flux = typed(data, "flux", str, "")
    org_id, org = typed(data, "orgID", str, ""), typed(data, "org", str, "")
    if not flux:
        raise ApiError(INVALID, "missing flux")
    if not org_id and not org:
        raise ApiError(INVALID, "missing orgID and org")
    return flux, parse_id(org_id) if org_id else None, _status(data)


def list_tasks(call: Call) -> Reply:
    filters = _decoded(lambda: _list_filters(call))
    limit = filters.pop("limit")
    found = call.store.tasks.by_id.values()
    if filters.get("orgID"):
        find_org(call.store, filters["orgID"])
        found = call.store.tasks.in_org(filters["orgID"])
    after = filters.get("after")
    if after and call.store.tasks.get(after) is None:
        # influxd's cursor steps past where the deleted task was: the next one is skipped too.
        after = next((task.id for task in found if task.id > after), after)
    wanted = (task for task in found
              if (not after or task.id > after)
              and (not filters.get("user") or task.owner_id == filters["user"])
              and (not call.arg("name") or task.name == call.arg("name"))
              and (call.arg("status") not in STATUSES or task.status == call.arg("status")))
    page = list(islice(wanted, limit))
    visible = [task for task in page if call.can(READ, "tasks", task.org_id, task.id)]
    params = {**{k: v for k, v in filters.items() if v}, "limit": str(limit)}
    links = {"self": f"/api/v2/tasks?{urlencode(sorted(params.items()))}"}
    if len(visible) >= limit:
        params["after"] = visible[limit - 1].id
        links["next"] = f"/api/v2/tasks?{urlencode(sorted(params.items()))}"
    return Reply(200, {"links": links, "tasks": [_task_json(call, t) for t in visible]})


def _list_filters(call: Call) -> dict:
    filters: dict = {key: parse_id(call.arg(key)) if call.arg(key) else ""
                     for key in ("after", "user", "orgID")}
    if call.arg("org"):
        org = call.store.org_named(call.arg("org"))
        if org is None:
            raise ApiError(INVALID, f"org {call.arg('org')} not found or unauthorized")
        filters["org"], filters["orgID"] = org.name, org.id
    limit = call.arg("limit") or str(DEFAULT_PAGE_SIZE)
    if not limit.lstrip("-").isdigit():
        raise ApiError(INVALID, f'strconv.Atoi: parsing "{limit}": invalid syntax')
    if not 1 <= int(limit) <= MAX_PAGE_SIZE:
        raise ApiError(INVALID, f"limit must be between 1 and {MAX_PAGE_SIZE}")
    filters["limit"] = int(limit)
    return filters


def _permitted(call: Call, action: str, org_id: str, task_id: str | None, failure: str) -> None:
    """The task service checks permissions itself: a denial (an inactive token's too) is a bare
    "unauthorized" error that the handler reports as 404 on a read, 500 on a write."""
    if not call.can(action, "tasks", org_id, task_id):
        raise ApiError(NOT_FOUND if action == READ else INTERNAL, f"{failure}: unauthorized")


def _found_task(call: Call, task_id: str, action: str, failure: str) -> Task:
    task = or_not_found(call.store.tasks.get(task_id), f"{failure}: task not found")
    _permitted(call, action, task.org_id, task.id, failure)
    return task


def get_task(call: Call) -> Reply:
    task_id = _decoded(call.path_id)
    return Reply(200, _task_json(call, _found_task(call, task_id, READ, "failed to find task")))


def patch_task(call: Call) -> Reply:
    task_id, update = _decoded(lambda: (call.path_id(), _task_update(call)))
    task = _found_task(call, task_id, WRITE, "failed to update task")
    try:
        _update(task, update)
    except ApiError as error:
        raise error.wrapped("failed to update task") from None
    task.updated = now_seconds()
    return Reply(200, _task_json(call, task))


def _task_update(call: Call) -> dict:
    """TaskUpdate as decoded and validated; its Validate is a switch, so only the first
    matching case counts (a non-zero every skips every later check)."""
    data = call.json_object()
    update = {key: typed(data, key, str) for key in ("flux", "status", "description", "name",
                                                    "cron")}
    for key in ("every", "offset"):
        text = typed(data, key, str)
        try:
            update[key] = Duration.parse(text) if text else None
        except ValueError as error:
            raise ApiError(INVALID, str(error)) from None
    every_given = update["every"] is not None and not update["every"].is_zero()
    offset_given = update["offset"] is not None and not update["offset"].is_zero()
    update["options_given"] = bool(update["name"] or update["cron"] or every_given
                                   or offset_given)
    if every_given and update["cron"]:
        raise ApiError(INVALID, "cannot specify both every and cron")
    if every_given:
        return update
    if offset_given:
        try:
            go_seconds(update["offset"])
        except ValueError as error:
            raise ApiError(INVALID, f"offset: {update['offset']}, {error} is invalid, "
                                    "the largest unit supported is h") from None
    elif update["flux"] is None and update["status"] is None and not update["options_given"]:
        raise ApiError(INVALID, "cannot update task without content")
    elif update["status"] is not None and update["status"] not in STATUSES:
        raise ApiError(INVALID, f'invalid task status: "{update["status"]}"')
    return update


def _update(task: Task, update: dict) -> None:
    if update["flux"] is not None or update["options_given"]:
        script = update["flux"] or ""
        if update["options_given"] or update["offset"] is not None:
            script = _rewritten(script or task.flux, update)
        apply_script(task, script)
    task.status = update["status"] or task.status
    if update["description"] is not None:
        task.description = update["description"]


def _rewritten(script: str, update: dict) -> str:
    try:
        return rewrite_options(script, name=update["name"] or "", every=update["every"],
                               cron=update["cron"] or "", offset=update["offset"])
    except FluxSyntaxError as error:
        raise ApiError(INVALID, str(error)) from None
    except ValueError as error:
        raise ApiError(INTERNAL, str(error)) from None


def delete_task(call: Call) -> Reply:
    task_id = _decoded(call.path_id)
    task = _found_task(call, task_id, WRITE, "failed to delete task")
    call.store.tasks.remove(task)
    return Reply(204)


ROUTES = [
    Route("GET", "/api/v2/tasks", list_tasks),
    Route("POST", "/api/v2/tasks", post_task),
    Route("GET", "/api/v2/tasks/{id}", get_task),
    Route("PATCH", "/api/v2/tasks/{id}", patch_task),
    Route("DELETE", "/api/v2/tasks/{id}", delete_task),
]
