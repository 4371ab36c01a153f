"""The contract check itself: it catches what breaks the OpenAPI contract, and its list of
disagreements is exactly what the server answers beyond the contract.

Every other emulator test checks each answer it gets through `api_call`; these tests prove that
check is not vacuous and that the one list of exceptions is neither stale nor incomplete.
"""

from __future__ import annotations

import json

import pytest

from testbed.influx.contract import (
    CONTRACT_PATH,
    UNDOCUMENTED,
    api_call,
    contract,
    user_id,
)
from testbed.influx.seed import scoped_token

pytestmark = pytest.mark.skipif(
    contract() is None, reason=f"the OpenAPI contract is absent: {CONTRACT_PATH} not found")


def test_a_body_of_the_wrong_shape_breaks_the_contract(influxdb):
    response = api_call(influxdb, "GET", "/api/v2/orgs")
    response._content = json.dumps({"orgs": [{"id": 7}]}).encode()
    assert contract().problems(response)


def test_an_undocumented_status_breaks_the_contract(influxdb):
    response = api_call(influxdb, "GET", "/api/v2/orgs")
    response.status_code = 418
    assert "status 418 is not documented for GET /orgs" in contract().problems(response)[0]


def test_paths_the_contract_does_not_describe_are_not_checked(influxdb):
    response = api_call(influxdb, "GET", "/api/v2/not-in-the-contract")
    assert response.status_code == 404
    assert contract().problems(response) == []


def test_the_mended_contract_validates_wrapped_mappings_and_the_version_header(org):
    bucket = api_call(org, "POST", "/api/v2/buckets", json={"orgID": org.id, "name": "b"})
    mapping = api_call(org, "GET", f"/api/v2/dbrps/{bucket.json()['id']}",
                       params={"orgID": org.id})
    ping = api_call(org, "GET", "/ping", token="")
    assert contract().problems(mapping) == contract().problems(ping) == []


def test_the_listed_undocumented_answers_are_exactly_what_the_server_gives(org, influxdb,
                                                                          fresh_influxdb):
    answers = set()

    def call(server, method: str, path: str, **kwargs) -> dict:
        response = api_call(server, method, path, **kwargs)
        answers.add(contract().undocumented_answer(response))
        return response.json() if response.content else {}

    one = call(org, "POST", "/api/v2/buckets", json={"orgID": org.id, "name": "one"})
    call(org, "POST", "/api/v2/buckets", json={"orgID": org.id, "name": "two"})
    mapping = {"orgID": org.id, "bucketID": one["id"], "database": "one",
               "retention_policy": "rp"}
    # 1. conflicts are 422
    call(org, "POST", "/api/v2/orgs", json={"name": org.name})
    call(org, "PATCH", f"/api/v2/buckets/{one['id']}", json={"name": "two"})
    call(org, "POST", "/api/v2/dbrps", json=mapping)
    call(org, "POST", "/api/v2/dbrps", json=mapping)
    call(influxdb, "POST", "/api/v2/setup", token="",
         json={"username": "u", "org": "o", "bucket": "b"})
    # 6. a missing bucket name is a 404
    call(org, "GET", "/api/v2/buckets", params={"orgID": org.id, "name": "absent"})
    # 11. errors the contract leaves out
    call(org, "GET", "/api/v2/buckets", params={"limit": 0})
    call(org, "GET", "/api/v2/buckets/not-an-id")
    call(org, "GET", "/api/v2/tasks", params={"limit": 0})
    call(org, "GET", "/api/v2/orgs/0123456789abcdef/secrets")
    call(org, "GET", "/api/v2/users/0123456789abcdef")
    call(fresh_influxdb, "POST", "/api/v2/setup", token="",
         json={"username": "u", "password": "short", "org": "o", "bucket": "b"})
    # 12. a name longer than its index key takes is a 413
    call(org, "POST", "/api/v2/buckets", json={"orgID": org.id, "name": "x" * 32753})
    call(org, "PATCH", f"/api/v2/buckets/{one['id']}", json={"name": "y" * 32753})
    call(org, "POST", "/api/v2/dbrps", json={**mapping, "database": "d" * 32736})
    reader = scoped_token(org, ("read", "orgs", org.id), ("read", "secrets", None),
                          ("write", "authorizations", None), ("write", "users", user_id(org)))
    call(org, "PATCH", f"/api/v2/orgs/{org.id}/secrets", token=reader, json={"k": "v"})
    call(org, "POST", "/api/v2/authorizations", token=reader, json={
        "orgID": org.id, "permissions": [
            {"action": "write", "resource": {"type": "buckets", "orgID": org.id}}]})
    # 13. dashboards and variables as the source renders them
    dashboard = call(org, "POST", "/api/v2/dashboards", json={
        "orgID": org.id, "name": "d", "cells": [{"name": "c", "x": 0, "y": 0, "w": 1, "h": 1}]})
    call(org, "PATCH", f"/api/v2/dashboards/{dashboard['id']}/cells/"
                       f"{dashboard['cells'][0]['id']}/view",
         json={"name": "c", "properties": {"type": "xy"}})
    variable = {"orgID": org.id, "name": "v", "arguments": {"type": "constant", "values": []}}
    made = call(org, "POST", "/api/v2/variables", json=variable)
    call(org, "POST", "/api/v2/variables", json=variable)
    call(org, "PATCH", f"/api/v2/variables/{made['id']}", json={})
    assert answers - {None} == UNDOCUMENTED
