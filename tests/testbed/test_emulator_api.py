"""Rules every route shares (authentication first, error bodies, IDs), health and setup routes,
orgs and secrets, as InfluxDB 2.7 has them."""

from __future__ import annotations

import pytest
import requests

from testbed.influx.contract import api_call, with_token
from testbed.influx.seed import scoped_token


def test_ping_answers_204_with_build_and_version_headers(influxdb):
    for method in ("GET", "HEAD"):
        response = api_call(influxdb, method, "/ping", token="")
        assert response.status_code == 204
        assert response.headers["X-Influxdb-Build"] == "OSS"
        assert response.headers["X-Influxdb-Version"].startswith("v2.")


def test_health_and_ready_need_no_token(influxdb):
    health = api_call(influxdb, "GET", "/health", token="").json()
    assert (health["name"], health["status"]) == ("influxdb", "pass")
    assert api_call(influxdb, "GET", "/ready", token="").json()["status"] == "ready"


def test_the_api_root_lists_the_routes_without_a_token(influxdb):
    # The contract knows the root only as `/api/v2/`, which needs a token (below).
    routes = requests.get(influxdb.url + "/api/v2", timeout=10).json()
    assert (routes["buckets"], routes["tasks"]) == ("/api/v2/buckets", "/api/v2/tasks")


@pytest.mark.parametrize("path", ["/api/v2/", "/api/v2/setup/"])
def test_a_public_api_path_with_a_trailing_slash_needs_a_token(influxdb, path):
    # influxd's list of public paths matches exactly; the router then ignores the slash.
    assert requests.get(influxdb.url + path, timeout=10).status_code == 401
    assert influxdb.api("GET", path).status_code == 200


def test_a_set_up_server_refuses_onboarding_with_422(influxdb):
    assert api_call(influxdb, "GET", "/api/v2/setup", token="").json() == {"allowed": False}
    response = api_call(influxdb, "POST", "/api/v2/setup", token="",
                        json={"username": "u", "org": "o", "bucket": "b"})
    assert response.status_code == 422
    assert response.json()["code"] == "conflict"


