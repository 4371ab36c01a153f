"""The provider-host harness drives the SDK's real dynamic-provider host, in its own process.

Uses the sample program's file provider (testbed/sample_program/filestore.py), pickled by reference
as `testbed.sample_program.filestore.FileProvider` (the host runs in the repository root).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import dill
import grpc
import pytest

from testbed.engine.provider_host import ProviderError, ProviderHost, secret
from testbed.engine.sdk import Unknown
from testbed.sample_program import filestore
from testbed.sample_program.filestore import FileProvider

FILE = "pulumi-python:dynamic/sample:File"


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("files")


@pytest.fixture(scope="module")
def host(directory: Path) -> ProviderHost:
    with ProviderHost() as started:
        started.configure({"sample:directory": str(directory), "sample:token": secret("t0k3n")})
        yield started


def test_provider_methods_run_in_the_host_process_not_in_the_test(host, directory):
    host.create(FileProvider(), FILE, "one", {"name": "one.txt", "content": "hi"})

    assert host.process.pid != os.getpid()
    assert (directory / "one.txt").read_text() == "hi"
    # The host configured its own copy of the module; this process's copy never was.
    assert filestore._directory is None


def test_provider_is_pickled_by_reference_and_holds_no_configuration(host):
    host.create(FileProvider(), FILE, "two", {"name": "two.txt", "content": "hi"})

    pickled = base64.b64decode(host.last_serialized_provider)
    assert b"testbed.sample_program.filestore" in pickled
    assert b"t0k3n" not in pickled
    assert type(dill.loads(pickled)) is FileProvider


def test_created_outputs_come_back_deserialized_with_ints_as_floats(host):
    id_, outs = host.create(FileProvider(), FILE, "three",
                            {"name": "three.txt", "content": "hi", "mode": 420})

    assert id_ == "three.txt"
    assert outs["mode"] == 420.0
    assert isinstance(outs["mode"], float)
    assert outs["path"].endswith("three.txt")
    assert outs["__provider"] == host.last_serialized_provider


def test_secret_inputs_reach_the_provider_plain_and_come_back_marked_secret(host, directory):
    _, outs = host.create(FileProvider(), FILE, "four",
                          {"name": "four.txt", "content": secret("classified")})

    assert (directory / "four.txt").read_text() == "classified"
    assert outs["content"] == "classified"
    assert "content" in host.last_secret_keys
    assert "__provider" in host.last_secret_keys
    assert "name" not in host.last_secret_keys


def test_check_failures_name_the_property(host):
    inputs, failures = host.check(FileProvider(), FILE, "bad", {},
                                  {"name": "a/b", "content": "x", "kind": "loud"})

    assert failures == [("name", "must be a plain file name"),
                        ("kind", "must be plain or shout")]
    assert inputs["name"] == "a/b"


def test_unknown_inputs_reach_check_as_unknown(host):
    inputs, failures = host.check(FileProvider(), FILE, "later", {},
                                  {"name": "later.txt", "content": Unknown()})

    assert failures == []
    assert isinstance(inputs["content"], Unknown)


def test_diff_reports_changes_replaces_and_delete_before_replace(host):
    _, outs = host.create(FileProvider(), FILE, "five", {"name": "five.txt", "content": "a"})

    same = host.diff(FileProvider(), FILE, "five", "five.txt", outs,
                     {"name": "five.txt", "content": "a"})
    edited = host.diff(FileProvider(), FILE, "five", "five.txt", outs,
                       {"name": "five.txt", "content": "b"})
    shouted = host.diff(FileProvider(), FILE, "five", "five.txt", outs,
                        {"name": "five.txt", "content": "a", "kind": "shout"})

    assert (same.changes, same.replaces) == (False, [])
    assert (edited.changes, edited.replaces, edited.delete_before_replace) == (True, [], False)
    assert (shouted.replaces, shouted.delete_before_replace) == (["kind"], True)


def test_update_read_and_delete_act_on_the_file(host, directory):
    _, outs = host.create(FileProvider(), FILE, "six", {"name": "six.txt", "content": "a"})

    updated = host.update(FileProvider(), FILE, "six", "six.txt", outs,
                          {"name": "six.txt", "content": "b"})
    (directory / "six.txt").write_text("edited by hand")
    read_id, read_outs = host.read(FileProvider(), FILE, "six", "six.txt", updated)
    host.delete(FileProvider(), FILE, "six", "six.txt", read_outs)

    assert updated["content"] == "b"
    assert (read_id, read_outs["content"]) == ("six.txt", "edited by hand")
    assert not (directory / "six.txt").exists()
    assert host.read(FileProvider(), FILE, "six", "six.txt", read_outs) == ("", {})


def test_provider_exceptions_arrive_as_provider_error_with_the_traceback(host):
    with pytest.raises(ProviderError) as raised:
        host.create(FileProvider(), FILE, "seven", {"name": "missing/seven.txt", "content": "a"})

    assert raised.value.code == grpc.StatusCode.UNKNOWN
    assert "FileNotFoundError" in raised.value.details
    assert "Traceback" in raised.value.details


def test_unconfigured_provider_fails_in_the_host(directory):
    with ProviderHost() as fresh, pytest.raises(ProviderError) as raised:
        fresh.configure({})
        fresh.create(FileProvider(), FILE, "eight", {"name": "eight.txt", "content": "a"})

    assert "sample:directory is not configured" in raised.value.details
