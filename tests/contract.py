"""The official InfluxDB OSS OpenAPI contract, and the one list of where InfluxDB disagrees.

`check_response` validates a response against the contract: its status must be one the
contract documents for the operation (not only through `default`) and its JSON body must match
the schema. The server follows its source where the contract disagrees (influxdb-api.md,
"Contract vs source"), so those responses are listed below, once, and nowhere else.
`api_call` makes a request and checks its response; tests use it for every API call they make.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

CONTRACT_PATH = (Path(__file__).resolve().parents[1].parent / "shared" / "reference"
                 / "influxdb-oss-openapi.yml")
# Paths in the contract are relative to /api/v2, except these (their operations override the
# server with "").
ROOT_PATHS = ("/ping", "/health", "/ready")


@dataclass(frozen=True)
class Disagreement:
    """Where InfluxDB's source (which the server follows) and the contract part ways."""

    rule: str
    # (method, contract path, status) answers the source gives and the contract does not list.
    undocumented: frozenset[tuple[str, str, int]] = field(default_factory=frozenset)


def _answers(*answers: tuple[str, str, int]) -> frozenset[tuple[str, str, int]]:
    return frozenset(answers)


DISAGREEMENTS = (
    # The numbered list of influxdb-api.md, "Contract vs source".
    Disagreement("1. Conflicts are 422 with code conflict, never 409", _answers(
        ("POST", "/orgs", 422), ("PATCH", "/buckets/{bucketID}", 422),
        ("POST", "/dbrps", 422), ("PATCH", "/dbrps/{dbrpID}", 422), ("POST", "/setup", 422))),
    Disagreement("2. DBRP get/patch/delete/list require org or orgID (else 400)", _answers(
        ("DELETE", "/dbrps/{dbrpID}", 400))),
    Disagreement("3. DBRP permissions are bucket permissions: without them, 401",
                 _answers(("POST", "/dbrps", 401))),
    Disagreement("4. POST /dbrps answers the bare mapping; GET and PATCH wrap it in content"),
    Disagreement("5. POST /buckets takes no org name: without orgID it is a 400"),
    Disagreement("6. GET /buckets?name=&orgID= is a 404 when the bucket is absent", _answers(
        ("GET", "/buckets", 404), ("GET", "/buckets", 400))),
    Disagreement("7. A retention under 1h is a 500 internal error", _answers(
        ("PATCH", "/buckets/{bucketID}", 500))),
    Disagreement("8. Task failures: GET answers 404 for any failure, PATCH and DELETE the "
                 "inner error's status (401 without permission)", _answers(
                     ("GET", "/tasks", 400), ("GET", "/tasks", 404),
                     ("POST", "/tasks", 404), ("PATCH", "/tasks/{taskID}", 422))),
    Disagreement("9. The token is on every GET in 2.7, only in the POST answer in 2.9"),
    # Found while validating, beyond influxdb-api.md's list.
    Disagreement("10. X-Influxdb-Version is the version string (v2.7.12), not an integer"),
    Disagreement("11. Errors the contract leaves out: unknown org or bucket 404, bad IDs 400, "
                 "tokens without permission 401, system bucket delete 400", _answers(
                     ("GET", "/orgs/{orgID}", 400), ("POST", "/orgs", 400),
                     ("GET", "/orgs/{orgID}/secrets", 404), ("PATCH", "/orgs/{orgID}/secrets", 404),
                     ("POST", "/orgs/{orgID}/secrets/delete", 404),
                     ("DELETE", "/orgs/{orgID}/secrets/{secretID}", 404),
                     ("GET", "/buckets/{bucketID}", 400), ("DELETE", "/buckets/{bucketID}", 401),
                     ("GET", "/dbrps", 404), ("POST", "/dbrps", 403),
                     ("PATCH", "/authorizations/{authID}", 404),
                     ("POST", "/authorizations", 403), ("POST", "/authorizations", 404),
                     ("POST", "/tasks", 401), ("POST", "/tasks", 500),
                     ("PATCH", "/tasks/{taskID}", 500))),
)
UNDOCUMENTED = frozenset().union(*(d.undocumented for d in DISAGREEMENTS))


