"""Authorizations (tokens) behave like InfluxDB's: the order of the 400/401/403 checks, "grant
only what you hold", status changes, and the token value on reads (2.7) or not (hashed tokens:
2.8 with --use-hashed-tokens, 2.9 by default)."""

from __future__ import annotations

import re

import pytest

from testbed.influx.contract import api_call, user_id, with_token
from testbed.influx.seed import scoped_token


def permission(org, action: str, kind: str, **resource) -> dict:
    return {"action": action, "resource": {"type": kind, "orgID": org.id, **resource}}


def post_token(org, permissions: list[dict], token: str | None = None, **fields):
    return api_call(org, "POST", "/api/v2/authorizations", token=token,
                    json={"orgID": org.id, "permissions": permissions, **fields})


def create_token(org, permissions: list[dict], **fields) -> dict:
    response = post_token(org, permissions, **fields)
    assert response.status_code == 201, response.status_code
    return with_token(response.json())


def org_bucket_reads(org, token: str) -> int:
    return api_call(org, "GET", "/api/v2/buckets", token=token,
                    params={"orgID": org.id}).status_code


@pytest.mark.parametrize(("change", "message"), [
    ({"permissions": []}, "authorization must include permissions"),
    ({"permissions": [{"action": "delete", "resource": {"type": "buckets"}}]}, "action"),
    ({"permissions": [{"action": "read", "resource": {"type": "bucket"}}]}, "resource type"),
    ({"orgID": ""}, "invalid json structure: id must have a length of 16 bytes"),
    ({"orgID": None}, "org id required: invalid ID"),
    ({"userID": "zzzzzzzzzzzzzzzz"}, "invalid json structure: invalid ID"),
    ({"status": "paused"}, "status"),
])
def test_a_malformed_request_is_400(org, change, message):
    body = {"orgID": org.id, "permissions": [permission(org, "read", "buckets")], **change}
    response = api_call(org, "POST", "/api/v2/authorizations", json=body)
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_the_new_token_is_88_url_safe_characters_and_works(org):
    created = create_token(org, [permission(org, "read", "buckets")], description="reader")
    well_formed = re.fullmatch(r"[A-Za-z0-9_=-]{88}", created["token"]) is not None
    assert well_formed, "the token is not 88 URL-safe base64 characters"
    assert (created["status"], created["description"], created["org"]) == ("active", "reader",
                                                                           org.name)
    assert created["permissions"][0]["resource"]["org"] == org.name
    assert org_bucket_reads(org, created["token"]) == 200


def test_a_token_without_write_on_authorizations_gets_401_before_any_403(org):
    reader = scoped_token(org, ("read", "buckets", None))
    response = post_token(org, [permission(org, "write", "tasks")], token=reader)
    assert response.status_code == 401
    assert response.json()["message"] == f"write:orgs/{org.id}/authorizations is unauthorized"


def test_asking_for_a_permission_the_caller_does_not_hold_is_403(org):
    granter = create_token(org, [permission(org, "write", "authorizations"),
                                 permission(org, "read", "buckets"),
                                 {"action": "write", "resource": {"type": "users",
                                                                  "id": user_id(org)}}])["token"]
    wanted = permission(org, "write", "buckets")
    response = post_token(org, [wanted], token=granter)
    assert response.status_code == 403
    denied = f"write:orgs/{org.id}/buckets"
    assert response.json() == {"code": "forbidden", "message": f"permission {denied} is not "
                                                               f"allowed: {denied} is unauthorized"}
    assert post_token(org, [permission(org, "read", "buckets")], token=granter).status_code == 201


def test_a_permission_for_another_org_is_400(org, influxdb):
    other = api_call(influxdb, "GET", "/api/v2/orgs", params={"org": influxdb.org})
    foreign = {"action": "read", "resource": {"type": "buckets",
                                              "orgID": other.json()["orgs"][0]["id"]}}
    response = post_token(org, [foreign])
    assert response.status_code == 400
    assert "is not for org id" in response.json()["message"]


