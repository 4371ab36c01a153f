"""Values as Flux source text: string literals and duration literals.

Everything that lands in a rendered script goes through here, so an unusual bucket name can never
change the meaning of a task (no injection through quotes, backslashes or `${...}`).
"""

from __future__ import annotations

import re
import unicodedata

from flux import syntax


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


def name_problem(value: object) -> str | None:
    """Why a value cannot be a name in a task (an app, bucket, org, channel, key or task name),
    completing "<what> ..."; None when it can. The one judgement of printability: the renderer,
    the plan and the providers' check() all ask here."""
    if not isinstance(value, str) or not value.strip():
        return f"must be a non-empty string (not only spaces), got {value!r}"
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        return (f"{value!r} contains control characters; a name that goes into Flux tasks and "
                "Slack messages must be printable")
    return None


def check_name(value: object, what: str) -> str:
    """A bucket, org, channel or key name that can go into a task; TemplateError if it cannot."""
    problem = name_problem(value)
    if problem:
        raise TemplateError(f"{what} {problem}: rename it or leave it out")
    return value


def duration_ns(value: object, what: str) -> int:
    """Parse a Flux duration literal of fixed-length units (e.g. 5m, 2m30s, 1h) to nanoseconds."""
    parts = syntax.duration_parts(value) if isinstance(value, str) else None
    if parts is None:
        raise TemplateError(
            f"{what} must be a Flux duration literal such as 5m, 2m30s or 1h, got {value!r}"
        )
    if any(unit in syntax.CALENDAR_NS for _, unit in parts):
        raise TemplateError(
            f"{what}={value!r} uses a calendar unit (mo, y) of varying length; use w, d, h, m or s"
        )
    return syntax.parts_ns(parts)


def duration_literal(nanoseconds: int) -> str:
    """The shortest Flux duration literal for a number of nanoseconds (90 s -> 1m30s)."""
    if nanoseconds == 0:
        return "0s"
    parts = []
    for unit in ("w", "d", "h", "m", "s", "ms", "us", "ns"):
        count, nanoseconds = divmod(nanoseconds, syntax.DURATION_NS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
