"""check() and diff() through the real provider host: bad inputs are refused with a message naming
the property and the rule, values unknown during a preview pass, and diff is local (no request),
explicit and blind to credentials.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testbed.engine.provider_host import ProviderHost
from testbed.engine.sdk import Unknown
from testbed.influx.server import InfluxServer
from testbed.provider_kinds import (
    BUCKET,
    DASHBOARD,
    DBRP,
    OTHER_ID,
    TASK,
    TOKEN,
    VARIABLE,
    Kind,
    dashboard_cell,
    provider_host,
    task_flux,
)

# On the servers that hash tokens, as InfluxDB 2.9 and later do by default (see the plugin).
pytestmark = pytest.mark.hashed_tokens

ORG = "00000000000000a1"
VALID = {
    BUCKET: {"org_id": ORG, "name": "app", "retention_seconds": 3600, "description": ""},
    DBRP: {"org_id": ORG, "bucket_id": OTHER_ID, "bucket_name": "app", "database": "app",
           "retention_policy": "autogen", "default": True},
    TOKEN: {"org_id": ORG, "description": "tasks", "status": "active", "permissions": [
        {"action": "read", "resource": {"type": "buckets", "orgID": ORG}}]},
    TASK: {"org_id": ORG, "name": "t", "flux": task_flux("t"), "status": "active",
           "description": ""},
}
VALID[DASHBOARD] = {"org_id": ORG, "name": "Apps", "description": "",
                   "cells": [dashboard_cell("one", 'from(bucket: "app")')]}
VALID[VARIABLE] = {"org_id": ORG, "name": "app", "query": "buckets()", "description": ""}
CELL = dashboard_cell("one", 'from(bucket: "app")')
TWO_BLOCKS = task_flux("t") + 'option task = {name: "t", every: 1h}\n'
CRON_AND_EVERY = 'option task = {name: "t", every: 1h, cron: "0 * * * *"}\n'


@pytest.fixture(scope="module")
def host(influxdb: InfluxServer) -> Iterator[ProviderHost]:
    with provider_host(influxdb) as started:
        yield started


@pytest.mark.parametrize(("kind", "change", "failed", "reason"), [
    (BUCKET, {"name": "_private"}, "name", "must not start with '_'"),
    (BUCKET, {"name": 'say "hi"'}, "name", "must not contain '\"'"),
    (BUCKET, {"name": None}, "name", "name is required"),
    (BUCKET, {"retention_seconds": 60}, "retention_seconds", "0 (keep forever) or at least 3600"),
    (BUCKET, {"retention_seconds": -5}, "retention_seconds", "whole number of seconds"),
    (BUCKET, {"org_id": "rubin"}, "org_id", "16 lowercase hex digits"),
    (DBRP, {"database": "."}, "database", "must not be '.' or '..'"),
    (DBRP, {"retention_policy": "a/b"}, "retention_policy", "must not contain '/' or '\\'"),
    (DBRP, {"database": ""}, "database", "non-empty"),
    (DBRP, {"database": "tab\there"}, "database", "printable"),
    (DBRP, {"bucket_id": "0" * 16}, "bucket_id", "not all zero"),
    (DBRP, {"default": "yes"}, "default", "true or false"),
    (TOKEN, {"permissions": []}, "permissions", "non-empty list"),
    (TOKEN, {"permissions": [{"action": "delete", "resource": {"type": "buckets"}}]},
     "permissions", "[0] action must be 'read' or 'write'"),
    (TOKEN, {"permissions": [{"action": "read", "resource": {"type": "spaceships"}}]},
     "permissions", "'spaceships' is not an InfluxDB resource type"),
    (TOKEN, {"permissions": [{"action": "read", "resource": {"type": "buckets",
                                                             "orgID": OTHER_ID}}]},
     "permissions", f"is for org {OTHER_ID}, not for this token's org {ORG}"),
    (TOKEN, {"status": "paused"}, "status", "'active' or 'inactive'"),
    (TASK, {"flux": 'from(bucket: "app")'}, "flux", "refuses: no task options defined"),
    (TASK, {"flux": TWO_BLOCKS}, "flux", "multiple task options defined"),
    (TASK, {"flux": 'option task = {name: "t"}\n'}, "flux", "missing required option: cron or "
                                                          "every"),
    (TASK, {"flux": CRON_AND_EVERY}, "flux", "cannot use both cron and every"),
    (TASK, {"flux": 'option task = {every: 1h}\n'}, "flux", "missing required option: name"),
    (TASK, {"flux": "  \n"}, "flux", "empty script"),
    (TASK, {"name": "other"}, "flux", "names the task 't' in its option record, but the name "
                                      "input is 'other'"),
    (TASK, {"status": "running"}, "status", "'active' or 'inactive'"),
    (DASHBOARD, {"name": " "}, "name", "non-empty string"),
    (DASHBOARD, {"cells": [CELL, CELL]}, "cells", "unique names; 'one' repeat"),
    (DASHBOARD, {"cells": [{**CELL, "w": 0}]}, "cells", "'one': w must be a whole number of at "
                                                        "least 1"),
    (DASHBOARD, {"cells": [{**CELL, "properties": {"type": "xy"}}]}, "cells",
     "shape 'chronograf-v2' and a view type"),
    (DASHBOARD, {"cells": [{"name": "one"}]}, "cells", "exactly h, name, properties, w, x, y"),
    (VARIABLE, {"name": "K8s-application"}, "name", "must be a Flux identifier"),
    (VARIABLE, {"name": "windowPeriod"}, "name", "reserve it"),
    (VARIABLE, {"query": " "}, "query", "empty script"),
], ids=lambda value: value if isinstance(value, str) else str(value)[:30])
def test_check_refuses_a_bad_input_naming_the_property_and_the_rule(
        host: ProviderHost, kind: Kind, change: dict, failed: str, reason: str):
    news = {key: value for key, value in {**VALID[kind], **change}.items() if value is not None}
    _, failures = host.check(kind.provider, kind.type_name, "it", {}, news)
    assert [prop for prop, _ in failures] == [failed]
    assert reason in failures[0][1]
    assert failures[0][1].startswith(failed)


@pytest.mark.parametrize(("kind", "defaults"), [
    (BUCKET, {"retention_seconds": 0, "description": ""}),
    (DBRP, {"default": True, "bucket_name": ""}),
    (TOKEN, {"description": "", "status": "active"}),
    (TASK, {"description": "", "status": "active"}),
    (DASHBOARD, {"description": "", "cells": []}),
    (VARIABLE, {"description": ""}),
], ids=str)
def test_check_accepts_valid_inputs_and_fills_in_the_defaults(host: ProviderHost, kind: Kind,
                                                              defaults: dict):
    required = {key: value for key, value in VALID[kind].items() if key not in defaults}
    inputs, failures = host.check(kind.provider, kind.type_name, "it", {}, required)
    assert failures == []
    assert {key: inputs[key] for key in [*required, *defaults]} == {**required, **defaults}


def test_check_lets_values_unknown_in_a_preview_through(host: ProviderHost):
    news = {**VALID[TASK], "org_id": Unknown(), "flux": Unknown(), "token": Unknown()}
    inputs, failures = host.check(TASK.provider, TASK.type_name, "it", {}, news)
    assert failures == []
    assert isinstance(inputs["flux"], Unknown)


def test_diff_is_local_and_ignores_credentials_and_number_types(
        host: ProviderHost, emulator: InfluxServer):
    outputs = {**VALID[BUCKET], "retention_seconds": 3600.0, "token": "old-token"}
    news = {**VALID[BUCKET], "token": "new-token"}
    diff = host.diff(BUCKET.provider, BUCKET.type_name, "it", OTHER_ID, outputs, news)
    assert (diff.changes, diff.replaces) == (False, [])
    assert emulator.request_log() == []


def test_diff_of_permissions_ignores_their_order_and_the_names_the_server_adds(host: ProviderHost):
    read_tasks = {"action": "read", "resource": {"type": "tasks", "orgID": ORG}}
    write_tasks = {"action": "write", "resource": {"type": "tasks", "orgID": ORG, "org": "rubin"}}
    outputs = {**VALID[TOKEN], "permissions": [write_tasks, read_tasks]}
    news = {**VALID[TOKEN], "permissions": [read_tasks, {**write_tasks, "resource": {
        "type": "tasks", "orgID": ORG}}]}
    diff = host.diff(TOKEN.provider, TOKEN.type_name, "it", OTHER_ID, outputs, news)
    assert diff.changes is False


def test_diff_of_an_unknown_value_reports_a_change(host: ProviderHost):
    news = {**VALID[TASK], "flux": Unknown()}
    diff = host.diff(TASK.provider, TASK.type_name, "it", OTHER_ID, VALID[TASK], news)
    assert (diff.changes, diff.replaces) == (True, [])


def test_moving_a_mapping_to_another_bucket_deletes_the_old_one_first(host: ProviderHost):
    news = {**VALID[DBRP], "bucket_id": "00000000000000b2"}
    diff = host.diff(DBRP.provider, DBRP.type_name, "it", OTHER_ID, VALID[DBRP], news)
    assert (diff.replaces, diff.delete_before_replace) == (["bucket_id"], True)
    news = {**news, "database": "renamed"}  # a new identity: create first, as usual
    diff = host.diff(DBRP.provider, DBRP.type_name, "it", OTHER_ID, VALID[DBRP], news)
    assert (diff.replaces, diff.delete_before_replace) == (["bucket_id", "database"], False)


def test_renaming_a_mapping_bucket_is_an_update_in_place(host: ProviderHost):
    news = {**VALID[DBRP], "bucket_name": "renamed"}
    diff = host.diff(DBRP.provider, DBRP.type_name, "it", OTHER_ID, VALID[DBRP], news)
    assert (diff.changes, diff.replaces) == (True, [])
