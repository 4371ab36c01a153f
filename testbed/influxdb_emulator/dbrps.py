"""DBRP mappings (dbrp.Handler and AuthorizedService).

Every call names its org (`org` or `orgID`, in the query or for POST in the body). The
permissions checked are bucket permissions: read on the bucket to see a mapping, write on it to
create, change or delete one. POST answers the bare mapping; GET and PATCH wrap it in `content`.
"""

from __future__ import annotations

from testbed.influxdb_emulator import mappings
from testbed.influxdb_emulator.api import Call, Reply, Route, given, parse_bool, typed
from testbed.influxdb_emulator.buckets import find_bucket
from testbed.influxdb_emulator.errors import (
    CONFLICT,
    ID_BYTES,
    INVALID,
    NOT_FOUND,
    ApiError,
    check_index_key,
    or_not_found,
)
from testbed.influxdb_emulator.ids import parse_id
from testbed.influxdb_emulator.model import Mapping
from testbed.influxdb_emulator.permissions import READ, WRITE
from testbed.influxdb_emulator.store import Store

NOT_FOUND_MESSAGE = "unable to find DBRP"


def _org_id(call: Call, org_id: str, org_name: str) -> str:
    if org_id:
        try:
            return parse_id(org_id)
        except ApiError as error:
            raise error.wrapped(f'invalid org ID "{org_id}"') from None
    if not org_name:
        raise ApiError(INVALID, "either 'org' or 'orgID' must be provided")
    return or_not_found(call.store.org_named(org_name),
                        f'invalid org "{org_name}": organization not found').id


def _query_org_id(call: Call) -> str:
    return _org_id(call, call.arg("orgID"), call.arg("org"))


def _query_id(call: Call, name: str, label: str) -> str | None:
    if not call.arg(name):
        return None
    try:
        return parse_id(call.arg(name))
    except ApiError as error:
        raise error.wrapped(f'invalid {label} ID "{call.arg(name)}"') from None


def _valid_name(name: str) -> bool:
    # influxdb's meta.ValidName: every rune unicode.IsPrint, which is Python's isprintable
    # (no control or format characters, no space but ' ').
    return name.isprintable() and name not in ("", ".", "..") and not any(c in name for c in "/\\")


def _check_names(database: str, retention_policy: str) -> None:
    rules = "must contain at least one character and only be letters, numbers, '_', '-', and '.'"
    if not _valid_name(database):
        raise ApiError(INVALID, f"DBRP provided is invalid: database {rules}")
    if not _valid_name(retention_policy):
        raise ApiError(INVALID, f"DBRP provided is invalid: retentionPolicy {rules}")


def _conflict_check(store: Store, mapping: Mapping, retention_policy: str) -> None:
    for other in store.mappings_of_database[(mapping.org_id, mapping.database)].values():
        if other.id != mapping.id and other.retention_policy == retention_policy:
            raise ApiError(CONFLICT, "another DBRP mapping with same orgID, db, and rp exists")


def find_mapping(store: Store, org_id: str, mapping_id: str) -> tuple[Mapping, bool]:
    """A stored mapping of the org, else the virtual mapping of the bucket with that ID."""
    mapping = store.mappings.get(mapping_id)
    if mapping is not None and mapping.org_id == org_id:
        return mapping, mappings.is_default(store, mapping)
    bucket = store.buckets.get(mapping_id)
    if bucket is None or bucket.org_id != org_id:
        raise ApiError(NOT_FOUND, NOT_FOUND_MESSAGE)
    virtual, default = mappings.virtual_mapping(bucket)
    return virtual, default and (org_id, virtual.database) not in store.default_mappings


