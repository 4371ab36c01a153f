"""AuthorizationToken specifics: servers that hide token values (influxd 2.8.0 run with
--use-hashed-tokens, as 2.9 runs by default, and the emulator's --hashed-tokens), and tokens
that may not create tokens.
"""

from __future__ import annotations

import time

import pytest

from providers.marks import unmarked
from providers.settings import DEFAULT_TIMEOUT
from testbed.engine.provider_host import ProviderError
from testbed.influx.seed import scoped_token
from testbed.influx.server import InfluxOrg, InfluxServer
from testbed.provider_kinds import TOKEN, check_and_create, provider_host

# On the servers that hash tokens, as InfluxDB 2.9 and later do by default (see the plugin).
pytestmark = pytest.mark.hashed_tokens


def tokens_described(org: InfluxOrg, description: str) -> list[dict]:
    """The org's tokens with this description, whatever stack's mark they carry."""
    return [token for token in TOKEN.listed(org)
            if unmarked(token.get("description")) == unmarked(description)]


def can_list_buckets(org: InfluxOrg, token: str) -> bool:
    return org.server.api("GET", "/api/v2/buckets", params={"orgID": org.id},
                          headers={"Authorization": f"Token {token}"}).status_code == 200


def test_read_keeps_the_value_from_state_when_the_server_hides_it(org: InfluxOrg):
    with provider_host(org.server) as host:
        id_, outs, _ = check_and_create(host, TOKEN, TOKEN.inputs(org))
    assert TOKEN.fetch(org, id_)["token"] == ""
    assert can_list_buckets(org, outs["token"])
    with provider_host(org.server) as host:
        assert host.read(TOKEN.provider, TOKEN.type_name, "it", id_, outs) == (id_, outs)


def test_a_lookalike_whose_value_is_hidden_is_left_alone_and_a_new_token_made(
        org: InfluxOrg, capfd: pytest.CaptureFixture):
    inputs = TOKEN.inputs(org)
    made = TOKEN.make_by_hand(org, inputs)
    with provider_host(org.server) as host:
        id_, outs, _ = check_and_create(host, TOKEN, inputs)
    assert id_ != made["id"]
    assert {token["id"] for token in tokens_described(org, inputs["description"])} == {
        made["id"], id_}
    assert can_list_buckets(org, outs["token"])
    assert (f"token {made['id']} ({unmarked(inputs['description'])!r}, no stack's mark) is not "
            f"adopted as {unmarked(inputs['description'])!r}: the server does not show its "
            "value (hashed tokens); a new token is made") in capfd.readouterr().err


def test_a_token_made_by_a_create_whose_answer_was_lost_is_replaced_when_values_are_hidden(
        org: InfluxOrg, emulator: InfluxServer, capfd: pytest.CaptureFixture):
    inputs = TOKEN.inputs(org)
    emulator.add_fault(method="POST", path_prefix=TOKEN.path, count=1, after_commit=True,
                       drop=True)
    with provider_host(org.server) as host:
        id_, outs, _ = check_and_create(host, TOKEN, inputs)
    assert [token["id"] for token in tokens_described(org, inputs["description"])] == [id_]
    assert can_list_buckets(org, outs["token"])
    assert "but was made by a create of this run whose answer was lost" in capfd.readouterr().err


def test_a_token_answered_after_the_timeout_ends_as_one_usable_token_when_values_are_hidden(
        org: InfluxOrg, emulator: InfluxServer):
    inputs = TOKEN.inputs(org)
    late = DEFAULT_TIMEOUT + 1  # lands a second after the client gave up
    emulator.add_fault(method="POST", path_prefix=TOKEN.path, count=1, delay_s=late)
    with provider_host(org.server) as host:
        started = time.monotonic()
        id_, outs, _ = check_and_create(host, TOKEN, inputs)
    time.sleep(max(0.0, started + late + 0.5 - time.monotonic()))  # until it has landed
    assert [token["id"] for token in tokens_described(org, inputs["description"])] == [id_]
    assert can_list_buckets(org, outs["token"])


def test_a_token_without_write_on_authorizations_gets_a_401_naming_that_permission(
        org: InfluxOrg):
    weak = scoped_token(org, ("read", "buckets", None), ("write", "buckets", None))
    with provider_host(org.server, token=weak) as host, pytest.raises(ProviderError) as raised:
        check_and_create(host, TOKEN, TOKEN.inputs(org))
    assert "POST /api/v2/authorizations: 401 unauthorized" in raised.value.details
    assert ("the token in influxdb:token / INFLUXDB_TOKEN lacks write permission on "
            "authorizations, which this call needs") in raised.value.details
    assert weak not in raised.value.details


def test_a_token_cannot_grant_what_it_does_not_hold_and_is_told_so(org: InfluxOrg):
    response = org.server.api("POST", "/api/v2/authorizations", json={
        "orgID": org.id, "permissions": [
            {"action": "write", "resource": {"type": "authorizations", "orgID": org.id}},
            {"action": "read", "resource": {"type": "authorizations", "orgID": org.id}},
            {"action": "write", "resource": {"type": "users"}}]})  # its own user's tokens
    granter = response.json()["token"]
    with provider_host(org.server, token=granter) as host, pytest.raises(ProviderError) as raised:
        check_and_create(host, TOKEN, TOKEN.inputs(org))
    assert "POST /api/v2/authorizations: 403" in raised.value.details
    assert "cannot grant a permission it does not hold" in raised.value.details
    assert granter not in raised.value.details
