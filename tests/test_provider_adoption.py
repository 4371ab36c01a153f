"""Creating exactly once, through the SDK's real provider host: a create whose answer comes after
the client's timeout is found instead of made twice, a duplicate that lands later still is removed
by the next run, and an object another stack's mark claims is never adopted.

The slow answers need the emulator's faults and the default answer timeout (10 s), so those
tests take their time. The 2.9 hashed-token case is in tests/test_provider_authorization.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from providers.marks import marked, unmarked
from providers.settings import DEFAULT_TIMEOUT
from testbed.engine.provider_host import ProviderError
from testbed.influx.server import InfluxOrg, InfluxServer
from testbed.provider_kinds import (
    BUCKET,
    DASHBOARD,
    TASK,
    TOKEN,
    VARIABLE,
    Kind,
    check_and_create,
    provider_host,
)

# On the servers that hash tokens, as InfluxDB 2.9 and later do by default (see the plugin).
pytestmark = pytest.mark.hashed_tokens

ELSEWHERE = "another-project/prod"


def listed_ids(kind: Kind, org: InfluxOrg) -> set[str]:
    return {item["id"] for item in kind.listed(org)}


def landed(seen: Callable[[], bool], within: float = 5.0) -> bool:
    """Whether `seen()` comes true within `within` seconds (a late create landing)."""
    deadline = time.monotonic() + within
    while not seen():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.parametrize("kind", [TASK, TOKEN], ids=str)
def test_a_create_answered_after_the_timeout_is_found_instead_of_made_twice(
        kind: Kind, org: InfluxOrg, emulator: InfluxServer):
    inputs = kind.inputs(org)
    before = listed_ids(kind, org)
    late = DEFAULT_TIMEOUT + 1  # commits a second after the client gave up
    emulator.add_fault(method="POST", path_prefix=kind.path, count=1, delay_s=late)
    with provider_host(org.server) as host:
        started = time.monotonic()
        id_, outs, _ = check_and_create(host, kind, inputs)
    time.sleep(max(0.0, started + late + 0.5 - time.monotonic()))  # until it has landed
    assert listed_ids(kind, org) - before == {id_}
    assert "lost_answer" not in outs


def test_a_create_that_lands_after_the_wait_is_a_duplicate_the_next_update_removes(
        org: InfluxOrg, emulator: InfluxServer):
    inputs = TASK.inputs(org)
    late = 2 * DEFAULT_TIMEOUT + 1  # after the timeout and the wait for it
    emulator.add_fault(method="POST", path_prefix=TASK.path, count=1, delay_s=late)
    with provider_host(org.server) as host:
        id_, outs, checked = check_and_create(host, TASK, inputs)
    assert landed(lambda: len(listed_ids(TASK, org)) == 2)  # the lost create, after all

    with provider_host(org.server) as host:  # the next run
        diff = host.diff(TASK.provider, TASK.type_name, "it", id_, outs, checked)
        assert (diff.changes, diff.replaces) == (True, [])
        outs = host.update(TASK.provider, TASK.type_name, "it", id_, outs, checked)
        assert listed_ids(TASK, org) == {id_}
        assert host.diff(TASK.provider, TASK.type_name, "it", id_, outs, checked).changes is False
        host.delete(TASK.provider, TASK.type_name, "it", id_, outs)
    assert listed_ids(TASK, org) == set()


@pytest.mark.parametrize("kind", [BUCKET, TOKEN, TASK, DASHBOARD, VARIABLE], ids=str)
def test_create_refuses_an_object_another_stack_manages_and_names_that_stack(kind: Kind,
                                                                             org: InfluxOrg):
    inputs = kind.inputs(org)
    theirs = org.server.api("POST", kind.path, json={
        **kind.by_hand(inputs), "description": marked(unmarked(inputs["description"]),
                                                      ELSEWHERE)}).json()
    before = listed_ids(kind, org)
    with provider_host(org.server) as host, pytest.raises(ProviderError) as refused:
        check_and_create(host, kind, inputs)
    assert f"{theirs['id']}" in refused.value.details
    assert f"is managed by stack {ELSEWHERE}" in refused.value.details
    assert "one organization is managed by one stack" in refused.value.details
    assert listed_ids(kind, org) == before
    assert kind.fetch(org, theirs["id"])["description"] == theirs["description"]


def test_create_removes_this_stacks_duplicates_of_a_task_and_leaves_unmarked_ones(
        org: InfluxOrg):
    inputs = TASK.inputs(org)
    ours = [org.server.api("POST", TASK.path, json={**TASK.by_hand(inputs),
                                                    "description": inputs["description"]}).json()
            for _ in range(2)]
    unmarked_one = TASK.make_by_hand(org, inputs)
    with provider_host(org.server) as host:
        id_, _, _ = check_and_create(host, TASK, inputs)
    assert id_ == ours[0]["id"]
    assert listed_ids(TASK, org) == {id_, unmarked_one["id"]}
