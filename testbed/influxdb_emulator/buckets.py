"""Buckets: the tenant BucketService plus the storage engine's retention rules.

Listing cuts the page first and filters it by the caller's read permissions afterwards, so a
scoped token can get a short (even empty) page while more buckets exist.
"""

from __future__ import annotations

from itertools import islice

from testbed.influxdb_emulator import mappings
from testbed.influxdb_emulator.api import Call, Reply, Route, given, typed
from testbed.influxdb_emulator.errors import (
    CONFLICT,
    ID_BYTES,
    INTERNAL,
    INVALID,
    NOT_FOUND,
    UNPROCESSABLE,
    ApiError,
    check_index_key,
    or_not_found,
)
from testbed.influxdb_emulator.ids import parse_id
from testbed.influxdb_emulator.model import Bucket, now
from testbed.influxdb_emulator.paging import FindOptions, find_options, paging_links
from testbed.influxdb_emulator.permissions import READ, WRITE
from testbed.influxdb_emulator.store import Store

HOUR = 3600
DAY = 24 * HOUR


def default_shard_seconds(retention: int) -> int:
    """The shard-group duration the engine picks when none is given."""
    if retention == 0 or retention >= 180 * DAY:
        return 7 * DAY
    return DAY if retention >= 2 * DAY else HOUR


def check_retention(retention: int, shard: int, *, update: bool = False) -> None:
    """The engine's checks, reported as internal errors (500), not as 400s; except that an
    update's bucket service refuses a retention below the shard duration first (422)."""
    if retention and retention < HOUR:
        raise ApiError(INTERNAL, "retention policy duration must be at least 1h0m0s")
    if retention and retention < shard and update:
        raise ApiError(UNPROCESSABLE, "shard-group duration must also be updated to be smaller "
                                      "than new retention duration")
    if retention and retention < shard:
        raise ApiError(INTERNAL,
                       "retention policy duration must be greater than the shard duration")


def check_name(name: str, kind: str) -> None:
    if name.startswith("_") and kind != "system":
        raise ApiError(INVALID, f"bucket name {name} is invalid. "
                                "Buckets may not start with underscore")
    if '"' in name:
        raise ApiError(INVALID, f"bucket name {name} is invalid. "
                                "Bucket names may not include quotation marks")


def _check_name_key(name: str) -> None:
    check_index_key(ID_BYTES + len(name.encode()))  # the name index: org ID, then the name


def create_bucket(store: Store, org_id: str, name: str, retention: int, *, shard: int = 0,
                  kind: str = "user", description: str = "", rp: str = "") -> Bucket:
    check_name(name, kind)
    if org_id not in store.orgs:
        raise ApiError(NOT_FOUND, "organization not found")
    if name in store.bucket_names[org_id].ids:
        raise ApiError(CONFLICT, f"bucket with name {name} already exists")
    _check_name_key(name)
    shard = shard or default_shard_seconds(retention)
    check_retention(retention, shard)
    bucket = Bucket(id=store.ids.next_id(), org_id=org_id, name=name,
                    retention_seconds=retention, shard_seconds=shard, type=kind,
                    description=description, rp=rp)
    store.add_bucket(bucket)
    return bucket


def delete_bucket(store: Store, bucket: Bucket) -> None:
    mappings.remove_bucket_mappings(store, bucket)
    store.remove_bucket(bucket)


def find_bucket(store: Store, bucket_id: str) -> Bucket:
    return or_not_found(store.buckets.get(bucket_id), "bucket not found")


def _retention_rule(data: dict) -> dict:
    rules = typed(data, "retentionRules", list) or []
    if len(rules) > 1:
        raise ApiError(UNPROCESSABLE,
                       "buckets cannot have more than one retention rule at this time")
    rule = rules[0] if rules else {}
    if not isinstance(rule, dict):
        raise ApiError(INVALID, "invalid json structure")
    if (typed(rule, "everySeconds", int) or 0) < 0:
        raise ApiError(UNPROCESSABLE, "expiration seconds cannot be negative")
    if (typed(rule, "shardGroupDurationSeconds", int) or 0) < 0:
        raise ApiError(UNPROCESSABLE, "shard-group duration seconds cannot be negative")
    return rule


def post_bucket(call: Call) -> Reply:
    data = call.json_object()
    org_id = typed(data, "orgID", str, "")
    if not org_id:  # the body has no `org` name field: only orgID identifies the org
        raise ApiError(INVALID, "organization id must be provided")
    org_id = parse_id(org_id)
    rule = _retention_rule(data)
    call.require(WRITE, "buckets", org_id)
    bucket = create_bucket(
        call.store, org_id, typed(data, "name", str, ""), rule.get("everySeconds") or 0,
        shard=rule.get("shardGroupDurationSeconds") or 0,
        description=typed(data, "description", str, ""), rp=typed(data, "rp", str, ""))
    return Reply(201, bucket.to_json())


