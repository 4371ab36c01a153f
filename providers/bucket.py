"""InfluxDB buckets as a Pulumi dynamic resource (`pulumi-python:dynamic/influxdb:Bucket`).

A bucket is known by its name within its org (the server keeps names unique). `create` adopts a
bucket that already has the name (PATCHing its retention and description to the desired ones)
instead of failing on the duplicate, unless another stack's mark is in its description; a rename
or a move to another org replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from pulumi import Input, Output, ResourceOptions
from pulumi.dynamic import CheckFailure, CreateResult, Resource

from providers.base import InfluxProvider, secret_token, with_secret_outputs
from providers.client import InfluxClient
from providers.inputs import all_of, failures, influx_id, name, text
from providers.listing import Loader

PATH = "/api/v2/buckets"
HOUR, DAY = 3600, 86400
MIN_RETENTION = HOUR  # the server refuses shorter non-zero retention periods


# Schema and check.
def bucket_name(value: str) -> str | None:
    if value.startswith("_"):
        return f"must not start with '_' (reserved for system buckets), got {value!r}"
    if '"' in value:
        return f"must not contain '\"', got {value!r}"
    return None


def retention(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return f"must be a whole number of seconds, got {value!r}"
    if 0 < value < MIN_RETENTION:
        return f"must be 0 (keep forever) or at least {MIN_RETENTION} (1h), got {value}"
    return None


RULES = {
    "org_id": influx_id,
    "name": all_of(name, bucket_name),
    "retention_seconds": retention,
    "description": text,
}


class BucketProvider(InfluxProvider):
    path = PATH
    replace_keys = ("org_id", "name")
    update_keys = ("retention_seconds", "description")
    defaults: ClassVar[dict[str, Any]] = {"retention_seconds": 0, "description": ""}

    def failures(self, inputs: dict[str, Any]) -> Iterable[CheckFailure]:
        return failures(inputs, RULES)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client(props)
        return self.create_once(
            client, props,
            adopt=lambda existing: self.patch(client, existing["id"], bucket_settings(existing),
                                              props) or existing,
            create=lambda: client.post(PATH, {"orgID": props["org_id"], "name": props["name"],
                                              "description": props["description"],
                                              "retentionRules": rules(props)}),
        )

    # The hooks behind create, read, update and delete.
    def same_identity(self, found: dict, props: dict[str, Any]) -> bool:
        return found["name"] == props["name"]

    def loader(self, client: InfluxClient) -> Loader:
        return client.list_buckets

    def patch(self, client: InfluxClient, id_: str, current: dict[str, Any],
              desired: dict[str, Any]) -> dict | None:
        body = {}
        if current["retention_seconds"] != desired["retention_seconds"]:
            body["retentionRules"] = rules(desired)
        if current["description"] != desired["description"]:
            body["description"] = desired["description"]
        return client.patch(f"{PATH}/{id_}", body) if body else None

    def outputs(self, bucket: dict, _props: dict[str, Any]) -> dict[str, Any]:
        return bucket_settings(bucket)


# Request bodies and the server's shape.
def rules(props: dict[str, Any]) -> list[dict]:
    # The provider host hands numbers over as floats, and InfluxDB refuses a float everySeconds.
    retention = int(props["retention_seconds"])
    return [{"type": "expire", "everySeconds": retention,
             "shardGroupDurationSeconds": shard_duration(retention)}]


def shard_duration(retention: int) -> int:
    """The shard group duration InfluxDB picks for a new bucket with this retention.

    A PATCH must send it: left out, the bucket keeps its old one, and the server refuses a
    retention shorter than that (shortening "forever" to 1h fails on the 7-day shards).
    """
    if retention == 0 or retention >= 180 * DAY:
        return 7 * DAY
    return DAY if retention >= 2 * DAY else HOUR


def retention_of(bucket: dict) -> int:
    """The bucket's retention in seconds, as influxd enforces it: its first `expire` rule's
    everySeconds; 0 (forever) without one. The program and the provider both read it here."""
    for rule in bucket.get("retentionRules") or []:
        if rule.get("type", "expire") == "expire":
            return int(rule.get("everySeconds") or 0)
    return 0


def bucket_settings(bucket: dict) -> dict[str, Any]:
    """The bucket as the server has it, in the shape of the inputs."""
    return {
        "org_id": bucket["orgID"],
        "name": bucket["name"],
        "retention_seconds": retention_of(bucket),
        "description": bucket.get("description") or "",
    }


class Bucket(Resource, module="influxdb", name="Bucket"):
    """A bucket in an InfluxDB org; its ID is the resource ID."""

    org_id: Output[str]
    name: Output[str]
    retention_seconds: Output[int]
    description: Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        org_id: Input[str],
        name: Input[str],
        retention_seconds: Input[int] = 0,
        description: Input[str] = "",
        token: Input[str] | None = None,
        opts: ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            BucketProvider(), resource_name,
            {"org_id": org_id, "name": name, "retention_seconds": retention_seconds,
             "description": description, **secret_token(token)},
            with_secret_outputs(opts, "token"),
        )
