"""Everything the emulated server holds, behind one lock.

Collections keep their items in ID order, which is creation order (IDs are monotonic), so the
listings InfluxDB orders by ID need no sorting; buckets also have a per-org index sorted by name
bytes, the order of InfluxDB's bucket name index.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Iterable
from typing import Generic, Protocol, TypeVar

from testbed.influxdb_emulator.ids import IdGenerator
from testbed.influxdb_emulator.model import (
    Authorization,
    Bucket,
    Dashboard,
    Mapping,
    Org,
    Task,
    User,
    Variable,
)


class _Owned(Protocol):
    id: str
    org_id: str


T = TypeVar("T", bound=_Owned)


class Collection(Generic[T]):
    """Items by ID, and by org then ID; both in ID order."""

    def __init__(self) -> None:
        self.by_id: dict[str, T] = {}
        self._by_org: defaultdict[str, dict[str, T]] = defaultdict(dict)

    def add(self, item: T) -> None:
        self.by_id[item.id] = item
        self._by_org[item.org_id][item.id] = item

    def remove(self, item: T) -> None:
        del self.by_id[item.id]
        del self._by_org[item.org_id][item.id]

    def get(self, item_id: str) -> T | None:
        return self.by_id.get(item_id)

    def in_org(self, org_id: str) -> Iterable[T]:
        return self._by_org.get(org_id, {}).values()


class BucketNames:
    """One org's bucket names, sorted by their bytes like the kv index key."""

    def __init__(self) -> None:
        self._keys: list[tuple[bytes, str]] = []
        self.ids: dict[str, str] = {}

    def add(self, bucket: Bucket) -> None:
        bisect.insort(self._keys, (bucket.name.encode(), bucket.id))
        self.ids[bucket.name] = bucket.id

    def remove(self, bucket: Bucket) -> None:
        self._keys.remove((bucket.name.encode(), bucket.id))
        del self.ids[bucket.name]

    def ordered_ids(self, start: int = 0) -> Iterable[str]:
        return (bucket_id for _, bucket_id in self._keys[start:])

    def position(self, bucket: Bucket) -> int:
        return bisect.bisect_left(self._keys, (bucket.name.encode(), bucket.id))


class Store:
    """The server's state. Handlers hold `lock` for the whole of a request."""

    def __init__(self, hashed_tokens: bool = False) -> None:
        self.lock = threading.RLock()
        self.ids = IdGenerator()
        self.hashed_tokens = hashed_tokens
        self.users: dict[str, User] = {}
        self.orgs: dict[str, Org] = {}
        self.buckets: Collection[Bucket] = Collection()
        self.bucket_names: defaultdict[str, BucketNames] = defaultdict(BucketNames)
        self.mappings: Collection[Mapping] = Collection()
        self.mappings_of_database: defaultdict[tuple[str, str], dict[str, Mapping]] = \
            defaultdict(dict)
        self.mappings_of_bucket: defaultdict[str, dict[str, Mapping]] = defaultdict(dict)
        self.default_mappings: dict[tuple[str, str], str] = {}
        self.authorizations: Collection[Authorization] = Collection()
        self.tokens: dict[str, str] = {}
        self.tasks: Collection[Task] = Collection()
        self.secrets: defaultdict[str, dict[str, str]] = defaultdict(dict)
        self.dashboards: Collection[Dashboard] = Collection()
        self.variables: Collection[Variable] = Collection()

    def org_named(self, name: str) -> Org | None:
        return next((org for org in self.orgs.values() if org.name == name), None)

    def user_named(self, name: str) -> User | None:
        return next((user for user in self.users.values() if user.name == name), None)

    def add_bucket(self, bucket: Bucket) -> None:
        self.buckets.add(bucket)
        self.bucket_names[bucket.org_id].add(bucket)

    def remove_bucket(self, bucket: Bucket) -> None:
        self.buckets.remove(bucket)
        self.bucket_names[bucket.org_id].remove(bucket)

    def add_mapping(self, mapping: Mapping) -> None:
        self.mappings.add(mapping)
        self.mappings_of_database[(mapping.org_id, mapping.database)][mapping.id] = mapping
        self.mappings_of_bucket[mapping.bucket_id][mapping.id] = mapping

    def remove_mapping(self, mapping: Mapping) -> None:
        self.mappings.remove(mapping)
        del self.mappings_of_database[(mapping.org_id, mapping.database)][mapping.id]
        del self.mappings_of_bucket[mapping.bucket_id][mapping.id]

    def add_authorization(self, auth: Authorization) -> None:
        self.authorizations.add(auth)
        self.tokens[auth.token] = auth.id

    def remove_authorization(self, auth: Authorization) -> None:
        self.authorizations.remove(auth)
        del self.tokens[auth.token]

    def authorization_for(self, token: str) -> Authorization | None:
        auth_id = self.tokens.get(token)
        return self.authorizations.get(auth_id) if auth_id else None