def _repaired(spec: dict) -> dict:
    """The contract with its two defects mended so a validator can use it.

    DBRPGet says `required: true` on a property (not valid OpenAPI; openapi-core crashes on
    it), and /ping types X-Influxdb-Version as an integer (disagreement 10).
    """
    del spec["components"]["schemas"]["DBRPGet"]["properties"]["content"]["required"]
    for method in ("get", "head"):
        headers = spec["paths"]["/ping"][method]["responses"]["204"]["headers"]
        headers["X-Influxdb-Version"]["schema"] = {"type": "string"}
    return spec


@dataclass(frozen=True)
class _Operation:
    method: str
    path: str
    statuses: frozenset[int]


class Contract:
    def __init__(self, spec: dict) -> None:
        self._api = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))
        self._operations = []
        for path, item in spec["paths"].items():
            prefix = "" if path in ROOT_PATHS else "/api/v2"
            pattern = re.compile("^" + prefix + re.sub(r"\{\w+\}", "[^/]+", path) + "/?$")
            for method, operation in item.items():
                if method == "parameters":
                    continue
                statuses = frozenset(int(s) for s in operation["responses"] if s.isdigit())
                literal = path.count("{")  # literal segments win: /secrets/delete over {id}
                self._operations.append((literal, pattern, _Operation(method.upper(), path,
                                                                     statuses)))
        self._operations.sort(key=lambda entry: entry[0])

    def operation(self, method: str, url_path: str) -> _Operation | None:
        for _, pattern, operation in self._operations:
            if operation.method == method and pattern.match(url_path):
                return operation
        return None

    def problems(self, response: requests.Response) -> list[str]:
        """Why the response breaks the contract (nothing for paths it does not describe)."""
        request = response.request
        url_path = requests.utils.urlparse(request.url).path
        operation = self.operation(request.method, url_path)
        if operation is None:
            return []
        found = []
        status = response.status_code
        if (status not in operation.statuses
                and (operation.method, operation.path, status) not in UNDOCUMENTED):
            found.append(f"status {status} is not documented for {operation.method} "
                         f"{operation.path}")
        try:
            self._api.validate_response(RequestsOpenAPIRequest(request),
                                        RequestsOpenAPIResponse(response))
        except Exception as error:  # the validators raise many types; all mean "invalid"
            cause = error.__cause__ or error
            found.append(f"{type(error).__name__}: {error} ({cause})")
        return found


@functools.cache
def contract() -> Contract | None:
    """The contract, parsed once per test session; None without ../shared/reference."""
    if not CONTRACT_PATH.exists():
        return None
    with CONTRACT_PATH.open() as stream:
        return Contract(_repaired(yaml.load(stream, Loader=yaml.CSafeLoader)))


def check_response(response: requests.Response) -> None:
    """Fail the calling test if the response breaks the contract (when it is available)."""
    loaded = contract()
    problems = loaded.problems(response) if loaded else []
    request = response.request
    assert not problems, f"{request.method} {request.path_url}: " + "; ".join(problems)


_session = requests.Session()


def api_call(server: Any, method: str, path: str, token: str | None = None,
             **kwargs: Any) -> requests.Response:
    """Call the API of `server` (an InfluxServer or InfluxOrg) as `token` (default: the
    operator's; "" for none), and check the response against the contract."""
    token = server.token if token is None else token
    headers = {"Authorization": f"Token {token}"} if token else {}
    response = _session.request(method, server.url + path, headers=headers, timeout=30, **kwargs)
    check_response(response)
    return response


def scoped_token(org: Any, *permissions: tuple[str, str, str | None]) -> str:
    """A new token of the org holding only (action, type, bucket or other ID) permissions,
    each scoped to the org."""
    wanted = [{"action": action, "resource": {"type": kind, "orgID": org.id,
                                              **({"id": item} if item else {})}}
              for action, kind, item in permissions]
    response = api_call(org, "POST", "/api/v2/authorizations",
                        json={"orgID": org.id, "permissions": wanted})
    assert response.status_code == 201, response.text
    return response.json()["token"]
