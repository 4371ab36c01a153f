"""The program on servers that hash tokens, under the real Pulumi CLI: influxd 2.8.0 run with
`--use-hashed-tokens`, as InfluxDB 2.9 and later run by default, and the upgrade to it from a
2.7.12 that the old scripts had set up. Such a server shows a token's value only in the answer to
its create: the scoped token's value lives in the Pulumi state alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flux.settings import TaskSettings
from providers.marks import marked
from testbed.alerts import watch_deployed
from testbed.engine.cli import PulumiCli
from testbed.engine.result import Result, Secret, succeeded
from testbed.forwarder import Forwarder
from testbed.influx.holdings import authorizations, tasks
from testbed.influx.influxd import start_influxd, upgrade
from testbed.influx.seed import (
    APPS,
    TOKENMAKER_TOKEN,
    org_operator_token,
    seed_monitored,
    seed_old_scripts,
    set_secret,
)
from testbed.influx.server import InfluxOrg, create_org
from testbed.kubernetes.pods import Container, Pod
from testbed.slack import FakeSlack
from testbed.telegraf import Telegraf
from testbed.tools import INFLUXD

pytestmark = pytest.mark.hashed_tokens

TASK_TOKEN = marked("rubin-influx-tools: task management", "rubin-influx-tools/dev")
OLD_TASKS = [f"{app.capitalize()} {kind}" for app in APPS
             for kind in ("restarts", "state_checks", "cpu_checks")] + [
    f"_slack_notify_{kind}" for kind in ("restarts", "state_checks", "cpu_checks", "disk_checks")]


@pytest.fixture
def slack() -> FakeSlack:
    fake = FakeSlack()
    yield fake
    fake.stop()


def task_token(result: Result) -> str:
    token = result.outputs["task_token"]
    assert isinstance(token, Secret)
    return token.value


def task_tokens(org: InfluxOrg) -> list[dict]:
    """The org's tokens described as the stack's scoped token."""
    return [token for token in authorizations(org) if token["description"] == TASK_TOKEN]


def about_tokens(result: Result) -> list[str]:
    """The run's warnings about a token (the Pulumi warnings, not its plain output)."""
    return [line for line in result.warnings if line.startswith("token ")]


def can_manage_tasks(org: InfluxOrg, token: str) -> bool:
    return org.server.api("GET", "/api/v2/tasks", params={"orgID": org.id},
                          headers={"Authorization": f"Token {token}"}).status_code == 200


def one_restart_reaches_slack_once(org: InfluxOrg, slack: FakeSlack, telegraf: Telegraf) -> bool:
    """A container of nublado restarts, as Telegraf sees it: the deployed tasks post it once,
    and not again on the next round."""
    monitoring = watch_deployed(org, slack, TaskSettings(org=org.name), APPS, telegraf)
    for restarts in (0, 1):
        monitoring.observe(Pod("nublado", "hub-0", (Container("hub", restarts=restarts),)),
                           app="nublado")
    posts = monitoring.check()
    return ([post.channel for post in posts] == ["#influxdb-alerts"]
            and posts[0].text.startswith("Container restarted: summit/nublado/hub-0 (hub)")
            and monitoring.check() == [])


def test_a_new_org_lives_its_whole_life_on_a_server_that_hashes_tokens(
        monitored_org, influxd, telegraf, tmp_path: Path, slack: FakeSlack):
    assert influxd.hashed_tokens
    operator = org_operator_token(monitored_org)
    cli = PulumiCli(state_dir=tmp_path / "pulumi",
                    config={**monitored_org.stack_config(), "influxdb:token": operator},
                    secret_config_keys={"influxdb:token"})
    set_secret(monitored_org, "slack_webhook_url", slack.url)

    first = succeeded(cli.up())
    succeeded(cli.up_expecting_no_changes())
    refreshed = succeeded(cli.refresh())

    managed = len(cli.state().resources)
    assert first.ops() == {"create": managed}
    [made] = task_tokens(monitored_org)
    assert made["token"] == ""  # the server shows it no more; the state has it
    assert set(refreshed.ops()) == {"refresh-same"}
    assert task_token(refreshed) == task_token(first)
    assert can_manage_tasks(monitored_org, task_token(refreshed))

    # The operator rotates their token (the old one deleted): new settings are all it takes.
    cli.config["influxdb:token"] = org_operator_token(monitored_org)
    monitored_org.server.api("DELETE",
                             f"/api/v2/authorizations/{operator.id}").raise_for_status()
    assert set(succeeded(cli.up()).ops()) == {"same"}
    assert one_restart_reaches_slack_once(monitored_org, slack, telegraf)

    destroyed = succeeded(cli.destroy())
    assert destroyed.ops() == {"delete": managed}
    assert tasks(monitored_org) == [] and task_tokens(monitored_org) == []


