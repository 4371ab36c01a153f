"""The InfluxDB v2 HTTP client: the only place in the project that speaks HTTP.

Idempotent calls (GET, PATCH, DELETE) are retried with exponential backoff and jitter on
connection errors, timeouts, 429 (honouring Retry-After) and 502/503/504, within a time budget,
so a dead server fails fast with a message naming its URL. A POST is retried only when it surely
never reached the server (connection refused, connect timeout) or was refused with 429; any other
failure of a POST raises `AmbiguousWrite`, and the providers recover through their adopt path
(look for the object, create it only if absent), which can never make a duplicate.
"""

from __future__ import annotations

import itertools
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from providers.errors import (
    AmbiguousWrite,
    InfluxError,
    ListingChanged,
    NotFound,
    OrgNotFound,
    OrgNotReadable,
    ServerUnreachable,
    Unauthorized,
    error_class_for,
)

VERSION = "0.1.0"
USER_AGENT = f"rubin-influx-tools/{VERSION}"
CONFIGURED_TOKEN = "the token in influxdb:token / INFLUXDB_TOKEN"
# refresh and destroy configure the providers from the state unless they run the program.
CHANGED_SINCE_UP = ("if it changed since the last `pulumi up`, run refresh and destroy with "
                    "--run-program (or PULUMI_RUN_PROGRAM=true)")

# A permission as influxd names the one it denied: "write:users/0a1b... is unauthorized",
# "read:orgs/<org ID>/buckets is unauthorized".
DENIED_PERMISSION = re.compile(r"\b(?P<action>read|write):(?:orgs/[0-9a-f]{16}/)?(?P<kind>[a-z]+)")

BUCKET_PAGE = 100  # the server's maximum for buckets
TASK_PAGE = 500  # the server's maximum for tasks
DASHBOARD_PAGE = 100  # the server's maximum for dashboards
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# A 500 may come after the change was made (commit-then-fail): sending these again is safe (a
# PATCH sets the same values, a DELETE already done answers 404, which callers take as done).
IDEMPOTENT_METHODS = frozenset({"GET", "PATCH", "PUT", "DELETE"})

log = logging.getLogger(__name__)

# The URLs that have answered this process: one that stops answering afterwards stopped during
# the run (it was right a moment ago), where one that never answered may be the wrong one.
_answered: set[str] = set()
_answered_lock = threading.Lock()


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: at most `attempts` tries, none started after `budget` seconds."""

    attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 4.0
    budget: float = 20.0

    def backoff(self, attempt: int) -> float:
        """Exponential delay before try `attempt + 1`, half of it random (equal jitter)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class _Retry:
    """Why a try failed in a way worth trying again, and how long to wait first."""

    error: InfluxError
    delay: float


