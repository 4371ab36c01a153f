"""Task specifics: names the server does not keep unique, the token a task is managed with, and
updates that leave the script exactly as written.
"""

from __future__ import annotations

import pytest

from testbed.engine.provider_host import ProviderError, secret
from testbed.influx.seed import scoped_token
from testbed.influx.server import InfluxOrg
from testbed.provider_kinds import TASK, check_and_create, provider_host, task_flux

# On the servers that hash tokens, as InfluxDB 2.9 and later do by default (see the plugin).
pytestmark = pytest.mark.hashed_tokens


def test_of_several_tasks_sharing_the_name_the_oldest_is_adopted_and_the_others_named(
        org: InfluxOrg, capfd: pytest.CaptureFixture):
    inputs = TASK.inputs(org)
    oldest, newer = (TASK.make_by_hand(org, inputs) for _ in range(2))
    with provider_host(org.server) as host:
        id_, _, _ = check_and_create(host, TASK, inputs)
    assert id_ == oldest["id"]
    assert f"adopting the oldest ({oldest['id']}), leaving {newer['id']} alone" in (
        capfd.readouterr().err)


def test_a_task_is_managed_with_its_own_token_not_the_configured_one(org: InfluxOrg):
    task_token = scoped_token(org, ("read", "tasks", None), ("write", "tasks", None))
    inputs = {**TASK.inputs(org), "token": secret(task_token)}
    with provider_host(org.server, token="revoked-or-never-valid") as host:
        id_, outs, _ = check_and_create(host, TASK, inputs)
        host.delete(TASK.provider, TASK.type_name, "it", id_, outs)
    assert TASK.fetch(org, id_) is None


def test_a_create_denied_to_the_task_token_is_tried_once_and_names_the_permission(
        org: InfluxOrg):
    # InfluxDB answers the denial with a 500: it is no ambiguous write to retry and adopt.
    reader = scoped_token(org, ("read", "tasks", None))
    inputs = {**TASK.inputs(org), "token": secret(reader)}
    writes_before = org.server.api_requests()[1]
    with provider_host(org.server) as host, pytest.raises(ProviderError) as refused:
        check_and_create(host, TASK, inputs)
    assert org.server.api_requests()[1] - writes_before == 1
    assert "POST /api/v2/tasks: 500 internal error: failed to create task: unauthorized" in (
        refused.value.details)
    assert ("the scoped task token (token/tasks) is unknown or inactive, or lacks write "
            "permission on tasks") in refused.value.details
    assert reader not in refused.value.details


def test_a_task_whose_own_token_was_deleted_is_still_refreshed_and_deleted(
        org: InfluxOrg, capfd: pytest.CaptureFixture):
    task_token = scoped_token(org, ("read", "tasks", None), ("write", "tasks", None))
    with provider_host(org.server) as host:
        id_, outs, _ = check_and_create(host, TASK, {**TASK.inputs(org),
                                                     "token": secret(task_token)})
    org.server.api("DELETE", f"/api/v2/authorizations/{task_token.id}").raise_for_status()
    with provider_host(org.server) as host:
        assert host.read(TASK.provider, TASK.type_name, "it", id_, outs)[0] == id_
        host.delete(TASK.provider, TASK.type_name, "it", id_, outs)
    assert TASK.fetch(org, id_) is None
    assert "trying again with the token in influxdb:token" in capfd.readouterr().err


def test_an_update_stores_the_script_exactly_as_written(org: InfluxOrg):
    with provider_host(org.server) as host:
        id_, outs, inputs = check_and_create(host, TASK, TASK.inputs(org))
        script = task_flux(inputs["name"], "30m") + "// tuned by hand\n"
        host.update(TASK.provider, TASK.type_name, "it", id_, outs, {**inputs, "flux": script})
    assert TASK.fetch(org, id_)["flux"] == script
    assert TASK.fetch(org, id_)["every"] == "30m"
