"""The engine stand-in reproduces preview, up, refresh and destroy step by step.

Runs the sample program (testbed/sample_program: one file per configured name, plus an index file
that lists their paths and carries a secret token) against its file provider, through the real
dynamic-provider host.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testbed.engine.provider_host import is_secret
from testbed.engine.sdk import Unknown
from testbed.engine.stand_in import Engine, Secret
from testbed.paths import REPO

SAMPLE = REPO / "testbed" / "sample_program"
TOKEN = "t0k3n-do-not-leak"


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    files = tmp_path / "files"
    files.mkdir()
    return files


@pytest.fixture
def engine(tmp_path: Path, directory: Path) -> Engine:
    return Engine(project_dir=SAMPLE, state_path=tmp_path / "state.json", stack="dev",
                  config={"sample:directory": str(directory), "sample:token": TOKEN},
                  secret_config_keys={"sample:token"})


def ops(result) -> dict[str, str]:
    return {step.name: step.op for step in result.steps}


def files_in(directory: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in directory.iterdir()}


def test_preview_plans_creates_and_changes_nothing(engine, directory):
    result = engine.preview()

    assert result.error is None
    assert ops(result) == {"alpha": "create", "beta": "create", "index": "create"}
    assert files_in(directory) == {}
    assert not engine.state_path.exists()
    assert result.outputs["dry_run"] is True
    assert isinstance(result.outputs["index_path"], Unknown)


def test_up_creates_the_files_and_records_them_with_their_dependencies(engine, directory):
    result = engine.up()

    assert result.error is None
    assert ops(result) == {"alpha": "create", "beta": "create", "index": "create"}
    assert files_in(directory) == {
        "alpha.txt": "hello", "beta.txt": "hello",
        "index.txt": f"{directory / 'alpha.txt'}\n{directory / 'beta.txt'}"}
    resources = {known.name: known for known in engine.state().resources.values()}
    assert resources["index"].dependencies == sorted([resources["alpha"].urn,
                                                      resources["beta"].urn])
    assert resources["alpha"].urn == (
        "urn:pulumi:dev::sample-program::pulumi-python:dynamic/sample:File::alpha")
    assert result.outputs["dry_run"] is False
    assert result.log == ["info: declared 2 files"]
    assert result.peak_rss_mb > 10


def test_second_up_is_all_same(engine):
    engine.up()

    result = engine.up()

    assert result.error is None
    assert set(ops(result).values()) == {"same"}


def test_changed_config_updates_in_place(engine, directory):
    engine.up()
    ids = {known.name: known.id for known in engine.state().resources.values()}
    engine.config["sample-program:content"] = "bye"

    preview = engine.preview()
    result = engine.up()

    assert ops(preview)["alpha"] == "update"
    assert ops(result) == {"alpha": "update", "beta": "update", "index": "same"}
    assert files_in(directory)["alpha.txt"] == "bye"
    assert {known.name: known.id for known in engine.state().resources.values()} == ids


def test_changed_replace_field_creates_the_new_file_then_deletes_the_old(engine, directory):
    engine.up()
    engine.config["sample-program:suffix"] = "-v2"

    preview = engine.preview()
    assert set(files_in(directory)) == {"alpha.txt", "beta.txt", "index.txt"}
    result = engine.up()

    assert set(ops(preview).values()) == {"replace"}
    assert set(ops(result).values()) == {"replace"}
    assert set(files_in(directory)) == {"alpha-v2.txt", "beta-v2.txt", "index-v2.txt"}
    assert {known.id for known in engine.state().resources.values()} == {
        "alpha-v2.txt", "beta-v2.txt", "index-v2.txt"}


def test_delete_before_replace_deletes_the_old_file_first(engine, directory):
    engine.up()
    engine.config["sample-program:kind"] = "shout"

    result = engine.up()

    # Same path: creating first and deleting the old one after would leave no file at all.
    assert ops(result) == {"alpha": "replace", "beta": "replace", "index": "same"}
    assert files_in(directory)["alpha.txt"] == "HELLO"


def test_removing_a_resource_from_the_program_deletes_it(engine, directory):
    engine.up()
    engine.config["sample-program:files"] = ["alpha"]

    preview = engine.preview()
    assert "beta.txt" in files_in(directory)
    result = engine.up()

    assert preview.names("delete") == ["beta"]
    assert ops(result) == {"alpha": "same", "index": "update", "beta": "delete"}
    assert "beta.txt" not in files_in(directory)
    assert "beta" not in {known.name for known in engine.state().resources.values()}


def test_refresh_detects_files_changed_or_deleted_by_hand(engine, directory):
    engine.up()
    (directory / "alpha.txt").write_text("edited by hand")
    (directory / "beta.txt").unlink()

    refreshed = engine.refresh()
    resources = {known.name: known for known in engine.state().resources.values()}
    repaired = engine.up()

    assert refreshed.error is None
    assert ops(refreshed) == {"alpha": "refresh-update", "beta": "refresh-delete",
                              "index": "refresh-same"}
    assert resources["alpha"].outputs["content"] == "edited by hand"
    assert "beta" not in resources
    assert ops(repaired) == {"alpha": "update", "beta": "create", "index": "same"}
    assert files_in(directory)["alpha.txt"] == "hello"


def test_destroy_deletes_everything_dependents_first(engine, directory):
    engine.up()

    result = engine.destroy()

    assert result.error is None
    deleted = result.names("delete")
    assert (deleted[0], sorted(deleted)) == ("index", ["alpha", "beta", "index"])
    assert files_in(directory) == {}
    state = engine.state()
    assert (state.resources, state.outputs) == ({}, {})


def test_destroy_leaves_a_resource_retained_on_delete_in_place(engine, directory):
    engine.config["sample-program:retain"] = ["beta"]
    engine.up()

    result = engine.destroy()

    assert sorted(result.names("delete")) == ["alpha", "beta", "index"]
    assert set(files_in(directory)) == {"beta.txt"}
    assert engine.state().resources == {}


def test_failing_program_deletes_nothing_and_keeps_what_it_created(engine, directory):
    engine.up()
    engine.config["sample-program:files"] = ["alpha", "gamma"]
    engine.config["sample-program:fail"] = True

    result = engine.up()

    assert "asked to fail" in result.error
    assert ops(result) == {"alpha": "same", "gamma": "create", "index": "update"}
    assert {"beta.txt", "gamma.txt"} <= set(files_in(directory))
    state = engine.state()
    assert {"alpha", "beta", "gamma", "index"} == {known.name for known in
                                                   state.resources.values()}


def test_stack_reference_to_itself_sees_the_outputs_of_the_last_up(engine):
    first = engine.up()
    engine.config["sample-program:files"] = ["alpha"]
    second = engine.up()
    # A program failing in an apply may or may not have registered its outputs by then (as in
    # the engine): with the same files, they are the same either way.
    engine.config["sample-program:fail"] = True
    engine.up()
    engine.config["sample-program:fail"] = False

    after_failure = engine.up()

    assert "previous_files" not in first.outputs
    assert second.outputs["previous_files"] == ["alpha", "beta"]
    assert after_failure.outputs["previous_files"] == ["alpha"]


def test_secrets_stay_wrapped_in_state_and_outputs(engine):
    result = engine.up()

    assert TOKEN not in engine.state_text()
    index = next(known for known in engine.state().resources.values() if known.name == "index")
    assert is_secret(index.inputs["token"])
    assert is_secret(index.outputs["token"])
    assert is_secret(index.outputs["receipt"])  # additional_secret_outputs
    assert is_secret(index.outputs["__provider"])
    assert not is_secret(index.outputs["path"])
    assert result.outputs["token"] == Secret(TOKEN)
    assert TOKEN not in repr(result)
    stored = json.loads(engine.state_text())["outputs"]["token"]
    assert set(stored.values()) >= {"1b47061264138c4ac30d75fd1eb44270"}


def test_check_failure_fails_the_operation_with_the_property_and_rule(engine, directory):
    engine.config["sample-program:files"] = ["alpha", "../escape"]

    result = engine.up()

    assert "check failed: name: must be a plain file name" in result.error
    assert "escape" not in ops(result)
    assert "index" not in ops(result)


def test_provider_error_fails_the_operation_with_its_traceback(engine, directory):
    engine.config["sample:directory"] = str(directory / "missing")

    result = engine.up()

    assert "FileNotFoundError" in result.error
    assert engine.state().resources == {}


def test_two_resources_with_one_urn_fail_the_operation(engine):
    engine.config["sample-program:files"] = ["alpha", "alpha"]

    result = engine.up()

    assert "sample:File::alpha: duplicate resource URN" in result.error