def test_upgrading_to_a_server_that_hashes_tokens_changes_nothing_and_alerts_once(
        telegraf, tmp_path: Path, slack: FakeSlack):
    server = start_influxd(INFLUXD)  # 2.7.12, the stack's own: stopped and upgraded below
    try:
        org = seed_monitored(create_org(server))
        set_secret(org, "slack_webhook_url", slack.url)
        seed_old_scripts(org, OLD_TASKS, slack.url)
        cli = PulumiCli(state_dir=tmp_path / "pulumi", config=org.stack_config(),
                        secret_config_keys={"influxdb:token"})
        deployed = succeeded(cli.up())
        before = sorted(task["id"] for task in tasks(org)), task_tokens(org)[0]["id"]

        server = upgrade(server)  # 2.8.0 --use-hashed-tokens, on the same data and address
        org = InfluxOrg(server=server, name=org.name, id=org.id)
        assert task_tokens(org)[0]["token"] == ""  # hashed on the first start

        succeeded(cli.preview_expecting_no_changes())
        refreshed = succeeded(cli.refresh())
        updated = succeeded(cli.up())

        assert set(refreshed.ops()) == {"refresh-same"}
        assert updated.ops() == {"same": len(deployed.steps)}
        assert (sorted(task["id"] for task in tasks(org)), task_tokens(org)[0]["id"]) == before
        assert task_token(updated) == task_token(deployed)
        assert one_restart_reaches_slack_once(org, slack, telegraf)
    finally:
        server.stop()


def test_the_old_tokenmakers_token_is_named_in_a_warning_and_one_new_token_made(
        cli, monitored_org, influxd, slack: FakeSlack):
    old = seed_old_scripts(monitored_org, OLD_TASKS, slack.url)

    first = succeeded(cli.up())
    second = succeeded(cli.up())

    [warning] = about_tokens(first)
    assert warning.startswith(f"token {old} ({TOKENMAKER_TOKEN!r}, no stack's mark) is not "
                              "adopted as 'rubin-influx-tools: task management': the server "
                              "does not show its value (hashed tokens); a new token is made")
    assert f"influx auth delete --id {old}" in warning and TASK_TOKEN not in warning
    [made] = task_tokens(monitored_org)
    assert old in {token["id"] for token in authorizations(monitored_org)}  # left alone
    assert set(second.ops()) == {"same"} and about_tokens(second) == []
    assert [token["id"] for token in task_tokens(monitored_org)] == [made["id"]]


@pytest.mark.filterwarnings("ignore:Error in event stream")  # the killed run's, as expected
def test_a_run_killed_before_its_state_write_costs_one_replaced_token_and_says_why(
        cli, monitored_org, influxd):
    # The run is held at its first task create, the token made before it; killed there, it
    # never writes its state (written once, at the end of a run: PULUMI_SKIP_CHECKPOINTS).
    held = Forwarder(monitored_org.url, hold=b"POST /api/v2/tasks")
    cli.config["influxdb:url"] = held.url
    assert cli.up_killed_when(lambda: bool(task_tokens(monitored_org))).error is not None
    held.close()
    [lost] = task_tokens(monitored_org)
    cli.cancel()  # the lock the killed run left, removed as the README says
    cli.config["influxdb:url"] = monitored_org.url
    assert cli.state().resources == {}

    next_up = succeeded(cli.up())
    [made] = task_tokens(monitored_org)
    again = succeeded(cli.up())

    assert made["id"] != lost["id"]
    [said] = about_tokens(next_up)
    assert said == (f"token {lost['id']} carries this stack's mark but is not in the state: the "
                    "run that made it ended before it wrote the state (killed or cut short), "
                    "and the server does not show its value (hashed tokens): nothing can use "
                    "it, so it is replaced (deleted, and a new token made)")
    assert can_manage_tasks(monitored_org, task_token(next_up))
    assert set(again.ops()) == {"same"}
    assert [token["id"] for token in task_tokens(monitored_org)] == [made["id"]]
