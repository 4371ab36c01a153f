"""Writes (POST /api/v2/write) behave like InfluxDB 2.7's: line protocol, field types per shard
group, the order of the checks, and write permission on the bucket.

Plain requests rather than `api_call`: the contract documents neither the 403 nor the 422.
"""

from __future__ import annotations

import gzip

import pytest
import requests

from testbed.influx.contract import api_call, with_token
from testbed.influx.seed import scoped_token

T = 1700000000  # 2023-11-14, a Tuesday: explicit timestamps keep points in one shard group
NS = 10**9


def write(org, body: str, /, token: str | None = None, **params) -> requests.Response:
    """Write `body` to the org's bucket "default"; a parameter given as None is left out."""
    params = {"org": org.name, "bucket": "default", **params}
    token = org.token if token is None else token
    headers = {"Authorization": f"Token {token}"} if token else {}
    return requests.post(org.url + "/api/v2/write", params=params, data=body.encode(),
                         headers=headers, timeout=30)


def error(response: requests.Response) -> tuple[int, dict]:
    return response.status_code, response.json()


def conflict(field: str, measurement: str, kind: str, known: str, dropped: int = 1) -> dict:
    return {"code": "unprocessable entity",
            "message": "failure writing points to database: partial write: field type "
                       f'conflict: input field "{field}" on measurement "{measurement}" is type '
                       f"{kind}, already exists as type {known} dropped={dropped}"}


def invalid(message: str) -> tuple[int, dict]:
    return 400, {"code": "invalid", "message": message}


@pytest.fixture
def bucket(org) -> dict:
    response = api_call(org, "POST", "/api/v2/buckets", json={
        "orgID": org.id, "name": "default", "retentionRules": []})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_write_is_204_with_an_empty_body(org, bucket):
    response = write(org, f"cpu,host=a value=1 {T * NS}\n")
    assert (response.status_code, response.content) == (204, b"")
    assert write(org, f"cpu,host=a value=1 {T}\ncpu value=2i\n", precision="s").status_code == 204
    assert write(org, "").status_code == 204


def test_a_gzip_body_is_written_as_telegraf_sends_it_and_a_bad_one_is_a_500(org, bucket):
    def gzipped(body: bytes) -> requests.Response:
        return requests.post(org.url + "/api/v2/write",
                             params={"org": org.name, "bucket": "default"}, data=body,
                             headers={"Authorization": f"Token {org.token}",
                                      "Content-Encoding": "gzip"}, timeout=30)

    assert gzipped(gzip.compress(f"gz value=1i {T * NS}\n".encode())).status_code == 204
    assert error(gzipped(gzip.compress(f"gz value=1.5 {T * NS + 1}\n".encode()))) == (
        422, conflict("value", "gz", "float", "integer"))
    assert error(gzipped(b"not gzip")) == (500, {
        "code": "internal error",
        "message": "An internal error has occurred - check server logs"})


def test_a_field_keeps_its_first_type_in_later_writes_and_in_the_same_write(org, bucket):
    assert write(org, f"cpu value=2i {T * NS}").status_code == 204
    assert error(write(org, f"cpu value=1 {T * NS}", orgID=org.id, org=None)) == (
        422, conflict("value", "cpu", "float", "integer"))
    assert error(write(org, f"mem used=1 {T * NS}\nmem used=1i {T * NS + 1}")) == (
        422, conflict("used", "mem", "integer", "float"))
    assert error(write(org, f"disk free=1,free=1i {T * NS}")) == (
        422, conflict("free", "disk", "integer", "float"))


def test_each_shard_group_of_a_week_from_monday_keeps_its_own_field_types(org, bucket):
    thursday, sunday, monday = 1699491600 * NS, 1699750800 * NS, 1699837200 * NS
    assert write(org, f"cpu value=1 {sunday}\ncpu value=1i {monday}").status_code == 204
    assert error(write(org, f"mem used=1 {thursday}\nmem used=1i {sunday}")) == (
        422, conflict("used", "mem", "integer", "float"))


def test_points_that_conflict_are_dropped_and_the_others_kept(org, bucket):
    body = f"cpu a=1 {T * NS}\ncpu a=2i {T * NS}\ncpu b=1i {T * NS}\ncpu a=true {T * NS}"
    assert error(write(org, body)) == (422, conflict("a", "cpu", "integer", "float", 2))
    assert error(write(org, f"cpu b=1 {T * NS}")) == (422, conflict("b", "cpu", "float", "integer"))