def test_onboarding_with_a_short_password_is_400_and_sets_up_nothing(fresh_influxdb):
    response = api_call(fresh_influxdb, "POST", "/api/v2/setup", token="", json={
        "username": "u", "password": "short", "org": "o", "bucket": "b"})
    assert response.status_code == 400
    assert response.json() == {"code": "invalid",
                               "message": "passwords must be between 8 and 72 characters long"}
    assert api_call(fresh_influxdb, "GET", "/api/v2/setup", token="").json() == {"allowed": True}


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_a_missing_or_unknown_token_is_401_unauthorized_access(influxdb, token):
    response = api_call(influxdb, "GET", "/api/v2/buckets", token=token)
    assert response.status_code == 401
    assert response.json() == {"code": "unauthorized", "message": "unauthorized access"}
    assert response.headers["X-Platform-Error-Code"] == "unauthorized"
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_authentication_runs_before_routing(influxdb):
    assert api_call(influxdb, "GET", "/api/v2/no-such-thing", token="").status_code == 401
    response = api_call(influxdb, "GET", "/api/v2/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not found"


def test_the_bearer_scheme_is_accepted_like_token(influxdb):
    response = api_call(influxdb, "GET", "/api/v2/orgs", token="",
                        headers={"Authorization": f"Bearer {influxdb.token}"})
    assert response.status_code == 200


@pytest.mark.parametrize(("bad_id", "message"), [
    ("abc", "id must have a length of 16 bytes"), ("zzzzzzzzzzzzzzzz", "invalid ID"),
    ("0000000000000000", "invalid ID")])
def test_malformed_ids_are_400(influxdb, bad_id, message):
    response = api_call(influxdb, "GET", f"/api/v2/buckets/{bad_id}")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": message}


def test_an_org_is_found_by_name_and_an_unknown_name_is_404(org):
    found = api_call(org, "GET", "/api/v2/orgs", params={"org": org.name}).json()["orgs"]
    assert [o["id"] for o in found] == [org.id]
    response = api_call(org, "GET", "/api/v2/orgs", params={"org": f"{org.name}-missing"})
    assert response.status_code == 404
    assert response.json()["message"] == f'organization name "{org.name}-missing" not found'


def test_an_org_the_token_cannot_read_is_listed_as_nothing(org):
    token = scoped_token(org, ("read", "buckets", None))
    response = api_call(org, "GET", "/api/v2/orgs", token=token, params={"org": org.name})
    assert response.status_code == 200
    assert response.json()["orgs"] == []


def test_an_org_is_found_by_id_and_an_unknown_id_is_404(org):
    assert api_call(org, "GET", f"/api/v2/orgs/{org.id}").json()["name"] == org.name
    response = api_call(org, "GET", "/api/v2/orgs/0123456789abcdef")
    assert response.status_code == 404
    assert response.json()["message"] == "organization not found"


def test_a_duplicate_org_name_is_422(org):
    response = api_call(org, "POST", "/api/v2/orgs", json={"name": org.name})
    assert response.status_code == 422
    assert response.json()["code"] == "conflict"


def test_deleting_an_org_deletes_what_it_owns(emulator):
    created = api_call(emulator, "POST", "/api/v2/orgs", json={"name": "doomed"}).json()
    bucket = api_call(emulator, "POST", "/api/v2/buckets",
                      json={"orgID": created["id"], "name": "b"}).json()
    task = api_call(emulator, "POST", "/api/v2/tasks", json={
        "orgID": created["id"], "flux": 'option task = {name: "t", every: 1h}'}).json()
    token = with_token(api_call(emulator, "POST", "/api/v2/authorizations", json={
        "orgID": created["id"], "permissions": [
            {"action": "read", "resource": {"type": "buckets", "orgID": created["id"]}}]}).json())
    api_call(emulator, "PATCH", f"/api/v2/orgs/{created['id']}/secrets", json={"k": "v"})
    assert api_call(emulator, "DELETE", f"/api/v2/orgs/{created['id']}").status_code == 204
    assert api_call(emulator, "GET", f"/api/v2/buckets/{bucket['id']}").status_code == 404
    assert api_call(emulator, "GET", f"/api/v2/tasks/{task['id']}").status_code == 404
    assert api_call(emulator, "GET", f"/api/v2/authorizations/{token['id']}").status_code == 404
    assert api_call(emulator, "GET", "/api/v2/buckets", token=token["token"]).status_code == 401
    assert api_call(emulator, "GET", f"/api/v2/orgs/{created['id']}/secrets").status_code == 404
    assert api_call(emulator, "POST", "/api/v2/orgs", json={"name": "doomed"}).status_code == 201


def secret_keys(org, token: str | None = None) -> list[str]:
    response = api_call(org, "GET", f"/api/v2/orgs/{org.id}/secrets", token=token)
    assert response.status_code == 200, response.text
    return response.json()["secrets"]


def test_secrets_are_upserted_listed_by_key_and_deleted(org):
    path = f"/api/v2/orgs/{org.id}/secrets"
    for values in ({"slack": "https://a", "other": "x"}, {"slack": "https://b"}):
        assert api_call(org, "PATCH", path, json=values).status_code == 204
    assert secret_keys(org) == ["other", "slack"]
    assert api_call(org, "POST", f"{path}/delete", json={"secrets": ["other"]}).status_code == 204
    assert api_call(org, "DELETE", f"{path}/slack").status_code == 204
    assert secret_keys(org) == []


def test_secrets_of_an_org_the_token_cannot_read_are_404(org):
    token = scoped_token(org, ("read", "secrets", None))
    response = api_call(org, "GET", f"/api/v2/orgs/{org.id}/secrets", token=token)
    assert response.status_code == 404


def test_secrets_need_secret_permissions_in_the_org(org):
    reader = scoped_token(org, ("read", "orgs", org.id), ("read", "secrets", None))
    assert secret_keys(org, token=reader) == []
    response = api_call(org, "PATCH", f"/api/v2/orgs/{org.id}/secrets", token=reader,
                        json={"k": "v"})
    assert response.status_code == 401


def test_users_are_created_read_and_deleted_with_user_permissions(org):
    created = api_call(org, "POST", "/api/v2/users", json={"name": f"{org.name}-user"})
    assert created.status_code == 201
    path = f"/api/v2/users/{created.json()['id']}"
    assert api_call(org, "GET", path).json()["name"] == f"{org.name}-user"
    scoped = scoped_token(org, ("write", "buckets", None))
    assert api_call(org, "POST", "/api/v2/users", token=scoped,
                    json={"name": "intruder"}).status_code == 401
    assert api_call(org, "DELETE", path, token=scoped).status_code == 401
    assert api_call(org, "DELETE", path).status_code == 204
    assert api_call(org, "GET", path).status_code == 404
