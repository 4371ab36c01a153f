"""Input rules for the providers' check(): each rule says what is wrong with a value, or None.

Reasons complete a sentence that starts with the property name ("name must not start with _").
Values still unknown during a preview are not checked: they are checked when known.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown

from flux.literals import name_problem

Rule = Callable[[Any], str | None]

ID = re.compile(r"[0-9a-f]{16}")
STATUSES = ("active", "inactive")


def is_unknown(value: Any) -> bool:
    """True when the value, or anything inside it, is not known yet (a preview)."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(is_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(is_unknown(item) for item in value)
    return False


def whole_number(value: Any) -> Any:
    """7764.0 -> 7764, in lists and maps too: the provider host hands every number over as a
    float."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: whole_number(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole_number(item) for item in value]
    return value


def failures(inputs: dict, rules: dict[str, Rule]) -> Iterable[CheckFailure]:
    """A CheckFailure for each known input that breaks its rule (a missing one too)."""
    for key, rule in rules.items():
        value = inputs.get(key)
        if is_unknown(value):
            continue
        reason = "is required" if value is None else rule(value)
        if reason:
            yield CheckFailure(key, f"{key} {reason}")


def influx_id(value: Any) -> str | None:
    if not (isinstance(value, str) and ID.fullmatch(value)) or value == "0" * 16:
        return f"must be an InfluxDB ID (16 lowercase hex digits, not all zero), got {value!r}"
    return None


def text(value: Any) -> str | None:
    return None if isinstance(value, str) else f"must be a string, got {value!r}"


def status(value: Any) -> str | None:
    return None if value in STATUSES else f"must be 'active' or 'inactive', got {value!r}"


def flux_script(value: str) -> str | None:
    """A Flux script or query: any text but an empty one (its Flux is checked elsewhere)."""
    return "must be Flux, got an empty script" if not value.strip() else None


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {value!r}"


def name(value: Any) -> str | None:
    """A bucket or task name: what the Flux renderer can put in a task (flux/literals.py)."""
    return name_problem(value)


def all_of(*rules: Rule) -> Rule:
    """A rule broken when any of `rules` is, reporting the first reason."""
    return lambda value: next(filter(None, (rule(value) for rule in rules)), None)
