"""`pulumi stack rename` keeps the stack in charge of its own org: its objects carry marks with
its old name, which it recognises as its own and moves to the new name; another stack's marks
still stop the run (`tests/test_program.py`). Under the real CLI, against the real influxd.
"""

from __future__ import annotations

from collections import Counter

from testbed.engine.result import succeeded
from testbed.influx.holdings import authorizations, buckets, tasks
from testbed.influx.seed import add_bucket

NEW = "rubin-influx-tools/prod"


def test_a_renamed_stack_adds_an_app_moves_its_marks_and_destroys_without_duplicates(
        cli, monitored_org, influxd):
    succeeded(cli.up())
    cli.rename("prod")
    add_bucket(monitored_org, "sasquatch")

    moved = succeeded(cli.up())

    assert {"task/Sasquatch restarts", "mapping/sasquatch"} <= set(moved.names("create"))
    described = [*tasks(monitored_org), *authorizations(monitored_org), *buckets(monitored_org)]
    marks = Counter(text.rsplit("(managed by stack ", 1)[-1] for item in described
                    if "(managed by stack " in (text := item.get("description") or ""))
    assert set(marks) == {f"{NEW})"}
    names = Counter(task["name"] for task in tasks(monitored_org))
    assert max(names.values()) == 1 and "Sasquatch restarts" in names

    succeeded(cli.destroy())
    assert tasks(monitored_org) == []
