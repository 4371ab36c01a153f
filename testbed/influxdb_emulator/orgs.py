"""Organizations: list, look up, create (with their system buckets), delete with everything
they own (tenant OrganizationService; the org is checked as `orgs/<id>` inside itself)."""

from __future__ import annotations

from itertools import islice

from testbed.influxdb_emulator import buckets
from testbed.influxdb_emulator.api import Call, Reply, Route, typed
from testbed.influxdb_emulator.errors import CONFLICT, INVALID, NOT_FOUND, ApiError, or_not_found
from testbed.influxdb_emulator.ids import parse_id
from testbed.influxdb_emulator.model import Org, now
from testbed.influxdb_emulator.paging import FindOptions, find_options
from testbed.influxdb_emulator.permissions import READ, WRITE
from testbed.influxdb_emulator.store import Store

# The buckets InfluxDB creates in every new org, with their retention in seconds.
SYSTEM_BUCKETS = (("_tasks", 3 * 86400, "System bucket for task logs"),
                  ("_monitoring", 7 * 86400, "System bucket for monitoring logs"))


def create_org(store: Store, name: str, description: str = "") -> Org:
    if not name:
        raise ApiError(INVALID, "org name is empty")
    if store.org_named(name):
        raise ApiError(CONFLICT, f"organization with name {name} already exists")
    org = Org(id=store.ids.next_id(), name=name, description=description)
    store.orgs[org.id] = org
    for bucket_name, retention, bucket_description in SYSTEM_BUCKETS:
        buckets.create_bucket(store, org.id, bucket_name, retention, kind="system",
                              description=bucket_description)
    return org


def find_org(store: Store, org_id: str) -> Org:
    return or_not_found(store.orgs.get(org_id), "organization not found")


def org_by_name(store: Store, name: str) -> Org:
    return or_not_found(store.org_named(name), f'organization name "{name}" not found')


def delete_org(store: Store, org: Org) -> None:
    """The org and what it owns: buckets (with their mappings), tasks, tokens, secrets,
    dashboards and variables."""
    for bucket in list(store.buckets.in_org(org.id)):
        buckets.delete_bucket(store, bucket)
    for mapping in list(store.mappings.in_org(org.id)):
        store.remove_mapping(mapping)
    store.default_mappings = {key: value for key, value in store.default_mappings.items()
                              if key[0] != org.id}
    for task in list(store.tasks.in_org(org.id)):
        store.tasks.remove(task)
    for auth in list(store.authorizations.in_org(org.id)):
        store.remove_authorization(auth)
    store.secrets.pop(org.id, None)
    for collection in (store.dashboards, store.variables):
        for item in list(collection.in_org(org.id)):
            collection.remove(item)
    del store.orgs[org.id]


def _can_read(call: Call, org: Org) -> bool:
    return call.can(READ, "orgs", org.id, org.id)


def list_orgs(call: Call) -> Reply:
    options = find_options(call)
    if call.arg("org"):
        found = [org_by_name(call.store, call.arg("org"))]
    elif _valid_id(call.arg("orgID")):
        found = [find_org(call.store, parse_id(call.arg("orgID")))]
    else:
        found = _page_by_id(call.store, options)
    visible = [org.to_json() for org in found if _can_read(call, org)]
    return Reply(200, {"links": {"self": "/api/v2/orgs"}, "orgs": visible})


def _valid_id(text: str) -> bool:
    """The handler ignores an orgID it cannot decode."""
    try:
        parse_id(text)
    except ApiError:
        return False
    return True


def _page_by_id(store: Store, options: FindOptions) -> list[Org]:
    orgs = list(store.orgs.values())
    if options.descending:
        orgs.reverse()
    if options.after:
        after = options.after
        orgs = [org for org in orgs if (org.id < after if options.descending else org.id > after)]
    return list(islice(orgs, options.offset, options.offset + options.limit))


def post_org(call: Call) -> Reply:
    data = call.json_object()
    call.require(WRITE, "orgs")
    org = create_org(call.store, typed(data, "name", str, ""), typed(data, "description", str, ""))
    return Reply(201, org.to_json())


def get_org(call: Call) -> Reply:
    org = find_org(call.store, call.path_id())
    call.require(READ, "orgs", org.id, org.id)
    return Reply(200, org.to_json())


def patch_org(call: Call) -> Reply:
    org_id = call.path_id()
    data = call.json_object()
    org = find_org(call.store, org_id)
    call.require(WRITE, "orgs", org.id, org.id)
    name = typed(data, "name", str)
    if name and name != org.name:
        if call.store.org_named(name):
            raise ApiError(CONFLICT, f"organization with name {name} already exists")
        org.name = name
    org.description = typed(data, "description", str, org.description)
    org.updated = now()
    return Reply(200, org.to_json())


def delete_org_route(call: Call) -> Reply:
    org = find_org(call.store, call.path_id())
    call.require(WRITE, "orgs", org.id, org.id)
    delete_org(call.store, org)
    return Reply(204)


def readable_org(call: Call, org_id: str) -> Org:
    """The org of a nested route (secrets): missing or unreadable is a 404 (ValidResource)."""
    org = call.store.orgs.get(parse_id(org_id))
    if org is None or not _can_read(call, org):
        raise ApiError(NOT_FOUND, "organization not found")
    return org


ROUTES = [
    Route("GET", "/api/v2/orgs", list_orgs),
    Route("POST", "/api/v2/orgs", post_org),
    Route("GET", "/api/v2/orgs/{id}", get_org),
    Route("PATCH", "/api/v2/orgs/{id}", patch_org),
    Route("DELETE", "/api/v2/orgs/{id}", delete_org_route),
]
