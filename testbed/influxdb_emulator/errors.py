"""InfluxDB's error model: a machine code, a human message, and the HTTP status of the code.

The server renders every failure as `{"code": ..., "message": ...}` with the header
`X-Platform-Error-Code`. Wrapped errors read "outer: inner" and keep the inner code unless the
wrapper sets its own (kit/platform/errors `Error.Error()` and `ErrorCode()`).
"""

from __future__ import annotations

from typing import TypeVar

INVALID = "invalid"
EMPTY_VALUE = "empty value"
UNAUTHORIZED = "unauthorized"
FORBIDDEN = "forbidden"
NOT_FOUND = "not found"
METHOD_NOT_ALLOWED = "method not allowed"
CONFLICT = "conflict"
UNPROCESSABLE = "unprocessable entity"
TOO_LARGE = "request too large"
TOO_MANY_REQUESTS = "too many requests"
INTERNAL = "internal error"
UNAVAILABLE = "unavailable"

T = TypeVar("T")
MAX_KEY_BYTES = 32768  # bolt's limit on a key; influxd's indexes are bolt keys
ID_BYTES = 16  # an ID as it is encoded in a key

STATUS_BY_CODE = {
    INVALID: 400,
    EMPTY_VALUE: 400,
    UNAUTHORIZED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    METHOD_NOT_ALLOWED: 405,
    TOO_LARGE: 413,
    CONFLICT: 422,  # OSS never answers 409: duplicates are 422 "conflict"
    UNPROCESSABLE: 422,
    TOO_MANY_REQUESTS: 429,
    INTERNAL: 500,
    "not implemented": 501,
    UNAVAILABLE: 503,
}


class ApiError(Exception):
    """A failure the server reports to the client."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS_BY_CODE[self.code]

    def wrapped(self, prefix: str, code: str | None = None) -> ApiError:
        """The error as the server wraps it: "prefix: message", the outer code if it has one."""
        return ApiError(code or self.code, f"{prefix}: {self.message}")

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def or_not_found(value: T | None, message: str) -> T:
    """The object looked up, or a 404 with `message` when there is none."""
    if value is None:
        raise ApiError(NOT_FOUND, message)
    return value


def code_for_status(status: int) -> str:
    """The error code that goes with an HTTP status (used for injected faults)."""
    for code, code_status in STATUS_BY_CODE.items():
        if code_status == status:
            return code
    return INTERNAL if status >= 500 else INVALID


def check_index_key(size: int) -> None:
    """Refuse, as bolt does, an index key of more than `MAX_KEY_BYTES` (413 "key too large")."""
    if size > MAX_KEY_BYTES:
        raise ApiError(TOO_LARGE, "key too large")
