"""DBRP mappings behave like InfluxDB 2.7's: org on every call, the default-per-database
rules, virtual mappings, bare and wrapped bodies, 422 conflicts, bucket permissions."""

from __future__ import annotations

import pytest

from testbed.influx.contract import api_call
from testbed.influx.seed import scoped_token


def bucket_id(org, name: str) -> str:
    response = api_call(org, "POST", "/api/v2/buckets", json={"orgID": org.id, "name": name})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def post_mapping(org, bucket: str, database: str, policy: str, default: bool | None = None,
                 token: str | None = None):
    body = {"orgID": org.id, "bucketID": bucket, "database": database,
            "retention_policy": policy}
    if default is not None:
        body["default"] = default
    return api_call(org, "POST", "/api/v2/dbrps", token=token, json=body)


def create_mapping(org, bucket: str, database: str, policy: str,
                   default: bool | None = None) -> dict:
    response = post_mapping(org, bucket, database, policy, default)
    assert response.status_code == 201, response.text
    return response.json()


def listed(org, token: str | None = None, **params) -> list[dict]:
    response = api_call(org, "GET", "/api/v2/dbrps", token=token,
                        params={"orgID": org.id, **params})
    assert response.status_code == 200, response.text
    return response.json()["content"]


def defaults(org, database: str) -> dict[str, bool]:
    """Stored mappings of a database: ID -> default."""
    return {m["id"]: m["default"] for m in listed(org, db=database) if not m["virtual"]}


def patch_default(org, mapping: dict, default: bool) -> dict:
    response = api_call(org, "PATCH", f"/api/v2/dbrps/{mapping['id']}",
                        params={"orgID": org.id}, json={"default": default})
    assert response.status_code == 200, response.text
    return response.json()["content"]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v2/dbrps"), ("GET", "/api/v2/dbrps/0123456789abcdef"),
    ("PATCH", "/api/v2/dbrps/0123456789abcdef"), ("DELETE", "/api/v2/dbrps/0123456789abcdef")])
def test_every_call_must_name_the_org(org, method, path):
    response = api_call(org, method, path, json={} if method == "PATCH" else None)
    assert response.status_code == 400
    assert response.json()["message"] == "either 'org' or 'orgID' must be provided"


def test_creating_without_an_org_is_400_and_an_unknown_org_name_404(org):
    body = {"bucketID": bucket_id(org, "b"), "database": "b", "retention_policy": "rp"}
    assert api_call(org, "POST", "/api/v2/dbrps", json=body).status_code == 400
    response = api_call(org, "POST", "/api/v2/dbrps", json={**body, "org": f"{org.name}-x"})
    assert response.status_code == 404


def test_the_org_may_be_named_instead_of_identified(org):
    mapping = create_mapping(org, bucket_id(org, "named"), "named", "rp")
    response = api_call(org, "GET", f"/api/v2/dbrps/{mapping['id']}", params={"org": org.name})
    assert response.json()["content"]["id"] == mapping["id"]


def test_post_answers_the_bare_mapping_and_get_and_patch_wrap_it_in_content(org):
    created = create_mapping(org, bucket_id(org, "app"), "app", "1h")
    assert created["database"] == "app" and created["virtual"] is False
    path = f"/api/v2/dbrps/{created['id']}"
    got = api_call(org, "GET", path, params={"orgID": org.id}).json()
    assert got == {"content": created}
    patched = api_call(org, "PATCH", path, params={"orgID": org.id},
                       json={"retention_policy": "2h"}).json()
    assert patched["content"] == {**created, "retention_policy": "2h"}


def test_the_same_org_db_and_rp_twice_is_422_conflict(org):
    bucket = bucket_id(org, "dup")
    create_mapping(org, bucket, "dup", "rp")
    response = post_mapping(org, bucket, "dup", "rp")
    assert response.status_code == 422
    assert response.json() == {
        "code": "conflict", "message": "another DBRP mapping with same orgID, db, and rp exists"}


def test_the_first_mapping_of_a_database_is_default_even_when_created_not_default(org):
    first = create_mapping(org, bucket_id(org, "db1"), "db", "one", default=False)
    assert first["default"] is True


