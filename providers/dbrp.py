"""DBRP mappings as a Pulumi dynamic resource (`pulumi-python:dynamic/influxdb:Dbrp`).

A mapping is known by its org, database and retention policy. `create` adopts a *stored* mapping
with that identity (PATCHing its default flag) and refuses one that maps another bucket; virtual
mappings (InfluxDB 2.4+ shows one for every unmapped bucket) are never taken for stored ones.
`bucket_name` is informational (the policy pack checks database == bucket_name, messages name the
bucket): changing only it updates the state without an API call.

A mapping has no description to carry a stack's mark, but none is needed against duplicates: the
server refuses a second mapping of the same org, database and retention policy, so a create whose
answer was lost and the one after it never both succeed.

The server decides the default flag (the first mapping of a database is always the default), so
the outputs report what it decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from pulumi import Input, Output, ResourceOptions
from pulumi.dynamic import CheckFailure, CreateResult, Resource

from providers.base import InfluxProvider, secret_token, with_secret_outputs
from providers.client import InfluxClient
from providers.errors import CannotAdopt
from providers.inputs import boolean, failures, influx_id, text
from providers.listing import Loader

PATH = "/api/v2/dbrps"
# influxd indexes a mapping under org ID (16 bytes), database, '/' and mapping ID (16 bytes), in a
# bolt key of at most 32768 bytes: a longer database is refused (413 "key too large").
MAX_DATABASE_BYTES = 32768 - 16 - 1 - 16


# Schema and check.
def dbrp_name(value: Any) -> str | None:
    """influxd's rule for a database or retention policy name (Go's unicode.IsPrint is
    Python's isprintable: no control characters, no space but ' ')."""
    if not isinstance(value, str) or not value:
        return f"must be a non-empty string, got {value!r}"
    if not value.isprintable():
        return f"must be printable text (no control characters, no space but ' '), got {value!r}"
    if value in (".", ".."):
        return f"must not be '.' or '..', got {value!r}"
    if "/" in value or "\\" in value:
        return f"must not contain '/' or '\\', got {value!r}"
    if len(value.encode()) > MAX_DATABASE_BYTES:
        return f"must be at most {MAX_DATABASE_BYTES} bytes, got {len(value.encode())}"
    return None


RULES = {
    "org_id": influx_id,
    "bucket_id": influx_id,
    "bucket_name": text,
    "database": dbrp_name,
    "retention_policy": dbrp_name,
    "default": boolean,
}


class DbrpProvider(InfluxProvider):
    path = PATH
    replace_keys = ("org_id", "bucket_id", "database")
    update_keys = ("retention_policy", "default", "bucket_name")
    defaults: ClassVar[dict[str, Any]] = {"default": True, "bucket_name": ""}

    def failures(self, inputs: dict[str, Any]) -> Iterable[CheckFailure]:
        return failures(inputs, RULES)

    def delete_first(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        # Moving a mapping to another bucket keeps its identity: the old one must go first.
        return all(olds.get(key) == news.get(key)
                   for key in ("org_id", "database", "retention_policy"))

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client(props)
        return self.create_once(
            client, props,
            adopt=lambda existing: self.adopt(client, existing, props),
            create=lambda: client.post(PATH, {
                "orgID": props["org_id"], "bucketID": props["bucket_id"],
                "database": props["database"], "retention_policy": props["retention_policy"],
                "default": props["default"]}),
        )

    def adopt(self, client: InfluxClient, existing: dict, props: dict[str, Any]) -> dict:
        if existing["bucketID"] != props["bucket_id"]:
            raise CannotAdopt(
                "POST", PATH,
                f"database {props['database']!r} with retention policy "
                f"{props['retention_policy']!r} is already mapped to bucket "
                f"{existing['bucketID']}, not to {props.get('bucket_name') or 'bucket'} "
                f"{props['bucket_id']}",
                hint="delete that mapping, or map this bucket under another database name")
        current = {"retention_policy": existing["retention_policy"],
                   "default": existing["default"]}
        return self.patch(client, existing["id"], current, props) or existing

    # The hooks behind create, read, update and delete: the API wants the org ID with a
    # mapping's ID, and wraps the mapping it answers with in "content".
    def same_identity(self, found: dict, props: dict[str, Any]) -> bool:
        return (not found.get("virtual") and found["database"] == props["database"]
                and found["retention_policy"] == props["retention_policy"])

    def loader(self, client: InfluxClient) -> Loader:
        return client.list_dbrps

    def params(self, props: dict[str, Any]) -> dict | None:
        return {"orgID": props["org_id"]}

    def fetch(self, client: InfluxClient, id_: str, props: dict[str, Any]) -> dict:
        return super().fetch(client, id_, props)["content"]

    def patch(self, client: InfluxClient, id_: str, current: dict[str, Any],
              desired: dict[str, Any]) -> dict | None:
        """None when only bucket_name (kept in state alone) differs."""
        body = {key: desired[key] for key in ("retention_policy", "default")
                if current[key] != desired[key]}
        if not body:
            return None
        return client.patch(f"{PATH}/{id_}", body, params=self.params(desired))["content"]

    def outputs(self, mapping: dict, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "org_id": mapping["orgID"],
            "bucket_id": mapping["bucketID"],
            "bucket_name": props.get("bucket_name", ""),
            "database": mapping["database"],
            "retention_policy": mapping["retention_policy"],
            "default": mapping["default"],
        }


class Dbrp(Resource, module="influxdb", name="Dbrp"):
    """A DBRP mapping (database/retention policy -> bucket) for InfluxQL and Chronograf."""

    org_id: Output[str]
    bucket_id: Output[str]
    bucket_name: Output[str]
    database: Output[str]
    retention_policy: Output[str]
    default: Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        org_id: Input[str],
        bucket_id: Input[str],
        database: Input[str],
        retention_policy: Input[str],
        default: Input[bool] = True,
        bucket_name: Input[str] = "",
        token: Input[str] | None = None,
        opts: ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            DbrpProvider(), resource_name,
            {"org_id": org_id, "bucket_id": bucket_id, "bucket_name": bucket_name,
             "database": database, "retention_policy": retention_policy, "default": default,
             **secret_token(token)},
            with_secret_outputs(opts, "token"),
        )
