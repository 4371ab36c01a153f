"""Every provider, through the SDK's real provider host, against the emulator (or a real InfluxDB):
an object's whole life, adoption instead of duplicates, refresh after a hand edit or delete,
recovery from ambiguous creates and 503 bursts, and no token where none belongs.
"""

from __future__ import annotations

import base64

import pytest

from testbed.engine.provider_host import secret
from testbed.influx.server import InfluxOrg, InfluxServer
from testbed.provider_kinds import KINDS, TOKEN, Kind, check_and_create, provider_host

# On the servers that hash tokens, as InfluxDB 2.9 and later do by default (see the plugin).
pytestmark = [pytest.mark.hashed_tokens, pytest.mark.parametrize("kind", KINDS, ids=str)]


def listed_ids(kind: Kind, org: InfluxOrg) -> set[str]:
    return {item["id"] for item in kind.listed(org)}


def test_an_object_is_created_read_updated_replaced_and_deleted(kind: Kind, org: InfluxOrg):
    with provider_host(org.server) as host:
        id_, outs, inputs = check_and_create(host, kind, kind.inputs(org))
        assert kind.fetch(org, id_) is not None
        assert host.read(kind.provider, kind.type_name, "it", id_, outs) == (id_, outs)
        assert host.diff(kind.provider, kind.type_name, "it", id_, outs, inputs).changes is False

        changed = kind.in_place(inputs)
        diff = host.diff(kind.provider, kind.type_name, "it", id_, outs, changed)
        assert (diff.changes, diff.replaces) == (True, [])
        outs = host.update(kind.provider, kind.type_name, "it", id_, outs, changed)
        seen = kind.observe(kind.fetch(org, id_))
        assert seen == {key: changed[key] for key in seen}
        assert host.diff(kind.provider, kind.type_name, "it", id_, outs, changed).changes is False

        replacing = kind.replacing(changed)
        diff = host.diff(kind.provider, kind.type_name, "it", id_, outs, replacing)
        assert diff.changes is True
        assert diff.replaces == [key for key in replacing if replacing[key] != changed[key]]

        host.delete(kind.provider, kind.type_name, "it", id_, outs)
        assert kind.fetch(org, id_) is None
        host.delete(kind.provider, kind.type_name, "it", id_, outs)  # already gone: success


# A token is adopted only where the server shows its value (2.7); where it hashes tokens, the
# look-alike is left alone and a new one made (tests/test_provider_authorization.py).
@pytest.mark.hashed_tokens(False)
def test_create_adopts_a_lookalike_made_by_hand_instead_of_duplicating_it(kind: Kind,
                                                                          org: InfluxOrg):
    inputs = kind.inputs(org)
    made = kind.make_by_hand(org, inputs)
    before = listed_ids(kind, org)
    with provider_host(org.server) as host:
        id_, outs, _ = check_and_create(host, kind, inputs)
    assert id_ == made["id"]
    assert listed_ids(kind, org) == before
    seen = kind.observe(kind.fetch(org, id_))
    assert seen == {key: inputs[key] for key in seen}  # patched to what was asked for
    if kind is TOKEN:
        assert outs["token"] == made["token"]


def test_refresh_shows_a_hand_edit_and_the_next_diff_undoes_it(kind: Kind, org: InfluxOrg):
    with provider_host(org.server) as host:
        id_, outs, inputs = check_and_create(host, kind, kind.inputs(org))
    org.server.api("PATCH", f"{kind.path}/{id_}", params=kind.org_params(org),
                   json=kind.hand_edit).raise_for_status()
    with provider_host(org.server) as host:  # a refresh is an operation of its own
        read_id, live = host.read(kind.provider, kind.type_name, "it", id_, outs)
        assert read_id == id_
        assert {key: live[key] for key in kind.hand_edit} == kind.hand_edit
        assert host.diff(kind.provider, kind.type_name, "it", id_, live, inputs).changes is True


def test_refresh_drops_an_object_deleted_by_hand(kind: Kind, org: InfluxOrg):
    with provider_host(org.server) as host:
        id_, outs, _ = check_and_create(host, kind, kind.inputs(org))
    org.server.api("DELETE", f"{kind.path}/{id_}", params=kind.org_params(org)).raise_for_status()
    with provider_host(org.server) as host:
        assert host.read(kind.provider, kind.type_name, "it", id_, outs) == ("", {})


@pytest.mark.hashed_tokens(False)  # hashed, a lost token is replaced: test_provider_authorization
def test_a_create_whose_answer_was_lost_is_retried_without_a_duplicate(
        kind: Kind, org: InfluxOrg, emulator: InfluxServer):
    inputs = kind.inputs(org)
    before = listed_ids(kind, org)
    emulator.add_fault(method="POST", path_prefix=kind.path, count=1, after_commit=True,
                       drop=True)
    with provider_host(org.server) as host:
        id_, _, _ = check_and_create(host, kind, inputs)
    assert listed_ids(kind, org) - before == {id_}
    posts = [entry["status"] for entry in emulator.request_log()
             if (entry["method"], entry["path"]) == ("POST", kind.path)]
    assert posts == [0]  # the dropped POST made it; the retry adopted it


def test_create_survives_bursts_of_503(kind: Kind, org: InfluxOrg, emulator: InfluxServer):
    inputs = kind.inputs(org)
    before = listed_ids(kind, org)
    emulator.add_fault(method="GET", path_prefix=kind.path, count=2, status=503)
    emulator.add_fault(method="POST", path_prefix=kind.path, count=2, status=503)
    with provider_host(org.server) as host:
        id_, _, _ = check_and_create(host, kind, inputs)
    assert listed_ids(kind, org) - before == {id_}


def test_no_token_in_the_pickled_provider_or_in_any_plain_output(kind: Kind, org: InfluxOrg):
    with provider_host(org.server) as host:
        inputs = kind.inputs(org)
        if kind is not TOKEN:  # the others take the credential they act with
            inputs["token"] = secret(org.token)
        _, outs, _ = check_and_create(host, kind, inputs)
        plain = {key: value for key, value in outs.items() if key not in host.last_secret_keys}
        pickled = base64.b64decode(host.last_serialized_provider)
    tokens = [org.token, outs["token"]]
    if kind is TOKEN:  # its value is secret by additional_secret_outputs (the engine's job)
        plain.pop("token")
    for token in tokens:
        assert token.encode() not in pickled
        assert token not in repr(plain)
