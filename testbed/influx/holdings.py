"""What an org holds, read with the operator token, as the tests check it: its tasks, stored
mappings, buckets, tokens and series, and the writes the emulator's request log shows.
"""

from __future__ import annotations

import csv
import io
import time
import uuid
from dataclasses import dataclass

from flux.literals import flux_string
from testbed.influx.server import InfluxOrg, InfluxServer

WRITES = {"POST", "PATCH", "PUT", "DELETE"}
# Columns of a Flux table that are no tag of the series.
NOT_TAGS = {"", "result", "table", "_start", "_stop", "_time", "_value", "_field", "_measurement"}


@dataclass(frozen=True)
class Series:
    """One series of a bucket: its measurement, tags, field and the field's type as stored (the
    annotated CSV's name: `double`, `long`, `unsignedLong`, `string`, `boolean`)."""

    measurement: str
    tags: tuple[tuple[str, str], ...]
    field: str
    type: str

    @property
    def tag_keys(self) -> frozenset[str]:
        return frozenset(key for key, _ in self.tags)


TASK_PAGE = 500  # the most influxd answers in one page


def tasks(org: InfluxOrg) -> list[dict]:
    """Every task of the org, page after page (an org of 1000 apps holds over 3000)."""
    found: list[dict] = []
    while True:
        after = {"after": found[-1]["id"]} if found else {}
        params = {"orgID": org.id, "limit": TASK_PAGE, **after}
        page = org.server.api("GET", "/api/v2/tasks", params=params).json()["tasks"]
        found += page
        if len(page) < TASK_PAGE:
            return found


def stored_mappings(org: InfluxOrg) -> list[dict]:
    content = org.server.api("GET", "/api/v2/dbrps", params={"orgID": org.id}).json()["content"]
    return [mapping for mapping in content if not mapping["virtual"]]


def dashboards(org: InfluxOrg) -> list[dict]:
    return org.server.api("GET", "/api/v2/dashboards",
                          params={"orgID": org.id}).json()["dashboards"]


def variables(org: InfluxOrg) -> list[dict]:
    return org.server.api("GET", "/api/v2/variables",
                          params={"orgID": org.id}).json()["variables"]


def buckets(org: InfluxOrg) -> list[dict]:
    return org.server.api("GET", "/api/v2/buckets",
                          params={"orgID": org.id, "limit": 100}).json()["buckets"]


def bucket_names(org: InfluxOrg) -> set[str]:
    return {bucket["name"] for bucket in buckets(org)}


def find_bucket(org: InfluxOrg, name: str) -> dict:
    """The org's one bucket of that name, as the server has it."""
    [found] = [bucket for bucket in buckets(org) if bucket["name"] == name]
    return found


def authorizations(org: InfluxOrg) -> list[dict]:
    return org.server.api("GET", "/api/v2/authorizations",
                          params={"orgID": org.id}).json()["authorizations"]


def writes(server: InfluxServer) -> list[tuple[str, str]]:
    """The (method, path) of every write in the emulator's request log."""
    return [(entry["method"], entry["path"]) for entry in server.request_log()
            if entry["method"] in WRITES]


def series(org: InfluxOrg, bucket: str, since: str = "-1h") -> set[Series]:
    """Every series of the bucket with a point since `since`, read with a Flux query."""
    found = set()
    for values, types in flux_rows(
            org, f"from(bucket: {flux_string(bucket)}) |> range(start: {since})"):
        tags = tuple(sorted((key, value) for key, value in values.items()
                            if key not in NOT_TAGS and value != ""))
        found.add(Series(values["_measurement"], tags, values["_field"], types["_value"]))
    return found


def flux_rows(org: InfluxOrg, flux: str) -> list[tuple[dict[str, str], dict[str, str]]]:
    """Every row of every table the Flux query returns: its values by column (as the CSV has
    them) and each column's type (`#datatype`); the server's error, with the query, if it fails."""
    response = org.server.api("POST", "/api/v2/query", params={"org": org.name},
                              json={"query": flux, "dialect": {"annotations": ["datatype"]}})
    if response.status_code != 200:
        raise AssertionError(f"query: {response.status_code} {response.text}\n{flux}")
    rows, types, header = [], [], []
    for row in csv.reader(io.StringIO(response.text)):
        if not row or not any(row):
            header = []
        elif row[0] == "#datatype":
            types, header = row, []
        elif not header:
            header = row
        else:
            rows.append((dict(zip(header, row, strict=True)),
                         dict(zip(header, types, strict=True))))
    return rows


def point_count(org: InfluxOrg, bucket: str) -> int:
    """How many points the bucket holds, whatever their time (a Flux query: real influxd)."""
    return sum(int(values["_value"]) for values, _types in flux_rows(
        org, f"from(bucket: {flux_string(bucket)}) |> range(start: 1970-01-01T00:00:00Z) "
             "|> group() |> count()"))


def await_retention_check(org: InfluxOrg, timeout: float = 60) -> None:
    """Return once influxd has run a retention check (which deletes the data a bucket's
    retention no longer keeps) that began after the call. influxd counts no checks, so a
    sentinel bucket's data, cut at the call, shows one: gone means checked."""
    sentinel = f"retention_check_{uuid.uuid4().hex[:8]}_"
    created = org.server.api("POST", "/api/v2/buckets", json={
        "orgID": org.id, "name": sentinel,
        "retentionRules": [{"type": "expire", "everySeconds": 30 * 86400}]}).json()
    ten_days_ago = time.time_ns() - 10 * 86400 * 10**9
    org.server.api("POST", "/api/v2/write", params={"orgID": org.id, "bucket": sentinel},
                   data=f"sentinel value=1i {ten_days_ago}").raise_for_status()
    org.server.api("PATCH", f"/api/v2/buckets/{created['id']}", json={"retentionRules": [
        {"type": "expire", "everySeconds": 3600, "shardGroupDurationSeconds": 3600}]}
                   ).raise_for_status()
    deadline = time.monotonic() + timeout
    try:
        while point_count(org, sentinel):
            if time.monotonic() > deadline:
                raise TimeoutError(f"influxd ran no retention check within {timeout} s")
            time.sleep(0.2)
    finally:
        org.server.api("DELETE", f"/api/v2/buckets/{created['id']}")
