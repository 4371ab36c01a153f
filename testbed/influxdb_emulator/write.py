"""Writes: line protocol into a bucket (POST /api/v2/write), as influxd 2.7 takes it.

The checks run in the handler's order: the precision, the org (orgID, else org as an ID or a
name), the bucket (an ID, else a name in the org), write permission on the bucket (403, not the
401 of other routes), then the body. The body parses whole before anything is written: a line
that does not parse fails the request (400, one message a line). The storage engine keeps a
field's type per shard group, so a point giving a field another type than it has in its shard
group is dropped (422 partial write) while the other points are kept.
"""

from __future__ import annotations

import math
import re
import time

from testbed.influxdb_emulator.api import Call, Reply, Route, parse_bool
from testbed.influxdb_emulator.errors import (
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    UNPROCESSABLE,
    ApiError,
    or_not_found,
)
from testbed.influxdb_emulator.ids import parse_id
from testbed.influxdb_emulator.model import Bucket, Org, Point
from testbed.influxdb_emulator.orgs import find_org, org_by_name
from testbed.influxdb_emulator.permissions import WRITE

# Nanoseconds in a timestamp unit of each precision ("" is the default, ns).
PRECISIONS = {"": 1, "ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9}
# models.MinNanoTime and MaxNanoTime: the int64 range less the values the engine reserves.
MIN_TIME, MAX_TIME = -(2**63) + 2, 2**63 - 2
# Go's zero time (year 1) before the epoch, in ns: shard groups are Time.Truncate'd from it,
# so week-long ones start on Mondays (1970-01-01 was a Thursday).
ZERO_TIME_NS = 62135596800 * 10**9
_FLOAT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]*)?")


def _split(text: str, separator: str, quotes_after: str = "") -> list[str]:
    """`text` cut at each `separator` not escaped by a backslash nor inside double quotes.

    Quotes count only after the first `quotes_after` of a part, if one is given: influxd's
    line scanner sees quoted strings only in the fields, after a line's first space.
    """
    parts, start, escaped, quoted, quoting = [], 0, False, False, not quotes_after
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"' and quoting:
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append(text[start:index])
            start, quoting = index + 1, not quotes_after
        elif char == quotes_after:
            quoting = True
    return [*parts, text[start:]]


def _cut(text: str, separator: str, times: int = 0) -> list[str]:
    """`text` cut at each (or the first `times`) `separator` not right after a backslash, as
    influxd's key scanner looks for them (no quotes there)."""
    return re.split(rf"(?<!\\){separator}", text, maxsplit=times)


def _unescape(text: str) -> str:
    return re.sub(r"\\([, =])", r"\1", text)


def parse_lines(body: str, unit: int) -> list[Point]:
    """The points of a body; blank and `#` lines are skipped, a point without a timestamp
    gets the server's time (to the precision). A 400 lists every line that does not parse."""
    now = time.time_ns() // unit * unit
    points, failures = [], []
    for line in _split(body, "\n", " "):
        line = line.lstrip(" \t\0").removesuffix("\n")  # a quote left open runs to the end
        if not line or line.startswith("#"):
            continue
        try:
            points.append(parse_point(line, unit, now))
        except ValueError as error:
            failures.append(f"unable to parse '{line}': {error}")
    if failures:
        raise ApiError(INVALID, "\n".join(failures))
    return points


def parse_point(line: str, unit: int, now: int) -> Point:
    """measurement[,tag=value...] field=value[,field=value...] [timestamp]"""
    key, *rest = _cut(line, " ", 1)
    measurement, *tag_items = _cut(key, ",")
    if not measurement:
        raise ValueError("missing measurement")
    tags: dict[str, str] = {}
    for item in tag_items:
        tag = _cut(item, "=")
        if not tag[0]:
            raise ValueError("missing tag key")
        if len(tag) < 2 or not tag[1]:
            raise ValueError("missing tag value")
        if len(tag) > 2:
            raise ValueError("invalid tag format")
        if _unescape(tag[0]) in tags:
            raise ValueError("duplicate tags")
        tags[_unescape(tag[0])] = _unescape(tag[1])
    if not rest:
        raise ValueError("missing fields")
    sections = [section for section in _split(rest[0], " ") if section] or [""]
    fields = [_field(item) for item in _split(sections[0], ",")]
    return Point(_unescape(measurement), tags, fields, _timestamp(sections[1:], unit, now))


def _field(item: str) -> tuple[str, str, object]:
    key, *value = _cut(item, "=", 1)
    if not value:
        raise ValueError("invalid field format")
    if not key:
        raise ValueError("missing field key")
    if not value[0]:
        raise ValueError("missing field value")
    return (_unescape(key), *_field_value(value[0]))


