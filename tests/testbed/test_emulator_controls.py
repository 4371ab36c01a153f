"""The emulator's test controls: the request log and injected faults (emulator only)."""

from __future__ import annotations

import pytest
import requests

from testbed.influx.contract import api_call


def faulted(emulator, method: str, path: str, timeout: float = 10,
            **kwargs) -> requests.Response:
    """A call that may meet an injected fault: its answer is the fault's, not InfluxDB's, so
    it is not checked against the contract."""
    __tracebackhide__ = True  # its locals hold the token
    headers = {"Authorization": f"Token {emulator.token}"}
    return requests.request(method, emulator.url + path, headers=headers, timeout=timeout,
                            **kwargs)


def bucket_names(emulator) -> set[str]:
    response = api_call(emulator, "GET", "/api/v2/buckets", params={"org": emulator.org,
                                                                    "limit": 100})
    return {bucket["name"] for bucket in response.json()["buckets"]}


def org_id(emulator) -> str:
    response = api_call(emulator, "GET", "/api/v2/orgs", params={"org": emulator.org})
    return response.json()["orgs"][0]["id"]


def test_the_request_log_lists_method_path_query_status_and_token_id(emulator):
    # The operator's token is the first one made, at onboarding (never looked up by its value,
    # which a server that hashes tokens does not show).
    operator = min(emulator.api("GET", "/api/v2/authorizations").json()["authorizations"],
                   key=lambda auth: (auth["createdAt"], auth["id"]))["id"]
    emulator.clear_request_log()
    api_call(emulator, "GET", "/api/v2/orgs", params={"org": emulator.org})
    api_call(emulator, "GET", "/api/v2/buckets", token="")
    log = emulator.request_log()
    assert log == [
        {"method": "GET", "path": "/api/v2/orgs", "query": f"org={emulator.org}", "status": 200,
         "authorization": operator},
        {"method": "GET", "path": "/api/v2/buckets", "query": "", "status": 401,
         "authorization": None}]
    assert emulator.token not in str(log)


def test_clearing_the_request_log_empties_it(emulator):
    api_call(emulator, "GET", "/health", token="")
    emulator.clear_request_log()
    assert emulator.request_log() == []


def test_the_controls_need_no_token(emulator):
    assert requests.get(emulator.url + "/_emulator/requests", timeout=10).status_code == 200
    assert requests.get(emulator.url + "/_emulator/nothing", timeout=10).status_code == 404


def test_a_status_fault_fails_count_matching_requests_with_an_error_body(emulator):
    emulator.add_fault(method="GET", path_prefix="/api/v2/orgs", count=2, status=503)
    statuses = [faulted(emulator, "GET", "/api/v2/orgs").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert api_call(emulator, "GET", "/api/v2/buckets").status_code == 200
    failed = emulator.request_log()[0]
    assert (failed["path"], failed["status"]) == ("/api/v2/orgs", 503)


def test_a_fault_only_matches_its_method_and_path_prefix(emulator):
    emulator.add_fault(method="POST", path_prefix="/api/v2/tasks", count=1, status=500)
    assert api_call(emulator, "GET", "/api/v2/tasks").status_code == 200
    assert api_call(emulator, "POST", "/api/v2/buckets", json={}).status_code == 400
    response = faulted(emulator, "POST", "/api/v2/tasks", json={})
    assert response.status_code == 500
    assert response.json() == {"code": "internal error", "message": "injected fault"}


def test_a_429_fault_says_when_to_retry(emulator):
    emulator.add_fault(count=1, status=429)
    emulator.add_fault(count=1, status=429, retry_after=7)
    first, second = (faulted(emulator, "GET", "/api/v2/orgs") for _ in range(2))
    assert (first.status_code, first.headers["Retry-After"]) == (429, "1")
    assert second.headers["Retry-After"] == "7"
    assert first.json()["code"] == "too many requests"


def test_a_delay_fault_holds_the_answer_back(emulator):
    emulator.add_fault(path_prefix="/api/v2/orgs", count=1, delay_s=3)
    with pytest.raises(requests.exceptions.ReadTimeout):
        faulted(emulator, "GET", "/api/v2/orgs", timeout=0.5)
    assert api_call(emulator, "GET", "/api/v2/orgs").status_code == 200


def test_a_drop_fault_closes_the_connection_without_an_answer(emulator):
    emulator.add_fault(path_prefix="/api/v2/buckets", count=1, drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        faulted(emulator, "GET", "/api/v2/buckets")
    assert emulator.request_log()[0]["status"] == 0
    assert api_call(emulator, "GET", "/api/v2/buckets").status_code == 200


def test_an_after_commit_fault_makes_the_change_and_then_fails(emulator):
    emulator.add_fault(method="POST", path_prefix="/api/v2/buckets", count=1, status=503,
                       after_commit=True)
    response = faulted(emulator, "POST", "/api/v2/buckets",
                       json={"orgID": org_id(emulator), "name": "ambiguous-503"})
    assert response.status_code == 503
    assert "ambiguous-503" in bucket_names(emulator)


def test_an_after_commit_drop_makes_the_change_and_drops_the_connection(emulator):
    emulator.add_fault(method="POST", path_prefix="/api/v2/buckets", count=1, drop=True,
                       after_commit=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        faulted(emulator, "POST", "/api/v2/buckets",
                json={"orgID": org_id(emulator), "name": "ambiguous-drop"})
    assert "ambiguous-drop" in bucket_names(emulator)


def test_an_after_commit_delay_makes_the_change_and_answers_late(emulator):
    emulator.add_fault(method="POST", path_prefix="/api/v2/buckets", count=1, delay_s=1.5,
                       after_commit=True)
    with pytest.raises(requests.exceptions.ReadTimeout):
        faulted(emulator, "POST", "/api/v2/buckets", timeout=0.5,
                json={"orgID": org_id(emulator), "name": "slow-answer"})
    assert "slow-answer" in bucket_names(emulator)
    emulator.add_fault(method="POST", path_prefix="/api/v2/buckets", count=1, delay_s=0.2,
                       after_commit=True)
    response = faulted(emulator, "POST", "/api/v2/buckets",
                       json={"orgID": org_id(emulator), "name": "slow-answer-2"})
    assert response.status_code == 201  # the real answer, only late


def test_clearing_the_faults_stops_them(emulator):
    emulator.add_fault(count=5, status=500)
    emulator.clear_faults()
    assert faulted(emulator, "GET", "/api/v2/orgs").status_code == 200
