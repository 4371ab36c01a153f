"""Rendering the Flux tasks: names, offsets, settings validation and the `python -m flux` CLI.

Whether the rendered scripts are valid Flux is proven by test_flux_checker.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from flux import TaskSettings, TemplateError, app_tasks, global_tasks, task_name
from flux.literals import flux_string
from flux.render import render

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str, hash_seed: str = "0", cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "flux", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _tasks_by_name(completed: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert completed.returncode == 0, completed.stderr
    return {task["name"]: task["flux"] for task in json.loads(completed.stdout)}


def test_cli_prints_each_apps_tasks_then_the_global_ones_as_json():
    tasks = json.loads(_cli("--json", "monitoring", "nublado").stdout)
    assert [task["name"] for task in tasks] == [
        "Monitoring restarts",
        "Monitoring state_checks",
        "Monitoring cpu_checks",
        "Nublado restarts",
        "Nublado state_checks",
        "Nublado cpu_checks",
        "_slack_notify_restarts",
        "_slack_notify_state_checks",
        "_slack_notify_cpu_checks",
        "_slack_notify_disk_checks",
    ]
    assert all(set(task) == {"name", "flux"} and task["flux"] for task in tasks)


def test_cli_prints_each_task_under_a_header_with_its_script_as_rendered(tmp_path):
    shown = _cli("nublado", cwd=tmp_path).stdout
    expected = [*app_tasks("nublado", TaskSettings()), *global_tasks(TaskSettings())]
    first, *sections = re.split(r"^\n// ==== ", shown, flags=re.MULTILINE)
    assert first == (f"// {len(expected)} tasks; org 'rubin', the default (no Pulumi.prod.yaml "
                     "here); other settings: the defaults\n")
    assert sections == [f"{spec.name} ====\n// {spec.description}\n{spec.flux}"
                        for spec in expected]


@pytest.mark.parametrize(("stack", "args"), [("prod", ()), ("dev", ("--stack", "dev"))])
def test_cli_names_the_org_of_the_stack_config_when_there_is_one(tmp_path, stack, args):
    (tmp_path / f"Pulumi.{stack}.yaml").write_text("config:\n  influxdb:org: square\n")

    shown = _cli(*args, "nublado", cwd=tmp_path).stdout
    tasks = _tasks_by_name(_cli("--json", *args, "nublado", cwd=tmp_path))

    assert shown.startswith(f"// {len(tasks)} tasks; org 'square' from Pulumi.{stack}.yaml;")
    assert 'org: "square")' in tasks["Nublado restarts"]
    assert 'org: "rubin"' not in "".join(tasks.values())


def test_adding_or_removing_an_app_leaves_other_apps_scripts_byte_identical():
    # Separate processes with different hash seeds: offsets must not depend on either.
    before = _tasks_by_name(_cli("--json", "alpha", "bravo", "charlie", hash_seed="1"))
    after = _tasks_by_name(_cli("--json", "aardvark", "alpha", "charlie", "delta",
                                hash_seed="2"))
    for app in ("Alpha", "Charlie"):
        for kind in ("restarts", "state_checks", "cpu_checks"):
            assert after[f"{app} {kind}"] == before[f"{app} {kind}"]


def test_app_offsets_are_seconds_within_the_minute_spread_over_apps():
    offsets = set()
    for index in range(40):
        flux = app_tasks(f"app-{index}", TaskSettings())[0].flux
        offsets.add(int(re.search(r"offset: (\d+)s\}", flux).group(1)))
    assert offsets <= set(range(60))
    assert len(offsets) > 20


def test_cli_rejects_an_unsafe_app_name_naming_it_and_printing_no_tasks():
    completed = _cli("good", "bad\x01name")
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "'bad\\x01name'" in completed.stderr


def test_cli_without_apps_prints_usage_and_fails():
    completed = _cli()
    assert completed.returncode == 2
    assert "usage:" in completed.stderr


@pytest.mark.parametrize(
    ("app", "kind", "expected"),
    [
        ("monitoring", "restarts", "Monitoring restarts"),
        ("argo-cd", "state_checks", "Argo-cd state_checks"),
        ("SasQuatch", "restarts", "Sasquatch restarts"),  # the old tool's str.capitalize
        (None, "restarts", "_slack_notify_restarts"),
        (None, "state_checks", "_slack_notify_state_checks"),
        (None, "disk_checks", "_slack_notify_disk_checks"),
        ("sasquatch", "cpu_checks", "Sasquatch cpu_checks"),
        (None, "cpu_checks", "_slack_notify_cpu_checks"),
    ],
)
def test_task_names_match_the_old_scripts(app, kind, expected):
    assert task_name(app, kind) == expected


def test_specs_carry_the_names_task_name_gives():
    settings = TaskSettings()
    assert [spec.name for spec in app_tasks("nublado", settings)] == [
        task_name("nublado", kind) for kind in ("restarts", "state_checks", "cpu_checks")
    ]
    assert [spec.name for spec in global_tasks(settings)] == [
        task_name(None, kind) for kind in ("restarts", "state_checks", "cpu_checks", "disk_checks")
    ]


def test_cpu_and_memory_checks_both_off_leave_out_the_cpu_checks_tasks():
    settings = TaskSettings(cpu_checks=False, memory_checks=False)
    assert [spec.name for spec in app_tasks("nublado", settings)] == [
        "Nublado restarts", "Nublado state_checks"]
    assert "_slack_notify_cpu_checks" not in [spec.name for spec in global_tasks(settings)]
    memory_only = app_tasks("nublado", TaskSettings(cpu_checks=False, memory_checks=True))[2]
    assert "memory_usage_bytes" in memory_only.flux
    assert "cpu_usage_nanocores" not in memory_only.flux
    assert all("nublado" in spec.description for spec in app_tasks("nublado", settings))


@pytest.mark.parametrize(("app", "kind"), [("nublado", "disk_checks"), (None, "memory_checks")])
def test_unknown_task_kind_is_refused_listing_the_known_ones(app, kind):
    with pytest.raises(TemplateError, match=rf"'{kind}' is not an .* task kind; use one of"):
        task_name(app, kind)


@pytest.mark.parametrize("app", ["", "   ", "nul\x00byte", "new\nline", "del\x7f", "esc\x1b[0m"])
def test_unrepresentable_app_name_is_refused_naming_it(app):
    with pytest.raises(TemplateError, match=re.escape(repr(app))):
        app_tasks(app, TaskSettings())


@pytest.mark.parametrize("value", ["bell\x07", "nul\x00", "\x9bcsi", "lone\ud800surrogate"])
def test_flux_string_refuses_characters_without_a_safe_escape(value):
    with pytest.raises(TemplateError, match="control character"):
        flux_string(value)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("check_every", "5x", "Flux duration literal"),
        ("check_every", "5", "Flux duration literal"),
        ("check_every", "5M", "Flux duration literal"),
        ("check_every", 300, "Flux duration literal"),
        ("notify_every", "1mo", "calendar unit"),
        ("check_every", "30s", "shorter than 1m"),
        ("notify_every", "59s999ms", "shorter than 1m"),
        ("realert_after", "10m", "realert_after='10m' is shorter than"),
        ("realert_after", "1h ", "Flux duration literal"),
        ("disk_warn_percent", "85", "int percentage"),
        ("disk_warn_percent", 85.0, "int percentage"),
        ("disk_danger_percent", True, "int percentage"),
        ("disk_danger_percent", 101, "int percentage"),
        ("disk_warn_percent", 95, "must be below TaskSettings.disk_danger_percent"),
        ("org", "", "non-empty"),
        ("multiapp_bucket", "multi\napp_", "control characters"),
        ("slack_channel", None, "non-empty"),
        ("not_running_for", "25h", "not_running_for='25h' is longer than 24h"),
        ("not_running_for", "10", "Flux duration literal"),
        ("no_data_after", "4m", "at least TaskSettings.check_every='5m'"),
        ("no_data_after", "24h", "shorter than 24h"),
        ("no_data_after", "15", "Flux duration literal"),
    ],
)
def test_bad_setting_is_refused_naming_the_setting(setting, value, message):
    with pytest.raises(TemplateError, match=re.escape(setting)) as raised:
        TaskSettings(**{setting: value})
    assert message in str(raised.value)


def test_settings_reach_the_scripts():
    settings = TaskSettings(
        check_every="2m30s", notify_every="2m", realert_after="3h", disk_warn_percent=70
    )
    restarts, state_checks, _ = (spec.flux for spec in app_tasks("nublado", settings))
    assert "every: 2m30s" in restarts and "range(start: -5m)" in restarts  # two check periods
    assert "range(start: -2m30s)" in state_checks
    notifier, _, _, disk = (spec.flux for spec in global_tasks(settings))
    assert "every: 2m" in notifier and "range(start: -3h)" in notifier
    assert "r._value > 70.0" in disk and "range(start: -4m)" in disk


def test_not_running_for_and_no_data_after_reach_the_state_checks_and_0s_leaves_them_out():
    def state_checks(**settings: str) -> str:
        return app_tasks("nublado", TaskSettings(**settings))[1].flux

    waiting = state_checks(not_running_for="10m", no_data_after="20m")
    assert "range(start: -10m)" in waiting and "range(start: -15m, stop: -10m)" in waiting
    assert "date.sub(from: now(), d: 20m)" in waiting and "range(start: -24h)" in waiting
    plain = state_checks(no_data_after="0s")
    assert "downLongEnough" not in plain and "no_data" not in plain and "import" not in plain
    assert "downLongEnough" not in state_checks() and '_field: "no_data"' in state_checks()


def test_no_task_holds_a_literal_url():
    settings = TaskSettings()
    specs = [*app_tasks("nublado", settings), *global_tasks(settings)]
    assert not [spec.name for spec in specs if re.search(r"https?://", spec.flux, re.I)]


def test_a_template_variable_left_out_is_an_error_not_an_empty_string():
    with pytest.raises(jinja2.UndefinedError):
        render("restarts.flux.j2", {"name": "Nublado restarts", "every": "5m", "offset": "1s"})


def test_post_resolved_off_leaves_the_resolution_parts_out_of_every_task():
    def scripts(**settings: bool) -> str:
        specs = [*app_tasks("nublado", TaskSettings(**settings)),
                 *global_tasks(TaskSettings(**settings))]
        return "\n".join(spec.flux for spec in specs)

    on = scripts(memory_checks=True)
    assert all(part in on for part in ("state_cleared", "limit_cleared", '"resolved"',
                                       "recentlyOver", "subjectOf"))
    off = scripts(post_resolved=False, memory_checks=True)
    assert all(part not in off for part in ("state_cleared", "limit_cleared", "resolved",
                                            "subject", "recentlyOver", "cleared", "latest ="))
