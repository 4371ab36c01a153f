"""The guards that decide whether a run may go ahead (program/guards.py), on their own; under the
engines against InfluxDB in tests/test_program.py and tests/test_retention_cuts.py."""

import pytest

from program.guards import TooManyAppsRemoved, apps_with_tasks, check_app_removal


def test_apps_with_tasks_are_named_by_bucket_when_known_and_by_task_name_otherwise():
    names = ["Mobu restarts", "Mobu state_checks", "Gafaelfawr restarts", "_slack_notify_disk",
             "Nublado state_checks", "someone's task"]
    assert apps_with_tasks(names, known_apps=["mobu", "nublado", "sasquatch"]) == {
        "mobu", "nublado", "Gafaelfawr"}


def test_removing_a_few_apps_is_allowed():
    removed = check_app_removal(["a", "b", "c", "d"], ["a", "b", "c"],
                                max_percent=50, max_count=2, allowed=False)
    assert removed == ["d"]


def test_removing_most_apps_stops_the_run_and_says_how_to_allow_it():
    with pytest.raises(TooManyAppsRemoved, match="allowMassDeletion true"):
        check_app_removal(["a", "b", "c", "d"], ["a"], max_percent=50, max_count=2,
                          allowed=False)


def test_removing_most_apps_of_a_small_org_is_allowed_below_the_count():
    assert check_app_removal(["a", "b"], [], max_percent=50, max_count=2,
                             allowed=False) == ["a", "b"]


def test_allow_mass_deletion_lets_the_run_remove_them():
    assert check_app_removal(["a", "b", "c", "d"], [], max_percent=50, max_count=2,
                             allowed=True) == ["a", "b", "c", "d"]


def test_the_first_run_has_nothing_to_remove():
    assert check_app_removal(None, ["a"], max_percent=50, max_count=2, allowed=False) == []
