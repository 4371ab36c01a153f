"""The official InfluxDB OSS OpenAPI contract, and the one list of where InfluxDB disagrees.

`check_response` validates a response against the contract: its status must be one the
contract documents for the operation (not only through `default`) and its JSON body must match
the schema. The server follows its source where the contract disagrees (influxdb-api.md,
"Contract vs source"), so those responses are listed below, once, and nowhere else.
`api_call` makes a request and checks its response; tests use it for every API call they make.
Tokens the tests hold are `Token`s, so that no failure report prints one.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import requests
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from testbed.paths import SHARED

CONTRACT_PATH = (SHARED / "reference"
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
        ("POST", "/orgs", 422), ("PATCH", "/buckets/{bucketID}", 422), ("POST", "/dbrps", 422),
        ("POST", "/setup", 422))),
    Disagreement("2. DBRP get, patch, delete and list require org or orgID (else 400)"),
    Disagreement("3. DBRP permissions are bucket permissions"),
    Disagreement("4. POST /dbrps answers the bare mapping; GET and PATCH wrap it in content"),
    Disagreement("5. POST /buckets takes no org name: without orgID it is a 400"),
    Disagreement("6. GET /buckets?name=&orgID= is a 404 when the bucket is absent", _answers(
        ("GET", "/buckets", 404))),
    Disagreement("7. A retention under 1h is a 500 internal error"),
    Disagreement("8. Reading a task the token may not read is a 404, not a 401"),
    Disagreement("9. The token is on every GET in 2.7, only in the POST answer in 2.9"),
    # Found while validating, beyond influxdb-api.md's list.
    Disagreement("10. X-Influxdb-Version is the version string (v2.7.12), not an integer"),
    Disagreement("11. Errors the contract leaves out: bad paging or IDs 400, a missing or "
                 "unreadable org's secrets 404, writing secrets without permission 401, "
                 "granting what the caller lacks 403, a missing user 404, an onboarding "
                 "password out of bounds 400", _answers(
                     ("GET", "/buckets", 400), ("GET", "/buckets/{bucketID}", 400),
                     ("GET", "/tasks", 400), ("GET", "/orgs/{orgID}/secrets", 404),
                     ("PATCH", "/orgs/{orgID}/secrets", 401), ("POST", "/authorizations", 403),
                     ("GET", "/users/{userID}", 404), ("POST", "/setup", 400))),
    Disagreement("12. A name longer than its bolt index key takes (a bucket name over 32752 "
                 "bytes, a DBRP database over 32735) is a 413 \"key too large\"", _answers(
                     ("POST", "/buckets", 413), ("PATCH", "/buckets/{bucketID}", 413),
                     ("POST", "/dbrps", 413))),
    Disagreement("13. Dashboards and variables as the source renders them: a view's lists and "
                 "axes are null until set (Go nil slices), a new view is {shape: empty}, a "
                 "variable's selected is null, a dashboard matches both of the contract's "
                 "answer shapes; view properties without shape chronograf-v2 are a 500, a "
                 "PATCH of a variable without content a 400, a taken variable name a 422",
                 _answers(("PATCH", "/dashboards/{dashboardID}/cells/{cellID}/view", 500),
                          ("PATCH", "/variables/{variableID}", 400),
                          ("POST", "/variables", 422))),
)
UNDOCUMENTED = frozenset().union(*(d.undocumented for d in DISAGREEMENTS))


def _repaired(spec: dict) -> dict:
    """The contract with its defects mended so a validator can use it.

    DBRPGet says `required: true` on a property (not valid OpenAPI; openapi-core crashes on
    it), and /ping types X-Influxdb-Version as an integer (disagreement 10).
    """
    del spec["components"]["schemas"]["DBRPGet"]["properties"]["content"]["required"]
    for method in ("get", "head"):
        headers = spec["paths"]["/ping"][method]["responses"]["204"]["headers"]
        headers["X-Influxdb-Version"]["schema"] = {"type": "string"}
    _loosen_dashboards(spec)
    return spec


def _loosen_dashboards(spec: dict) -> None:
    """Disagreement 13: a view's properties as Go's zero values leave them (null, ""), the
    empty view, and the dashboard answers' oneOf read as anyOf (both shapes match one)."""
    schemas = spec["components"]["schemas"]
    schemas["Variable"]["properties"]["selected"]["nullable"] = True
    zero = {"type": "string", "enum": ["", None], "nullable": True}
    for name, schema in schemas.items():
        if name.endswith("ViewProperties") or name == "LinePlusSingleStatProperties":
            # Go's zero values: a nil slice or map is null, an unset string "" (enums too).
            schema["properties"] = {key: {"anyOf": [value, zero]}
                                    for key, value in schema.get("properties", {}).items()}
    empty = {"type": "object", "properties": {"shape": {"type": "string", "enum": ["empty"]}},
             "required": ["shape"], "additionalProperties": False}
    schemas["ViewProperties"] = {"anyOf": [*schemas["ViewProperties"]["oneOf"], empty]}
    for path, method, status in (("/dashboards", "post", "201"),
                                 ("/dashboards/{dashboardID}", "get", "200")):
        content = spec["paths"][path][method]["responses"][status]["content"]
        content["application/json"]["schema"] = {
            "anyOf": content["application/json"]["schema"]["oneOf"]}


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
            template = re.sub(r"\{\w+\}", "[^/]+", path.rstrip("/"))
            pattern = re.compile(f"^{prefix}{template}/?$")
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

    def undocumented_answer(self, response: requests.Response) -> tuple[str, str, int] | None:
        """(method, contract path, status) when the contract does not list the status."""
        request = response.request
        operation = self.operation(request.method, requests.utils.urlparse(request.url).path)
        if operation is None or response.status_code in operation.statuses:
            return None
        return operation.method, operation.path, response.status_code

    def problems(self, response: requests.Response) -> list[str]:
        """Why the response breaks the contract (nothing for paths it does not describe)."""
        request = response.request
        if self.operation(request.method, requests.utils.urlparse(request.url).path) is None:
            return []
        found = []
        answer = self.undocumented_answer(response)
        if answer and answer not in UNDOCUMENTED:
            found.append("status {2} is not documented for {0} {1}".format(*answer))
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


class Token(str):
    """A token value whose repr hides it: pytest prints the arguments of failing calls. `id` is
    its authorization's ID, kept from the create's answer: the only answer that carries the
    value on a server that hashes tokens, so a token is never looked up by its value."""

    id: str | None = None

    def __repr__(self) -> str:
        return "Token(<redacted>)"


def with_token(authorization: dict) -> dict:
    """An authorization from a response, its token value wrapped in Token."""
    return {**authorization, "token": Token(authorization["token"])}


def api_call(server: Any, method: str, path: str, token: str | None = None,
             **kwargs: Any) -> requests.Response:
    """Call the API of `server` (an InfluxServer or InfluxOrg) as `token` (default: the
    operator's; "" for none), and check the response against the contract."""
    __tracebackhide__ = True  # pytest would print the arguments, token included
    token = server.token if token is None else token
    headers = {"Authorization": f"Token {token}"} if token else {}
    headers |= kwargs.pop("headers", {})
    response = _session.request(method, server.url + path, headers=headers, timeout=30, **kwargs)
    check_response(response)
    return response


def user_id(server: Any) -> str:
    """The ID of the user the operator token belongs to."""
    return api_call(server, "GET", "/api/v2/me").json()["id"]