def _field_value(text: str) -> tuple[str, object]:
    """(type, value) of a field: "string", 1.5 float, 1i integer, 1u unsigned, or boolean."""
    if text.startswith('"'):
        if not re.fullmatch(r'"(?:\\.|[^"\\])*"', text, re.S):
            raise ValueError("unbalanced quotes")
        return "string", re.sub(r'\\(["\\])', r"\1", text[1:-1])
    if text[0] not in "-.0123456789nN":  # n: influxd takes NaN for a number, and refuses it
        try:
            return "boolean", parse_bool(text)
        except ValueError:
            raise ValueError("invalid boolean") from None
    if re.fullmatch(r"-?[0-9]+i", text):
        return "integer", _in_range(text[:-1], "integer", "ParseInt", -(2**63), 2**63 - 1)
    if re.fullmatch(r"[0-9]+u", text):
        return "unsigned", _in_range(text[:-1], "unsigned", "ParseUint", 0, 2**64 - 1)
    if not _FLOAT.fullmatch(text):
        raise ValueError("invalid number")
    try:
        value = float(text)
    except ValueError:  # "1e"
        value = math.inf
    if math.isinf(value):
        raise ValueError("invalid float")
    return "float", value


def _in_range(digits: str, kind: str, parser: str, low: int, high: int) -> int:
    value = int(digits)
    if not low <= value <= high:
        raise ValueError(f'unable to parse {kind} {digits}: strconv.{parser}: parsing '
                         f'"{digits}": value out of range')
    return value


def _timestamp(sections: list[str], unit: int, now: int) -> int:
    if not sections:
        return now
    text = sections[0]
    if not re.fullmatch(r"[-0-9]+", text):
        raise ValueError("bad timestamp")
    try:
        value = int(text)
    except ValueError:  # "-", "1-2"
        raise ValueError(f'strconv.ParseInt: parsing "{text}": invalid syntax') from None
    if not -(2**63) <= value < 2**63:
        raise ValueError(f'strconv.ParseInt: parsing "{text}": value out of range')
    if not MIN_TIME <= value * unit <= MAX_TIME:
        raise ValueError(f"time outside range {MIN_TIME} - {MAX_TIME}")
    if len(sections) > 1:
        raise ValueError("point is invalid")
    return value * unit


def write_points(bucket: Bucket, points: list[Point]) -> None:
    """Keep the points whose fields have the types their shard group knows (or new fields).

    A dropped point is reported as the engine reports it: a 422 with the first reason and the
    count dropped in one shard (influxd names whichever shard answers first).
    """
    failures: dict[int, tuple[str, int]] = {}
    for point in points:
        group = (point.time + ZERO_TIME_NS) // (bucket.shard_seconds * 10**9)
        fields = [field for field in point.fields if field[0] != "time"]
        problem = _conflict(bucket, group, point.measurement, fields) if fields else (
            f'invalid field name: input field "time" on measurement "{point.measurement}" '
            "is invalid")
        if problem:
            reason, dropped = failures.get(group, (problem, 0))
            failures[group] = (reason, dropped + 1)
        else:
            bucket.points.append(Point(point.measurement, point.tags, fields, point.time))
    if failures:
        reason, dropped = next(iter(failures.values()))
        raise ApiError(UNPROCESSABLE, "failure writing points to database: partial write: "
                                      f"{reason} dropped={dropped}")


def _conflict(bucket: Bucket, group: int, measurement: str,
              fields: list[tuple[str, str, object]]) -> str:
    """Why the point is dropped ("" if it is not). A field new to the group takes its type
    as it is checked, even when a later field of the same point conflicts."""
    for key, kind, _ in fields:
        known = bucket.field_types.setdefault((group, measurement, key), kind)
        if known != kind:
            return (f'field type conflict: input field "{key}" on measurement "{measurement}" '
                    f"is type {kind}, already exists as type {known}")
    return ""


def _as_id(text: str) -> str | None:
    try:
        return parse_id(text)
    except ApiError:
        return None


def _org(call: Call) -> Org:
    if call.arg("orgID"):
        return find_org(call.store, parse_id(call.arg("orgID")))
    if not call.arg("org"):
        raise ApiError(INVALID, "Please provide either orgID or org")
    org_id = _as_id(call.arg("org"))
    return find_org(call.store, org_id) if org_id else org_by_name(call.store, call.arg("org"))


def _bucket(call: Call, org: Org) -> Bucket:
    """The bucket by ID (found in any org, as influxd looks it up), else by name in the org."""
    name = call.arg("bucket")
    if not name:
        raise ApiError(NOT_FOUND, "bucket not found")
    bucket_id = _as_id(name) or call.store.bucket_names[org.id].ids.get(name)
    return or_not_found(call.store.buckets.get(bucket_id or ""), f'bucket "{name}" not found')


def post_write(call: Call) -> Reply:
    unit = PRECISIONS.get(call.arg("precision"))
    if unit is None:
        raise ApiError(INVALID, "invalid precision; valid precision units are ns, us, ms, and s")
    org = _org(call)
    bucket = _bucket(call, org)
    if not call.can(WRITE, "buckets", org.id, bucket.id):
        inactive = ": token is inactive" if call.auth.status != "active" else ""
        raise ApiError(FORBIDDEN, f"insufficient permissions for write{inactive}")
    write_points(bucket, parse_lines(call.body.decode("utf-8", "replace"), unit))
    return Reply(204)


ROUTES = [
    Route("POST", "/api/v2/write", post_write),
]