def _read_permission(bucket: Bucket) -> tuple[str, str, str | None, str]:
    """What reading a bucket takes: a system bucket is read with read on its org."""
    if bucket.type == "system":
        return READ, "orgs", None, bucket.org_id
    return READ, "buckets", bucket.org_id, bucket.id


def get_bucket(call: Call) -> Reply:
    bucket = find_bucket(call.store, call.path_id())
    call.require(*_read_permission(bucket))
    return Reply(200, bucket.to_json())


def patch_bucket(call: Call) -> Reply:
    bucket_id = call.path_id()
    data = call.json_object()
    rule = _retention_rule(data)
    bucket = find_bucket(call.store, bucket_id)
    call.require(WRITE, "buckets", bucket.org_id, bucket.id)
    retention = given(rule.get("everySeconds"), bucket.retention_seconds)
    shard = given(rule.get("shardGroupDurationSeconds"), bucket.shard_seconds)
    check_retention(retention, shard, update=True)
    name = typed(data, "name", str)
    if name is not None and name != bucket.name:
        _rename(call.store, bucket, name)
    bucket.retention_seconds, bucket.shard_seconds = retention, shard
    bucket.description = typed(data, "description", str, bucket.description)
    bucket.updated = now()
    return Reply(200, bucket.to_json())


def _rename(store: Store, bucket: Bucket, name: str) -> None:
    if bucket.type == "system":
        raise ApiError(INVALID, "system buckets cannot be renamed")
    check_name(name, bucket.type)
    if name in store.bucket_names[bucket.org_id].ids:
        raise ApiError(CONFLICT, "bucket name is not unique")
    _check_name_key(name)
    store.remove_bucket(bucket)
    bucket.name = name
    store.add_bucket(bucket)


def delete_bucket_route(call: Call) -> Reply:
    bucket = find_bucket(call.store, call.path_id())
    call.require(WRITE, "buckets", bucket.org_id, bucket.id)
    if bucket.type == "system":
        raise ApiError(INVALID, "system buckets cannot be deleted")
    delete_bucket(call.store, bucket)
    return Reply(204)


def list_buckets(call: Call) -> Reply:
    options = find_options(call)
    filters = {key: call.arg(key) for key in ("id", "name", "orgID", "org")}
    page = _page(call, options, filters)
    visible = [b.to_json() for b in page if call.can(*_read_permission(b))]
    links = paging_links("/api/v2/buckets", filters, options, len(visible))
    return Reply(200, {"links": links, "buckets": visible})


def _page(call: Call, options: FindOptions, filters: dict[str, str]) -> list[Bucket]:
    store = call.store
    if filters["id"]:
        return [find_bucket(store, parse_id(filters["id"]))]
    org_id = parse_id(filters["orgID"]) if filters["orgID"] else None
    if org_id is None and filters["org"]:
        org_id = or_not_found(store.org_named(filters["org"]),
                              f'organization name "{filters["org"]}" not found').id
    if org_id and filters["name"]:
        bucket_id = or_not_found(store.bucket_names[org_id].ids.get(filters["name"]),
                                 f'bucket "{filters["name"]}" not found')
        return [store.buckets.by_id[bucket_id]]
    if org_id:
        return _page_by_name(store, org_id, options)
    return _page_by_id(store, options, filters["name"])


def _page_by_name(store: Store, org_id: str, options: FindOptions) -> list[Bucket]:
    """An org's buckets in name order. `after` skips up to that bucket in this order (the
    offset is counted first), so an ID that is not one of the org's buckets gives nothing."""
    names = store.bucket_names[org_id]
    start = options.offset
    if options.after:
        after = store.buckets.get(options.after)
        if after is None or after.org_id != org_id or names.position(after) < start:
            return []
        start = names.position(after) + 1
    ids = islice(names.ordered_ids(start), options.limit)
    return [store.buckets.by_id[bucket_id] for bucket_id in ids]


def _page_by_id(store: Store, options: FindOptions, name: str) -> list[Bucket]:
    """Every org's buckets in ID order; a name filter is applied while the page fills."""
    found = list(store.buckets.by_id.values())
    if options.descending:
        found.reverse()
    if options.after:
        # The kv cursor seeks to after+1, and a descending cursor walks down from there.
        seek = f"{int(options.after, 16) + 1:016x}"
        found = [b for b in found if (b.id <= seek if options.descending else b.id >= seek)]
    found = found[options.offset:]
    return list(islice((b for b in found if not name or b.name == name), options.limit))


ROUTES = [
    Route("GET", "/api/v2/buckets", list_buckets),
    Route("POST", "/api/v2/buckets", post_bucket),
    Route("GET", "/api/v2/buckets/{id}", get_bucket),
    Route("PATCH", "/api/v2/buckets/{id}", patch_bucket),
    Route("DELETE", "/api/v2/buckets/{id}", delete_bucket_route),
]