def test_a_dropped_points_fields_before_the_conflict_take_their_type(org, bucket):
    assert write(org, f"cpu x=1i {T * NS}").status_code == 204
    assert error(write(org, f"cpu before=1,x=2,after=3 {T * NS}")) == (
        422, conflict("x", "cpu", "float", "integer"))
    assert error(write(org, f"cpu before=1i {T * NS}")) == (
        422, conflict("before", "cpu", "integer", "float"))
    assert write(org, f"cpu after=1i {T * NS}").status_code == 204


@pytest.mark.parametrize(("value", "kind"), [
    ("1.5", "float"), ("-1e3", "float"), ("-3i", "integer"), ("3u", "unsigned"),
    ('"text"', "string"), ("t", "boolean"), ("FALSE", "boolean")])
def test_field_types_are_float_integer_unsigned_string_and_boolean(org, bucket, value, kind):
    assert write(org, f"cpu value={value} {T * NS}").status_code == 204
    other, other_kind = ("1i", "integer") if kind != "integer" else ("1", "float")
    assert error(write(org, f"cpu value={other} {T * NS}")) == (
        422, conflict("value", "cpu", other_kind, kind))


def test_escapes_comments_blank_lines_and_quoted_newlines_are_line_protocol(org, bucket):
    body = (f"# a comment\n\n   \n  # an indented comment\n"
            f'cpu\\,1\\ x,host\\ name=a\\=b,t="q" v\\ 1=1,s="a \\"q\\", \\\\ b=c",'
            f's2="two\nlines" {T * NS}\n')
    assert write(org, body).status_code == 204
    assert error(write(org, f"cpu\\,1\\ x v\\ 1=1i {T * NS}")) == (
        422, conflict("v 1", "cpu,1 x", "integer", "float"))


def test_a_time_field_alone_is_dropped_and_beside_others_ignored(org, bucket):
    assert write(org, f"cpu v=1,time=2i {T * NS}").status_code == 204
    assert error(write(org, f"cpu time=1 {T * NS}")) == (422, {
        "code": "unprocessable entity",
        "message": "failure writing points to database: partial write: invalid field name: "
                   'input field "time" on measurement "cpu" is invalid dropped=1'})


@pytest.mark.parametrize(("line", "problem"), [
    ("cpu", "missing fields"),
    ("cpu ", "invalid field format"),
    ("cpu value=", "missing field value"),
    ("cpu =1", "missing field key"),
    ("cpu v=1,", "invalid field format"),
    (",host=a v=1", "missing measurement"),
    ("cpu,host v=1", "missing tag value"),
    ("cpu,=a v=1", "missing tag key"),
    ("cpu,a=1,a=2 v=1", "duplicate tags"),
    ("cpu v=tRue", "invalid boolean"),
    ("cpu v=1x", "invalid number"),
    ("cpu v=1.5i", "invalid number"),
    ("cpu v=-1u", "invalid number"),
    ("cpu v=1e400", "invalid float"),
    ('cpu v="open', "unbalanced quotes"),
    ("cpu v=9223372036854775808i", "unable to parse integer 9223372036854775808: strconv."
                                   'ParseInt: parsing "9223372036854775808": value out of range'),
    ("cpu v=1 1x", "bad timestamp"),
    ("cpu v=1 1 2", "point is invalid"),
    ("cpu v=1 9223372036854775807", "time outside range -9223372036854775806 - "
                                    "9223372036854775806"),
])
def test_a_line_that_does_not_parse_is_a_400_naming_it(org, bucket, line, problem):
    assert error(write(org, line)) == invalid(f"unable to parse '{line}': {problem}")


def test_one_bad_line_fails_the_whole_write_with_every_bad_line_named(org, bucket):
    response = write(org, f"cpu v=1 {T * NS}\ncpu v=\nmem\n")
    assert error(response) == invalid("unable to parse 'cpu v=': missing field value\n"
                                      "unable to parse 'mem': missing fields")
    assert write(org, f"cpu v=1i {T * NS}").status_code == 204  # the good line was not written