def post_dbrp(call: Call) -> Reply:
    data = call.json_object()
    org_id = _org_id(call, typed(data, "orgID", str, ""), typed(data, "org", str, ""))
    raw_bucket_id = typed(data, "bucketID", str, "")
    try:
        bucket_id = parse_id(raw_bucket_id)
    except ApiError as error:
        raise error.wrapped(f'invalid bucket ID "{raw_bucket_id}"') from None
    database = typed(data, "database", str, "")
    retention_policy = typed(data, "retention_policy", str, "")
    call.require(READ, "buckets", org_id, bucket_id)  # influxd finds the bucket first
    call.require(WRITE, "buckets", org_id, bucket_id)
    _check_names(database, retention_policy)
    find_bucket(call.store, bucket_id)
    mapping = Mapping(id=call.store.ids.next_id(), org_id=org_id, bucket_id=bucket_id,
                      database=database, retention_policy=retention_policy)
    _conflict_check(call.store, mapping, retention_policy)
    # The index by database: org ID, database, '/', mapping ID.
    check_index_key(ID_BYTES + len(database.encode()) + 1 + ID_BYTES)
    mappings.add_mapping(call.store, mapping, bool(typed(data, "default", bool, False)))
    return Reply(201, mapping.to_json(mappings.is_default(call.store, mapping)))


def list_dbrps(call: Call) -> Reply:
    org_id = _query_org_id(call)
    wanted = {"id": _query_id(call, "id", "DBRP"),
              "bucket_id": _query_id(call, "bucketID", "bucket"),
              "database": call.arg("db") or None, "retention_policy": call.arg("rp") or None}
    try:
        default = parse_bool(call.arg("default")) if call.arg("default") else None
    except ValueError:
        raise ApiError(INVALID, "invalid default parameter") from None
    content = []
    for mapping, is_default in mappings.listed_mappings(call.store, org_id):
        matches = all(value is None or getattr(mapping, key) == value
                      for key, value in wanted.items())
        # With a default filter a virtual mapping shows only as a default one.
        matches = matches and default in (None, is_default) and not (
            mapping.virtual and default is False)
        if matches and call.can(READ, "buckets", org_id, mapping.bucket_id):
            content.append(mapping.to_json(is_default))
    return Reply(200, {"content": content})


def get_dbrp(call: Call) -> Reply:
    mapping_id = call.path_id()
    org_id = _query_org_id(call)
    mapping, default = find_mapping(call.store, org_id, mapping_id)
    call.require(READ, "buckets", org_id, mapping.bucket_id)
    return Reply(200, {"content": mapping.to_json(default)})


def patch_dbrp(call: Call) -> Reply:
    mapping_id = call.path_id()
    org_id = _query_org_id(call)
    mapping, default = find_mapping(call.store, org_id, mapping_id)
    call.require(READ, "buckets", org_id, mapping.bucket_id)
    data = call.json_object()
    new_default = typed(data, "default", bool)
    retention_policy = typed(data, "retention_policy", str, mapping.retention_policy)
    call.require(WRITE, "buckets", org_id, mapping.bucket_id)
    _check_names(mapping.database, retention_policy)
    if mapping.virtual:
        # Virtual mappings are derived from buckets: the answer shows the change, nothing keeps it.
        changed = Mapping(**{**vars(mapping), "retention_policy": retention_policy})
        return Reply(200, {"content": changed.to_json(given(new_default, default))})
    _conflict_check(call.store, mapping, retention_policy)
    mapping.retention_policy = retention_policy
    if new_default is not None:
        mappings.set_default(call.store, mapping, new_default)
    # The answer shows the default asked for, even where the server kept the mapping the
    # default (the only mapping of its database).
    shown = given(new_default, mappings.is_default(call.store, mapping))
    return Reply(200, {"content": mapping.to_json(shown)})


def delete_dbrp(call: Call) -> Reply:
    mapping_id = call.path_id()
    org_id = _query_org_id(call)
    mapping, _ = find_mapping(call.store, org_id, mapping_id)
    call.require(WRITE, "buckets", org_id, mapping.bucket_id)
    if not mapping.virtual:  # deleting a virtual mapping succeeds and changes nothing
        mappings.remove_mapping(call.store, mapping)
    return Reply(204)


ROUTES = [
    Route("GET", "/api/v2/dbrps", list_dbrps),
    Route("POST", "/api/v2/dbrps", post_dbrp),
    Route("GET", "/api/v2/dbrps/{id}", get_dbrp),
    Route("PATCH", "/api/v2/dbrps/{id}", patch_dbrp),
    Route("DELETE", "/api/v2/dbrps/{id}", delete_dbrp),
]
