"""Values as Flux source text: string literals and duration literals.

Everything that lands in a rendered script goes through here, so an unusual bucket name can never
change the meaning of a task (no injection through quotes, backslashes or `${...}`).
"""

from __future__ import annotations

import re
import unicodedata


class TemplateError(ValueError):
    """A name or setting that cannot be represented safely in a Flux task."""


# Flux string escapes (scanner grammar: escaped_char, byte_value, dollar_value). `${` would start
# an interpolation. The scanner reads `$` and the character after it as one unit, so a `$` before
# another escape would swallow its backslash: such a `$` is written as the byte escape `\x24`.
_STRING_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "${": "\\${",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_DOLLAR_BEFORE_ESCAPE = r"\$(?=[$\\\"\n\r\t])"
_STRING_SPECIAL = re.compile(
    "|".join([*(re.escape(text) for text in _STRING_ESCAPES), _DOLLAR_BEFORE_ESCAPE])
)


def _escape(match: re.Match[str]) -> str:
    return _STRING_ESCAPES.get(match.group(), "\\x24")


_DURATION_UNITS_NS = {
    "w": 7 * 86_400 * 10**9,
    "d": 86_400 * 10**9,
    "h": 3_600 * 10**9,
    "m": 60 * 10**9,
    "s": 10**9,
    "ms": 10**6,
    "us": 10**3,
    "µs": 10**3,
    "ns": 1,
}
_CALENDAR_UNITS = ("mo", "y")
# A count is a Flux int_lit: no leading zero.
_DURATION_PART = re.compile(r"(0|[1-9][0-9]*)(mo|ms|us|µs|ns|y|w|d|h|m|s)")
_DURATION = re.compile(rf"(?:{_DURATION_PART.pattern})+")


def _unrepresentable(value: str) -> str | None:
    """The first character that has no safe place in a task script, if any."""
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs") and char not in _STRING_ESCAPES:
            return char
    return None


def flux_string(value: str) -> str:
    """`value` as a complete Flux string literal, quotes included."""
    if not isinstance(value, str):
        raise TemplateError(f"{value!r} is not a string; only strings become Flux string literals")
    bad = _unrepresentable(value)
    if bad is not None:
        raise TemplateError(
            f"{value!r} contains the control character {bad!r}, which a Flux task cannot hold "
            "safely; remove it"
        )
    escaped = _STRING_SPECIAL.sub(_escape, value)
    return f'"{escaped}"'


def check_name(value: object, what: str) -> str:
    """A bucket, org, channel or key name: a non-empty string without control characters."""
    if not isinstance(value, str) or not value.strip():
        raise TemplateError(f"{what} must be a non-empty string, got {value!r}")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        raise TemplateError(
            f"{what} {value!r} contains control characters; a name that goes into Flux tasks "
            "and Slack messages must be printable: rename it or leave it out"
        )
    return value


def duration_ns(value: object, what: str) -> int:
    """Parse a Flux duration literal of fixed-length units (e.g. 5m, 2m30s, 1h) to nanoseconds."""
    if not isinstance(value, str) or not _DURATION.fullmatch(value):
        raise TemplateError(
            f"{what} must be a Flux duration literal such as 5m, 2m30s or 1h, got {value!r}"
        )
    parts = _DURATION_PART.findall(value)
    if any(unit in _CALENDAR_UNITS for _, unit in parts):
        raise TemplateError(
            f"{what}={value!r} uses a calendar unit (mo, y) of varying length; use w, d, h, m or s"
        )
    return sum(int(count) * _DURATION_UNITS_NS[unit] for count, unit in parts)


def duration_literal(nanoseconds: int) -> str:
    """The shortest Flux duration literal for a number of nanoseconds (90 s -> 1m30s)."""
    if nanoseconds == 0:
        return "0s"
    parts = []
    for unit in ("w", "d", "h", "m", "s", "ms", "us", "ns"):
        count, nanoseconds = divmod(nanoseconds, _DURATION_UNITS_NS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