def test_creating_another_default_moves_the_default_to_it(org):
    first = create_mapping(org, bucket_id(org, "m1"), "db", "one", default=True)
    second = create_mapping(org, bucket_id(org, "m2"), "db", "two", default=True)
    assert defaults(org, "db") == {first["id"]: False, second["id"]: True}


def test_a_non_default_mapping_leaves_the_default_where_it_is(org):
    first = create_mapping(org, bucket_id(org, "n1"), "db", "one")
    second = create_mapping(org, bucket_id(org, "n2"), "db", "two", default=False)
    assert defaults(org, "db") == {first["id"]: True, second["id"]: False}


def test_unsetting_the_default_hands_it_to_another_mapping_of_the_database(org):
    first = create_mapping(org, bucket_id(org, "h1"), "db", "one", default=True)
    second = create_mapping(org, bucket_id(org, "h2"), "db", "two", default=False)
    assert patch_default(org, first, False)["default"] is False
    assert defaults(org, "db") == {first["id"]: False, second["id"]: True}


def test_unsetting_the_only_mapping_of_a_database_keeps_it_default(org):
    only = create_mapping(org, bucket_id(org, "alone"), "alone", "one")
    assert patch_default(org, only, False)["default"] is False  # the answer echoes the request
    assert defaults(org, "alone") == {only["id"]: True}


def test_deleting_the_default_promotes_another_mapping(org):
    first = create_mapping(org, bucket_id(org, "p1"), "db", "one", default=True)
    second = create_mapping(org, bucket_id(org, "p2"), "db", "two")
    response = api_call(org, "DELETE", f"/api/v2/dbrps/{first['id']}", params={"orgID": org.id})
    assert response.status_code == 204
    assert defaults(org, "db") == {second["id"]: True}


def test_deleting_a_missing_mapping_is_404(org):
    response = api_call(org, "DELETE", "/api/v2/dbrps/0123456789abcdef",
                        params={"orgID": org.id})
    assert response.status_code == 404
    assert response.json()["message"] == "unable to find DBRP"


def test_every_bucket_shows_as_a_virtual_mapping(org):
    plain, slashed = bucket_id(org, "plain"), bucket_id(org, "legacy/weekly")
    virtual = {m["bucketID"]: m for m in listed(org) if m["virtual"]}
    assert virtual[plain] == {"id": plain, "bucketID": plain, "orgID": org.id,
                              "database": "plain", "retention_policy": "autogen",
                              "default": True, "virtual": True}
    assert (virtual[slashed]["database"], virtual[slashed]["retention_policy"],
            virtual[slashed]["default"]) == ("legacy", "weekly", False)


def test_a_bucket_id_in_the_list_does_not_mean_the_bucket_is_mapped(org):
    unmapped = bucket_id(org, "unmapped")
    assert unmapped in {m["bucketID"] for m in listed(org)}
    assert unmapped not in {m["bucketID"] for m in listed(org) if not m["virtual"]}


def test_a_stored_mapping_hides_the_virtual_one_with_the_same_db_and_rp(org):
    bucket = bucket_id(org, "hidden")
    stored = create_mapping(org, bucket, "hidden", "autogen")
    assert [m["id"] for m in listed(org, db="hidden")] == [stored["id"]]


def test_stored_mappings_come_first_and_a_stored_default_clears_the_virtual_default(org):
    bucket = bucket_id(org, "app")
    stored = create_mapping(org, bucket, "app", "1h")
    mappings = listed(org, db="app")
    assert [(m["id"], m["virtual"], m["default"]) for m in mappings] == [
        (stored["id"], False, True), (bucket, True, False)]


def test_a_virtual_mapping_can_be_read_by_its_bucket_id(org):
    bucket = bucket_id(org, "readable")
    response = api_call(org, "GET", f"/api/v2/dbrps/{bucket}", params={"orgID": org.id})
    assert response.json()["content"]["virtual"] is True


