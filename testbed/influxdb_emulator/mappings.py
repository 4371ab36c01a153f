"""DBRP mapping rules: one default per org and database, kept by the store.

dbrp.Service: the first mapping of a database becomes its default whatever the client asked;
a new or updated mapping with default true takes the default over; unsetting or deleting the
default hands it to the first other mapping of the database (ID order), if any.
Virtual mappings (2.4+) stand for buckets no stored mapping covers.
"""

from __future__ import annotations

from collections.abc import Iterable

from testbed.influxdb_emulator.model import Bucket, Mapping
from testbed.influxdb_emulator.store import Store


def is_default(store: Store, mapping: Mapping) -> bool:
    return store.default_mappings.get((mapping.org_id, mapping.database)) == mapping.id


def add_mapping(store: Store, mapping: Mapping, default: bool) -> None:
    store.add_mapping(mapping)
    key = (mapping.org_id, mapping.database)
    if default or key not in store.default_mappings:
        store.default_mappings[key] = mapping.id


def set_default(store: Store, mapping: Mapping, default: bool) -> None:
    if default:
        store.default_mappings[(mapping.org_id, mapping.database)] = mapping.id
    elif is_default(store, mapping):
        _hand_over_default(store, mapping, keep_if_alone=True)


def remove_mapping(store: Store, mapping: Mapping) -> None:
    if is_default(store, mapping):
        _hand_over_default(store, mapping, keep_if_alone=False)
    store.remove_mapping(mapping)


def _hand_over_default(store: Store, mapping: Mapping, keep_if_alone: bool) -> None:
    key = (mapping.org_id, mapping.database)
    heir = next((m for m in store.mappings_of_database[key].values() if m.id != mapping.id),
                None)
    if heir:
        store.default_mappings[key] = heir.id
    elif not keep_if_alone:
        del store.default_mappings[key]


def remove_bucket_mappings(store: Store, bucket: Bucket) -> None:
    for mapping in list(store.mappings_of_bucket[bucket.id].values()):
        remove_mapping(store, mapping)


def virtual_mapping(bucket: Bucket) -> tuple[Mapping, bool]:
    """The mapping a bucket stands for when none is stored, and whether it is a default.

    A bucket named "db/rp" maps that database and retention policy (not default); any other
    name maps database = name, retention policy "autogen" (default). Its ID is the bucket's.
    """
    database, slash, policy = bucket.name.partition("/")
    mapping = Mapping(id=bucket.id, org_id=bucket.org_id, bucket_id=bucket.id,
                      database=database, retention_policy=policy if slash else "autogen",
                      virtual=True)
    return mapping, not slash


def listed_mappings(store: Store, org_id: str) -> Iterable[tuple[Mapping, bool]]:
    """The org's mappings as GET /dbrps lists them: stored ones first, then virtual ones,
    hidden when a stored mapping has the same db and rp, not default when a stored default
    exists for their database."""
    stored = list(store.mappings.in_org(org_id))
    for mapping in stored:
        yield mapping, is_default(store, mapping)
    taken = {(m.database, m.retention_policy) for m in stored}
    for bucket_id in store.bucket_names[org_id].ordered_ids():  # FindBuckets: name order
        mapping, default = virtual_mapping(store.buckets.by_id[bucket_id])
        if (mapping.database, mapping.retention_policy) in taken:
            continue
        yield mapping, default and (org_id, mapping.database) not in store.default_mappings
