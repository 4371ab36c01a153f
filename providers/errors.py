"""What can go wrong talking to InfluxDB, one class per thing a caller may want to catch.

Every error names the request (`method path`) and reads as one line, e.g.
"POST /api/v2/tasks: 400 invalid: invalid options: no task options defined". No error ever
holds a token: the client redacts it from server messages before building one.
"""

from __future__ import annotations

import sys
import traceback
from types import SimpleNamespace

from pulumi.errors import RunError

# The SDK's dynamic provider host, which reports a failed call with `traceback.format_exc()`.
PROVIDER_HOST = "pulumi.dynamic.__main__"


class InfluxError(RunError):
    """A request to InfluxDB failed. (A RunError: the program stops with this message, not a
    traceback.)"""

    def __init__(
        self,
        method: str,
        path: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(method, path, message)
        self.method = method
        self.path = path
        self.message = message
        self.status = status
        self.code = code
        self.hint = hint

    def __str__(self) -> str:
        answer = " ".join(str(part) for part in (self.status, self.code) if part)
        text = f"{self.method} {self.path}: "
        text += f"{answer}: {self.message}" if answer else self.message
        return f"{text} ({self.hint})" if self.hint else text


class BadRequest(InfluxError):
    """The server rejected the request as invalid (400)."""


class Unauthorized(InfluxError):
    """The token is unknown or inactive, or lacks the permission the call needs (401)."""


class Forbidden(InfluxError):
    """The token may not do this (403)."""


class NotFound(InfluxError):
    """The object or path does not exist (404)."""


class Conflict(InfluxError):
    """An object with the same identity already exists (422 conflict)."""


class TooManyRequests(InfluxError):
    """The server kept asking us to slow down (429) until the retry budget ran out."""


class ServerError(InfluxError):
    """The server failed (5xx)."""


class ServerUnreachable(InfluxError):
    """No answer from the server: connection refused, dropped or timed out, retries exhausted."""


class AmbiguousWrite(InfluxError):
    """A create may or may not have happened (timeout, dropped connection or 5xx on a POST).

    The client never retries it; the providers look for the object and create it only if absent.
    """

    @property
    def unanswered(self) -> bool:
        """No answer came (a timeout, a dropped connection): the server may still be at it."""
        return self.status is None


class ListingChanged(InfluxError):
    """A paged listing returned an ID twice: the objects changed while we were paging."""


class OrgNotFound(NotFound):
    """No organization has that name."""


class OrgNotReadable(Forbidden):
    """The organization exists but the token cannot read it."""


class CannotAdopt(InfluxError):
    """An object with the same identity exists but differs in a way an update cannot fix."""


class ManagedElsewhere(CannotAdopt):
    """An object with the same identity is marked as managed by another stack."""


_BY_STATUS: dict[int, type[InfluxError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    422: Conflict,
    429: TooManyRequests,
}


def error_class_for(status: int) -> type[InfluxError]:
    """The error class for an HTTP status the server answered with."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, InfluxError)


def report_in_one_line() -> None:
    """In the SDK's dynamic provider host, make a failure the providers raise on purpose (a
    RunError: InfluxError and the settings errors) read as its one-line message, which names the
    request, the cause and the fix, instead of a traceback of the host and the provider; any
    other exception (a bug) keeps its traceback. Elsewhere, nothing changes.

    The host formats the error with the `traceback` module it imported (`__main__.traceback`),
    so that name alone is replaced; should the SDK change, the traceback comes back, no more."""
    host = sys.modules.get("__main__")
    if getattr(getattr(host, "__spec__", None), "name", None) != PROVIDER_HOST:
        return
    host.traceback = SimpleNamespace(**{**vars(traceback), "format_exc": _format_failure})


def _format_failure(*args: object, **kwargs: object) -> str:
    failure = sys.exc_info()[1]
    if isinstance(failure, RunError):
        return str(failure)
    return traceback.format_exc(*args, **kwargs)