def test_timestamps_are_in_the_precision_given(org, bucket):
    assert write(org, f"cpu v=1 {T}", precision="s").status_code == 204
    assert write(org, f"cpu v=1 {T}000", precision="ms").status_code == 204
    assert error(write(org, f"cpu v=1i {T}000000", precision="us")) == (
        422, conflict("v", "cpu", "integer", "float"))
    assert error(write(org, f"cpu v=1 {T * 1000}", precision="s")) == invalid(
        f"unable to parse 'cpu v=1 {T * 1000}': time outside range -9223372036854775806 - "
        "9223372036854775806")


def test_the_precision_is_checked_first_and_must_be_ns_us_ms_or_s(org, bucket):
    message = "invalid precision; valid precision units are ns, us, ms, and s"
    for params in ({"precision": "xx"}, {"precision": "h", "org": None, "bucket": "nope"}):
        assert error(write(org, "cpu", **params)) == invalid(message)


def test_the_org_is_given_by_org_id_or_by_org_as_a_name_or_an_id(org, bucket):
    assert error(write(org, "cpu v=1", org=None)) == invalid("Please provide either orgID or org")
    assert write(org, "cpu v=1", org=org.id).status_code == 204
    assert write(org, "cpu v=1", org="not-this-one", orgID=org.id).status_code == 204
    assert error(write(org, "cpu v=1", org=f"{org.name}-nope")) == (404, {
        "code": "not found", "message": f'organization name "{org.name}-nope" not found'})
    assert error(write(org, "cpu v=1", orgID="0000000000000001")) == (404, {
        "code": "not found", "message": "organization not found"})
    assert error(write(org, "cpu v=1", orgID="zz")) == invalid("id must have a length of 16 bytes")


def test_the_bucket_is_given_by_name_or_id_and_looked_up_before_the_body(org, bucket):
    assert write(org, f"cpu v=1 {T * NS}", bucket=bucket["id"]).status_code == 204
    assert error(write(org, "cpu", bucket="nope")) == (404, {
        "code": "not found", "message": 'bucket "nope" not found'})
    assert error(write(org, "cpu v=1", bucket=None)) == (404, {
        "code": "not found", "message": "bucket not found"})


def test_a_deleted_bucket_loses_its_points_and_their_field_types(org, bucket):
    assert write(org, f"cpu v=1 {T * NS}").status_code == 204
    assert api_call(org, "DELETE", f"/api/v2/buckets/{bucket['id']}").status_code == 204
    api_call(org, "POST", "/api/v2/buckets", json={"orgID": org.id, "name": "default",
                                                   "retentionRules": []})
    assert write(org, f"cpu v=1i {T * NS}").status_code == 204


def test_writing_takes_write_on_the_bucket_not_read_and_a_lack_of_it_is_403(org, bucket):
    other = api_call(org, "POST", "/api/v2/buckets", json={
        "orgID": org.id, "name": "other", "retentionRules": []}).json()
    forbidden = (403, {"code": "forbidden", "message": "insufficient permissions for write"})
    reader = scoped_token(org, ("read", "buckets", None))
    assert error(write(org, "cpu v=1", token=reader)) == forbidden
    assert error(write(org, "cpu", token=reader)) == forbidden  # before the body is parsed
    assert write(org, "cpu v=1", token=reader, bucket="nope").status_code == 404
    writer = scoped_token(org, ("write", "buckets", other["id"]))
    assert error(write(org, "cpu v=1", token=writer)) == forbidden
    assert write(org, "cpu v=1", token=writer, bucket="other").status_code == 204


def test_an_inactive_token_is_403_and_no_token_401(org, bucket):
    created = with_token(api_call(org, "POST", "/api/v2/authorizations", json={
        "orgID": org.id, "permissions": [
            {"action": "write", "resource": {"type": "buckets", "orgID": org.id}}]}).json())
    api_call(org, "PATCH", f"/api/v2/authorizations/{created['id']}",
             json={"status": "inactive"})
    assert error(write(org, "cpu v=1", token=created["token"])) == (403, {
        "code": "forbidden", "message": "insufficient permissions for write: token is inactive"})
    assert error(write(org, "cpu v=1", token="")) == (401, {
        "code": "unauthorized", "message": "unauthorized access"})