def test_reads_show_the_token_value_as_in_2_7(org):
    created = create_token(org, [permission(org, "read", "buckets")])
    got = api_call(org, "GET", f"/api/v2/authorizations/{created['id']}").json()
    listed = api_call(org, "GET", "/api/v2/authorizations", params={"orgID": org.id}).json()
    # Compared as booleans so that a failure does not print the tokens.
    shown_by_get = got["token"] == created["token"]
    shown_by_list = [a["token"] for a in listed["authorizations"]] == [created["token"]]
    assert shown_by_get and shown_by_list, "a read did not show the token value"


@pytest.mark.hashed_tokens  # on influxd 2.8.0 --use-hashed-tokens and the emulator's mode
def test_with_hashed_tokens_only_the_creation_answer_carries_the_token(org):
    created = create_token(org, [permission(org, "read", "buckets")])
    assert len(created["token"]) == 88
    got = api_call(org, "GET", f"/api/v2/authorizations/{created['id']}").json()
    listed = api_call(org, "GET", "/api/v2/authorizations", params={"orgID": org.id}).json()
    patched = api_call(org, "PATCH", f"/api/v2/authorizations/{created['id']}",
                       json={"description": "renamed"}).json()
    hidden = got["token"] == patched["token"] == "" and all(
        a["token"] == "" for a in listed["authorizations"])
    assert hidden, "a read showed a token value"
    assert org_bucket_reads(org, created["token"]) == 200


def test_an_inactive_token_is_let_in_but_sees_nothing_and_may_do_nothing(org):
    created = create_token(org, [permission(org, "read", "buckets"),
                                 permission(org, "write", "buckets"),
                                 permission(org, "read", "tasks")])
    path = f"/api/v2/authorizations/{created['id']}"
    patched = api_call(org, "PATCH", path, json={"status": "inactive"}).json()
    assert patched["status"] == "inactive"
    token = created["token"]
    buckets = api_call(org, "GET", "/api/v2/buckets", token=token, params={"orgID": org.id})
    assert (buckets.status_code, buckets.json()["buckets"]) == (200, [])
    bucket_id = api_call(org, "GET", "/api/v2/buckets", params={"orgID": org.id}).json()[
        "buckets"][0]["id"]
    read = api_call(org, "GET", f"/api/v2/buckets/{bucket_id}", token=token)
    assert (read.status_code, read.json()["message"]) == (401, "token is inactive")
    made = api_call(org, "POST", "/api/v2/buckets", token=token,
                    json={"orgID": org.id, "name": "never", "retentionRules": []})
    assert (made.status_code, made.json()["message"]) == (401, "token is inactive")
    tasks = api_call(org, "GET", "/api/v2/tasks", token=token, params={"orgID": org.id})
    assert (tasks.status_code, tasks.json()["tasks"]) == (200, [])

    api_call(org, "PATCH", path, json={"status": "active"})
    assert org_bucket_reads(org, token) == 200


def test_patch_changes_description_and_status_but_never_permissions(org):
    created = create_token(org, [permission(org, "read", "buckets")])
    response = api_call(org, "PATCH", f"/api/v2/authorizations/{created['id']}", json={
        "description": "renamed", "permissions": [permission(org, "write", "buckets")]})
    assert response.json()["description"] == "renamed"
    assert response.json()["permissions"] == created["permissions"]


def test_a_deleted_token_is_gone_and_no_longer_authenticates(org):
    created = create_token(org, [permission(org, "read", "buckets")])
    path = f"/api/v2/authorizations/{created['id']}"
    assert api_call(org, "DELETE", path).status_code == 204
    assert api_call(org, "GET", path).status_code == 404
    assert api_call(org, "DELETE", path).status_code == 404
    assert org_bucket_reads(org, created["token"]) == 401


def test_a_token_lists_only_the_authorizations_it_may_read(org):
    lister = create_token(org, [permission(org, "read", "authorizations")])["token"]
    response = api_call(org, "GET", "/api/v2/authorizations", token=lister)
    assert response.json()["authorizations"] == []  # it lacks read on the users