class InfluxClient:
    """A session with one InfluxDB server and one token."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        token_source: str = CONFIGURED_TOKEN,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        self.url = url.rstrip("/")
        self.token_source = token_source
        self.retry = retry
        self._token = token
        self._timeouts = (connect_timeout, read_timeout)
        self._session = requests.Session()
        self._session.headers.update(
            {"Authorization": f"Token {token}", "User-Agent": USER_AGENT,
             "Accept": "application/json"}
        )

    def __repr__(self) -> str:
        return f"InfluxClient(url={self.url!r}, token=<hidden>)"

    @property
    def answer_timeout(self) -> float:
        """Seconds a request waits for the server's answer before it is given up."""
        return self._timeouts[1]

    # Verbs. Paths start with /api/v2; bodies and answers are JSON.
    def get(self, path: str, params: dict | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict, params: dict | None = None) -> Any:
        return self.request("POST", path, params=params, body=body)

    def patch(self, path: str, body: dict, params: dict | None = None) -> Any:
        return self.request("PATCH", path, params=params, body=body)

    def put(self, path: str, body: dict, params: dict | None = None) -> Any:
        return self.request("PUT", path, params=params, body=body)

    def delete(self, path: str, params: dict | None = None) -> None:
        self.request("DELETE", path, params=params)

    def request(self, method: str, path: str, *, params: dict | None = None,
                body: dict | None = None) -> Any:
        """Send one call, retrying what is safe to retry; the decoded answer, None if empty."""
        started = time.monotonic()
        for attempt in itertools.count(1):
            outcome = self._try(method, path, params, body, attempt)
            if not isinstance(outcome, _Retry):
                return outcome
            elapsed = time.monotonic() - started
            if attempt >= self.retry.attempts or elapsed + outcome.delay > self.retry.budget:
                raise outcome.error
            log.warning("%s; retrying in %.1f s (attempt %d of %d)",
                        outcome.error, outcome.delay, attempt + 1, self.retry.attempts)
            time.sleep(outcome.delay)

    def _try(self, method: str, path: str, params: dict | None, body: dict | None,
             attempt: int) -> Any:
        try:
            response = self._session.request(method, self.url + path, params=params, json=body,
                                             timeout=self._timeouts)
        except requests.RequestException as failure:
            return self._unanswered(method, path, failure, attempt)
        with _answered_lock:
            _answered.add(self.url)
        if response.ok:
            return self._decoded(method, path, response)
        error = self._error(method, path, response)
        if isinstance(error, Unauthorized):
            raise error  # a denial, even one answered as a 500: nothing was written
        if method == "POST" and response.status_code >= 500:
            raise AmbiguousWrite(method, path, error.message, status=error.status, code=error.code,
                                 hint="the object may or may not have been created")
        retryable = response.status_code in RETRYABLE_STATUSES or (
            response.status_code == 500 and method in IDEMPOTENT_METHODS)
        if not retryable:
            raise error
        return _Retry(error, _retry_after(response) or self.retry.backoff(attempt))

    def _decoded(self, method: str, path: str, response: requests.Response) -> Any:
        """The JSON answer; a page that is not JSON (a proxy's login or error page) is an error
        that says so, not a decoding traceback."""
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            raise InfluxError(method, path, f"the answer from {self.url} is not JSON ({kind})",
                              status=response.status_code,
                              hint="influxdb:url must be the InfluxDB server's own base URL, "
                                   "with no path, not a proxy's or a web page's") from None

    def _unanswered(self, method: str, path: str, failure: requests.RequestException,
                    attempt: int) -> _Retry:
        reason = _describe(failure, self._timeouts)
        if method == "POST" and not _never_sent(failure):
            raise AmbiguousWrite(method, path, f"{reason} at {self.url}",
                                 hint="the object may or may not have been created") from None
        with _answered_lock:
            answered = self.url in _answered
        if answered:
            error = ServerUnreachable(
                method, path, f"the InfluxDB server at {self.url} stopped answering during the "
                f"run ({reason})", hint="it answered earlier in this run, so the URL is right: "
                "check that InfluxDB is up, then run again; the next run finishes this one's work")
        else:
            error = ServerUnreachable(
                method, path, f"cannot reach the InfluxDB server at {self.url} ({reason})",
                hint=f"check influxdb:url / INFLUXDB_URL; {CHANGED_SINCE_UP}")
        return _Retry(error, self.retry.backoff(attempt))

    def _error(self, method: str, path: str, response: requests.Response) -> InfluxError:
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        message = str(answer.get("message") or response.text[:200] or response.reason)
        status = response.status_code
        if self._token:  # in case a server ever echoes it
            message = message.replace(self._token, "<token>")
        # The task service reports its own permission denials as "failed to ...: unauthorized"
        # with a 500 (404 on a read): a denial, not a server failure nor a missing object.
        denied = status == 401 or (status in (404, 500) and message.endswith(": unauthorized"))
        kind = Unauthorized if denied else error_class_for(status)
        return kind(method, path, message, status=status, code=answer.get("code"),
                    hint=self._permission_hint(method, path, status, message, denied))

    def _permission_hint(self, method: str, path: str, status: int, message: str,
                         denied: bool) -> str:
        action = "read" if method == "GET" else "write"
        kind = path.removeprefix("/api/v2/").split("/")[0]
        if status == 403 and "permission" in message:
            return f"{self.token_source} cannot grant a permission it does not hold"
        if (denied or status == 403) and (named := DENIED_PERMISSION.search(message)):
            return (f"{self.token_source} lacks {named['action']} permission on "
                    f"{named['kind']}, which this call needs")
        if denied:
            hint = (f"{self.token_source} is unknown or inactive, or lacks {action} permission "
                    f"on {kind}")
            # Only the configured token can be stale: resources keep their own in the state.
            rotated = self.token_source == CONFIGURED_TOKEN and status == 401
            return f"{hint}; {CHANGED_SINCE_UP}" if rotated else hint
        if status == 403:
            return f"{self.token_source} lacks {action} permission on {kind}"
        return ""

    # Organizations.
    def find_org(self, name: str) -> dict:
        """The organization called `name`; OrgNotFound / OrgNotReadable say why not."""
        path = "/api/v2/orgs"
        try:
            orgs = self.get(path, params={"org": name})["orgs"]
        except NotFound as missing:
            if "organization" not in missing.message:  # not InfluxDB's answer about the org
                raise NotFound("GET", path, missing.message, status=missing.status,
                               code=missing.code,
                               hint=f"{self.url} has no InfluxDB API: influxdb:url must be the "
                                    "server's base URL, with no path") from None
            raise OrgNotFound("GET", path, f"no organization is named {name!r}",
                              status=missing.status, code=missing.code,
                              hint="check influxdb:org / INFLUXDB_ORG") from None
        if not orgs:
            raise OrgNotReadable("GET", path, f"organization {name!r} exists but is not readable",
                                 hint=f"{self.token_source} lacks read permission on that org")
        return orgs[0]

    def bucket_exists(self, org_id: str, name: str) -> bool:
        """Whether the org has a bucket of this name (a lookup by name, not a listing)."""
        try:
            self.get("/api/v2/buckets", params={"orgID": org_id, "name": name})
        except NotFound:
            return False
        return True

    def secret_keys(self, org_id: str) -> list[str]:
        """The keys of the org's secrets; InfluxDB never answers with their values."""
        return self.get(f"/api/v2/orgs/{org_id}/secrets").get("secrets", [])

    # Listings, each following its endpoint's paging rules.
    def list_buckets(self, org_id: str) -> list[dict]:
        """Every bucket of the org that the token can read, system buckets included."""
        return self._offset_pages("/api/v2/buckets", "buckets", {"orgID": org_id}, BUCKET_PAGE)

    def list_tasks(self, org_id: str) -> list[dict]:
        return self._after_pages("/api/v2/tasks", "tasks", {"orgID": org_id}, TASK_PAGE)

    def list_dbrps(self, org_id: str) -> list[dict]:
        """Stored and virtual DBRP mappings (the endpoint has no paging)."""
        return self.get("/api/v2/dbrps", params={"orgID": org_id})["content"]

    def list_authorizations(self, org_id: str) -> list[dict]:
        """The org's authorizations (the endpoint has no paging)."""
        return self.get("/api/v2/authorizations", params={"orgID": org_id})["authorizations"]

    def list_dashboards(self, org_id: str) -> list[dict]:
        """The org's dashboards, each with its cells' places but not their views.

        influxd ignores an org's dashboard paging unless a feature flag is on, and with it on,
        answers an offset past the end with every dashboard: so a page that brings no new
        dashboard is the end, not a listing that changed.
        """
        found: dict[str, dict] = {}
        offset = 0
        while True:
            page = self.get("/api/v2/dashboards", params={
                "orgID": org_id, "limit": DASHBOARD_PAGE, "offset": offset})["dashboards"]
            new = {item["id"]: item for item in page if item["id"] not in found}
            if not new:
                return list(found.values())
            found.update(new)
            offset += DASHBOARD_PAGE

    def list_variables(self, org_id: str) -> list[dict]:
        """The org's dashboard variables (the endpoint has no paging for an org)."""
        return self.get("/api/v2/variables", params={"orgID": org_id})["variables"]

    def _offset_pages(self, path: str, key: str, params: dict, size: int) -> list[dict]:
        # Permissions filter a page after it is cut, so a short page does not mean the end:
        # only an empty one does, and the offset always moves a whole page.
        return self._collect(path, key, lambda offset, _last: {**params, "limit": size,
                                                               "offset": offset * size})

    def _after_pages(self, path: str, key: str, params: dict, size: int) -> list[dict]:
        return self._collect(path, key, lambda _offset, last: {
            **params, "limit": size, **({"after": last} if last else {})})

    def _collect(self, path: str, key: str, page_params: Callable[[int, str], dict]) -> list[dict]:
        found: dict[str, dict] = {}
        last = ""
        for number in itertools.count():
            page = self.get(path, params=page_params(number, last))[key]
            if not page:
                break
            for item in page:
                if item["id"] in found:
                    raise ListingChanged("GET", path, f"{key} changed while being listed "
                                         f"({item['id']} came twice)", hint="run again")
                found[item["id"]] = item
            last = page[-1]["id"]
        return list(found.values())


def _retry_after(response: requests.Response) -> float | None:
    """The server's Retry-After in seconds, when it gives one as a number."""
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


def _never_sent(failure: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (so retrying a POST is safe)."""
    if isinstance(failure, requests.ConnectTimeout):
        return True
    return isinstance(_reason(failure), NewConnectionError)


def _reason(failure: requests.RequestException) -> Exception | None:
    """What urllib3 says went wrong under a requests failure."""
    return getattr(failure.args[0] if failure.args else None, "reason", None)


def _describe(failure: requests.RequestException, timeouts: tuple[float, float]) -> str:
    if isinstance(failure, requests.ConnectTimeout):
        return f"no connection within {timeouts[0]:g} s"
    if isinstance(failure, requests.ReadTimeout):
        return f"no answer within {timeouts[1]:g} s"
    if isinstance(_reason(failure), NameResolutionError):
        return "its host name does not resolve"
    if _never_sent(failure):
        return "connection refused"
    return "connection dropped"
