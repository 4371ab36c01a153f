"""Errors an operator can act on, under the real CLI against the real influxd: a provider's
failure reads as one line naming the object (the CLI's heading), the cause and the fix, never a
traceback; a server that stops answering part way is reported as such, not as a wrong URL; a
denial names the permission the server denied.
"""

from __future__ import annotations

from testbed.forwarder import Forwarder
from testbed.influx.server import InfluxOrg

ORG_KINDS = ("buckets", "dbrp", "tasks", "authorizations", "secrets", "labels", "dashboards",
             "variables")


def org_token_without_user_rights(org: InfluxOrg) -> str:
    """A token with read and write on everything of the org, and nothing on users: what an
    operator may hold, short of the right to mint tokens for a user."""
    rights = [{"action": action, "resource": {"type": kind, "orgID": org.id}}
              for kind in ORG_KINDS for action in ("read", "write")]
    rights.append({"action": "read", "resource": {"type": "orgs", "id": org.id}})
    response = org.server.api("POST", "/api/v2/authorizations",
                              json={"orgID": org.id, "permissions": rights})
    response.raise_for_status()
    return response.json()["token"]


def test_a_server_that_stops_answering_mid_run_is_reported_in_one_line_as_stopped(
        cli, monitored_org, influxd):
    # influxd answers every call until the first task is created, then nothing at all.
    stopping = Forwarder(monitored_org.url, stop_at=b"POST /api/v2/tasks")
    cli.config["influxdb:url"] = stopping.url
    try:
        result = cli.up()
    finally:
        stopping.close()

    assert stopping.stopped.is_set() and result.error is not None
    assert f"the InfluxDB server at {stopping.url} stopped answering during the run" \
        in result.error
    assert "check influxdb:url" not in result.error
    assert "Traceback" not in result.error


def test_a_denied_permission_is_named_in_one_line(cli, monitored_org, influxd):
    cli.config["influxdb:token"] = org_token_without_user_rights(monitored_org)

    result = cli.up()

    assert result.error is not None
    [denial] = [line.strip() for line in result.error.splitlines()
                if line.strip().startswith("error: POST /api/v2/authorizations")]
    assert "is unauthorized (the token in influxdb:token / INFLUXDB_TOKEN lacks write " \
           "permission on users, which this call needs)" in denial
    assert "Traceback" not in result.error
