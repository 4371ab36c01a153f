"""Bucket classes, as the old scripts and the operators' naming convention define them.

- system buckets start with `_` (`_monitoring`, `_tasks`);
- cross-application buckets end with `_` (`multiapp_`, `alerted_`, host-level buckets such as
  `roundtable_internal_`);
- every other bucket is an application bucket, unless listed in `ignoreBuckets`.

The one reading of a bucket's class: the plan and the settings ask here. The policy pack keeps
its own copy (it imports nothing from the program); tests/test_policy.py holds it to this one.
"""

from __future__ import annotations

from collections.abc import Iterable


def is_system_bucket(name: str) -> bool:
    """True for a bucket InfluxDB keeps for itself (`_monitoring`, `_tasks`)."""
    return name.startswith("_")


def is_cross_app_bucket(name: str) -> bool:
    """True for a bucket shared by the applications (`multiapp_`, a host-level bucket)."""
    return name.endswith("_") and not is_system_bucket(name)


def is_app_bucket(name: str, ignored: Iterable[str] = ()) -> bool:
    """True for an application's bucket: neither system nor cross-application, nor ignored."""
    return not (is_system_bucket(name) or is_cross_app_bucket(name) or name in ignored)
