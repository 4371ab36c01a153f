"""The InfluxDB client against the emulator (or a real server): errors that read as one line and
never show the token, paging by the server's rules, retries of what is safe to retry.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from providers.client import InfluxClient, RetryPolicy
from providers.errors import (
    AmbiguousWrite,
    BadRequest,
    InfluxError,
    ListingChanged,
    NotFound,
    OrgNotFound,
    OrgNotReadable,
    ServerError,
    ServerUnreachable,
    TooManyRequests,
    Unauthorized,
)
from testbed.influx.seed import scoped_token
from testbed.influx.server import InfluxOrg, InfluxServer, create_org, delete_org
from testbed.provider_kinds import create_bucket, task_flux

QUICK = RetryPolicy(base_delay=0.01, max_delay=0.05)


@pytest.fixture(scope="module")
def crowded_org(influxdb: InfluxServer) -> Iterator[InfluxOrg]:
    """An org with more buckets and tasks than one page of each holds."""
    org = create_org(influxdb, prefix="crowded")
    session = requests.Session()
    session.headers["Authorization"] = f"Token {influxdb.token}"
    for number in range(120):
        session.post(f"{influxdb.url}/api/v2/buckets",
                     json={"orgID": org.id, "name": f"b{number:03}"}).raise_for_status()
    for number in range(501):
        session.post(f"{influxdb.url}/api/v2/tasks", json={
            "orgID": org.id, "flux": task_flux(f"t{number:03}")}).raise_for_status()
    yield org
    delete_org(org)


def client_for(server: InfluxServer, token: str | None = None, **options) -> InfluxClient:
    return InfluxClient(server.url, token or server.token, **options)


def logged(emulator: InfluxServer, method: str, path: str) -> list[int]:
    """The statuses the emulator answered to these calls, in order (0: connection dropped)."""
    return [entry["status"] for entry in emulator.request_log()
            if (entry["method"], entry["path"]) == (method, path)]


def test_an_error_reads_as_one_line_naming_the_call_the_status_and_the_server_message(
        org: InfluxOrg):
    with pytest.raises(BadRequest) as raised:
        client_for(org.server).post("/api/v2/tasks", {"orgID": org.id, "flux": "from()"})
    assert str(raised.value).startswith("POST /api/v2/tasks: 400 invalid: invalid options: ")
    assert "\n" not in str(raised.value)


def test_an_unknown_token_is_blamed_by_where_it_came_from_and_never_shown(org: InfluxOrg):
    token = "not-a-token-the-server-knows-0123456789"
    client = client_for(org.server, token)
    with pytest.raises(Unauthorized) as raised:
        client.list_buckets(org.id)
    message = str(raised.value)
    assert message.startswith("GET /api/v2/buckets: 401 unauthorized")
    assert "the token in influxdb:token / INFLUXDB_TOKEN is unknown or inactive" in message
    for text in (str(raised.value), repr(raised.value), repr(client)):
        assert token not in text


def test_an_org_is_found_by_name(org: InfluxOrg):
    assert client_for(org.server).find_org(org.name)["id"] == org.id


def test_an_unknown_org_is_named_in_the_error(org: InfluxOrg):
    with pytest.raises(OrgNotFound, match=r"no organization is named 'nowhere'.*influxdb:org"):
        client_for(org.server).find_org("nowhere")


def test_an_org_the_token_cannot_read_is_told_apart_from_a_missing_one(org: InfluxOrg):
    token = scoped_token(org, ("read", "buckets", None))
    with pytest.raises(OrgNotReadable, match=f"organization '{org.name}' exists but"):
        client_for(org.server, token).find_org(org.name)


def test_buckets_are_listed_a_hundred_a_page_until_an_empty_page(crowded_org: InfluxOrg,
                                                                 emulator: InfluxServer):
    names = {bucket["name"] for bucket in client_for(emulator).list_buckets(crowded_org.id)}
    assert {f"b{number:03}" for number in range(120)} <= names
    queries = [entry["query"] for entry in emulator.request_log()]
    assert [query.split("&")[1:] for query in queries] == [
        ["limit=100", "offset=0"], ["limit=100", "offset=100"], ["limit=100", "offset=200"]]


def test_a_short_page_seen_through_a_scoped_token_does_not_end_the_listing(
        crowded_org: InfluxOrg):
    everything = client_for(crowded_org.server).list_buckets(crowded_org.id)
    wanted = [bucket for bucket in everything if bucket["name"] in ("b005", "b110")]
    response = crowded_org.server.api("POST", "/api/v2/authorizations", json={
        "orgID": crowded_org.id, "permissions": [
            {"action": "read", "resource": {"type": "buckets", "orgID": crowded_org.id,
                                            "id": bucket["id"]}} for bucket in wanted]})
    response.raise_for_status()
    seen = client_for(crowded_org.server, response.json()["token"]).list_buckets(crowded_org.id)
    assert sorted(bucket["name"] for bucket in seen) == ["b005", "b110"]


def test_tasks_are_listed_five_hundred_a_page_after_the_last_id(crowded_org: InfluxOrg,
                                                                emulator: InfluxServer):
    tasks = client_for(emulator).list_tasks(crowded_org.id)
    assert len({task["id"] for task in tasks}) == 501
    queries = [entry["query"] for entry in emulator.request_log()]
    assert len(queries) == 3  # 500, 1, then an empty page
    assert all("limit=500" in query for query in queries)
    assert f"after={tasks[499]['id']}" in queries[1]


def test_a_listing_that_shifts_while_paged_is_an_error_not_a_silent_gap(crowded_org: InfluxOrg):
    client = client_for(crowded_org.server)
    first_page = client.get

    def first_page_then_insert(path: str, params: dict | None = None) -> dict:
        answer = first_page(path, params)
        if params and params.get("offset") == 0:  # a bucket sorting first appears meanwhile
            create_bucket(crowded_org, "a-newcomer")
        return answer

    client.get = first_page_then_insert
    with pytest.raises(ListingChanged, match="buckets changed while being listed"):
        client.list_buckets(crowded_org.id)


def test_reads_and_updates_are_retried_through_503s_and_dropped_connections(
        org: InfluxOrg, emulator: InfluxServer):
    bucket = create_bucket(org)
    emulator.add_fault(method="GET", path_prefix="/api/v2/buckets", count=2, status=503)
    emulator.add_fault(method="PATCH", path_prefix="/api/v2/buckets", count=1, drop=True)
    client = client_for(emulator, retry=QUICK)
    assert client.list_buckets(org.id)
    client.patch(f"/api/v2/buckets/{bucket['id']}", {"description": "patched"})
    assert logged(emulator, "GET", "/api/v2/buckets")[:3] == [503, 503, 200]
    assert logged(emulator, "PATCH", f"/api/v2/buckets/{bucket['id']}") == [0, 200]


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_an_idempotent_call_answered_500_after_it_was_done_is_sent_again(
        org: InfluxOrg, emulator: InfluxServer, method: str):
    bucket = create_bucket(org)
    path = f"/api/v2/buckets/{bucket['id']}"
    emulator.add_fault(method=method, path_prefix=path, count=1, status=500, after_commit=True)
    client = client_for(emulator, retry=QUICK)
    if method == "GET":
        client.get(path)
    else:
        client.patch(path, {"description": "patched"})
    assert logged(emulator, method, path) == [500, 200]


def test_a_delete_answered_500_after_it_was_done_ends_as_gone(org: InfluxOrg,
                                                               emulator: InfluxServer):
    bucket = create_bucket(org)
    path = f"/api/v2/buckets/{bucket['id']}"
    emulator.add_fault(method="DELETE", path_prefix=path, count=1, status=500, after_commit=True)
    with pytest.raises(NotFound):
        client_for(emulator, retry=QUICK).delete(path)
    assert logged(emulator, "DELETE", path) == [500, 404]


def test_a_url_with_a_path_is_not_blamed_on_the_org(org: InfluxOrg):
    client = InfluxClient(org.url + "/influx", org.token, retry=QUICK)
    with pytest.raises(NotFound) as missing:
        client.find_org(org.name)
    assert not isinstance(missing.value, OrgNotFound)
    assert f"{org.url}/influx has no InfluxDB API" in str(missing.value)


def test_a_page_that_is_not_json_is_reported_as_such(org: InfluxOrg, emulator: InfluxServer):
    emulator.add_fault(method="GET", path_prefix="/api/v2/orgs", count=1, status=200,
                       body="<html><body>Sign in</body></html>")
    with pytest.raises(InfluxError) as answered:
        client_for(emulator).find_org(emulator.org)
    assert "is not JSON (text/html; charset=utf-8)" in str(answered.value)
    assert "base URL, with no path" in str(answered.value)


def test_a_host_name_that_does_not_resolve_is_said_so():
    client = InfluxClient("http://influxdb.invalid", "a-token", retry=QUICK)
    with pytest.raises(ServerUnreachable, match="its host name does not resolve"):
        client.find_org("rubin")


def test_a_429_is_retried_after_the_servers_retry_after(org: InfluxOrg, emulator: InfluxServer):
    emulator.add_fault(method="POST", path_prefix="/api/v2/buckets", count=1, status=429)
    client_for(emulator).post("/api/v2/buckets", {"orgID": org.id, "name": "after-a-429"})
    assert logged(emulator, "POST", "/api/v2/buckets") == [429, 201]


def test_a_retry_after_beyond_the_time_budget_gives_up_at_once(emulator: InfluxServer):
    emulator.add_fault(method="GET", path_prefix="/api/v2/orgs", count=1, status=429,
                       retry_after="600")
    with pytest.raises(TooManyRequests, match="GET /api/v2/orgs: 429"):
        client_for(emulator).find_org(emulator.org)
    assert logged(emulator, "GET", "/api/v2/orgs") == [429]


def test_retries_stop_after_the_last_attempt_with_the_servers_answer(emulator: InfluxServer):
    emulator.add_fault(method="GET", path_prefix="/api/v2/orgs", count=10, status=503)
    client = client_for(emulator, retry=RetryPolicy(attempts=3, base_delay=0.01))
    with pytest.raises(ServerError, match="GET /api/v2/orgs: 503"):
        client.find_org(emulator.org)
    assert logged(emulator, "GET", "/api/v2/orgs") == [503, 503, 503]


@pytest.mark.parametrize("fault", [{"status": 503}, {"drop": True}], ids=["503", "dropped"])
def test_a_create_that_failed_ambiguously_is_not_retried_by_the_client(
        org: InfluxOrg, emulator: InfluxServer, fault: dict):
    emulator.add_fault(method="POST", path_prefix="/api/v2/buckets", count=1, **fault)
    with pytest.raises(AmbiguousWrite, match="may or may not have been created"):
        client_for(emulator).post("/api/v2/buckets", {"orgID": org.id, "name": "maybe"})
    assert len(logged(emulator, "POST", "/api/v2/buckets")) == 1


def test_a_dead_server_fails_with_its_url_after_a_few_quick_attempts():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(ServerUnreachable) as raised:
        InfluxClient(url, "token", retry=QUICK).list_buckets("0123456789abcdef")
    assert f"cannot reach the InfluxDB server at {url} (connection refused)" in str(raised.value)