def test_another_orgs_mapping_is_404(org, influxdb):
    mapping = create_mapping(org, bucket_id(org, "mine"), "mine", "rp")
    other = api_call(influxdb, "GET", "/api/v2/orgs", params={"org": influxdb.org})
    other_id = other.json()["orgs"][0]["id"]
    response = api_call(org, "GET", f"/api/v2/dbrps/{mapping['id']}", params={"orgID": other_id})
    assert response.status_code == 404


@pytest.mark.parametrize("database", ["", ".", "..", "a/b", "a\\b", "tab\there", "nb\u00a0sp",
                                      "line\u2028sep", "zero\u200bwidth", "ideo\u3000space"])
def test_unusable_database_names_are_400(org, database):
    response = post_mapping(org, bucket_id(org, "names"), database, "rp")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("database", [" ", " lead", "a{b}", "x${y}", "ünïcødé", "cron: 1"])
def test_printable_database_names_are_mapped(org, database):
    """Go's unicode.IsPrint: any letter, mark, number, punctuation or symbol, and ' '."""
    assert create_mapping(org, bucket_id(org, "names"), database, "rp")["database"] == database


def test_a_database_longer_than_its_index_key_takes_is_413_key_too_large(org):
    """bolt keys are at most 32768 bytes; a mapping is indexed by org ID, database, '/' and
    its ID: the longest database is 32735 bytes."""
    bucket = bucket_id(org, "long")
    assert create_mapping(org, bucket, "d" * 32735, "rp")["database"] == "d" * 32735
    response = post_mapping(org, bucket, "d" * 32736, "rp")
    assert response.status_code == 413
    assert response.json()["code"] == "request too large"


def test_mapping_a_missing_bucket_is_404(org):
    response = post_mapping(org, "0123456789abcdef", "db", "rp")
    assert response.status_code == 404
    assert response.json()["message"] == "bucket not found"


def test_patch_changes_only_the_retention_policy_and_default(org):
    mapping = create_mapping(org, bucket_id(org, "fixed"), "fixed", "rp")
    response = api_call(org, "PATCH", f"/api/v2/dbrps/{mapping['id']}", params={"orgID": org.id},
                        json={"database": "other", "bucketID": "0123456789abcdef"})
    assert response.json()["content"] == mapping


def test_mapping_permissions_are_bucket_permissions(org):
    readable, writable = bucket_id(org, "readable"), bucket_id(org, "writable")
    mapping = create_mapping(org, readable, "readable", "rp")
    token = scoped_token(org, ("read", "buckets", readable), ("write", "buckets", writable),
                         ("read", "buckets", writable), ("write", "buckets", readable))
    reader = scoped_token(org, ("read", "buckets", readable))
    writer = scoped_token(org, ("write", "buckets", writable))
    assert {m["bucketID"] for m in listed(org, token=reader)} == {readable}
    denied = post_mapping(org, readable, "readable", "two", token=reader)
    assert (denied.status_code, denied.json()["message"]) == (
        401, f"write:orgs/{org.id}/buckets/{readable} is unauthorized")
    denied = post_mapping(org, writable, "writable", "rp", token=writer)
    assert (denied.status_code, denied.json()["message"]) == (
        401, f"read:orgs/{org.id}/buckets/{writable} is unauthorized")
    assert post_mapping(org, writable, "writable", "rp", token=token).status_code == 201
    response = api_call(org, "DELETE", f"/api/v2/dbrps/{mapping['id']}", token=reader,
                        params={"orgID": org.id})
    assert response.status_code == 401


def test_the_list_filters_on_whether_a_mapping_is_the_default(org):
    bucket = bucket_id(org, "filtered")
    default = create_mapping(org, bucket, "filtered", "one")
    other = create_mapping(org, bucket, "filtered", "two")
    assert [m["id"] for m in listed(org, db="filtered", default="true")] == [default["id"]]
    # The bucket's virtual mapping (not the default: it has stored ones) is left out.
    assert [m["id"] for m in listed(org, db="filtered", default="false")] == [other["id"]]
    response = api_call(org, "GET", "/api/v2/dbrps", params={"orgID": org.id,
                                                             "default": "maybe"})
    assert response.status_code == 400
