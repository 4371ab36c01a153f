"""Every rendered task script and dashboard query, checked by InfluxData's own Flux parser and
semantic analyser (a dashboard query with the `v` record the InfluxDB UI passes set).

All scripts go to the session's one Node process (the `flux_checker` fixture, loading the
pinned @influxdata/flux-lsp-browser from node_modules, which `make test` installs with `npm ci`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest

from flux import TaskSettings, TaskSpec, app_tasks, global_tasks
from flux.dashboards import alert_cells, application_cells, application_choices, cluster_choices
from flux.literals import flux_string
from flux.posts import AlertLink, Silence
from flux.render import TEMPLATES, environment
from flux.settings import SlackRoute
from flux.tasks import app_task_context
from testbed.flux_checker import FluxChecker
from testbed.influx.dashboards import Choices, with_choices

ORDINARY_APPS = ["monitoring", "nublado", "argo-cd"]
HOSTILE_APPS = [
    'x") |> drop() //',
    'x$") |> drop() //',
    'quote"inside',
    "back\\slash",
    "trailing\\",
    "${r._value}",
    "$${x}",
    "a$\\${b}",
    "dollar$",
    "$",
    "with spaces in it",
    "ünïcødé-ß-ǆ-日本語-$é",
    "long-" + "x" * 120,
    '"; import "http" //',
    "*/ /* //",
]
# Every string setting made awkward at once, so each lands in a literal that must survive.
HOSTILE_SETTINGS = TaskSettings(
    org='org "${name}"',
    multiapp_bucket='multi") |> drop() //',
    alerted_bucket="alerted\\$",
    disk_bucket="disk ${host}",
    slack_secret_key='key"',
    slack_channel="#alerts $$ \\",
    check_every="2m30s",
    notify_every="90s",
    realert_after="2h",
    disk_warn_percent=70,
    disk_danger_percent=99,
)
# Values for the escaping filter alone, including characters a name may not hold.
# Every optional part on: the noisy cases quieted, a wait before "not running", memory checks,
# routes by cluster, silences (patterns holding what a regex or a Flux literal reads as syntax),
# links and the heartbeat.
QUIET_SETTINGS = TaskSettings(ignore_pods=("prepull-*", "job-?.x"), alert_pending_pods=False,
                              memory_checks=True, not_running_for="15m", slack_routes=(
                                  SlackRoute('summit "a"', "#summit ${x}", "key\\$"),
                                  SlackRoute("base", "#base", "slack_base")),
                              group_above=1, heartbeat_secret_key='beat "${x}"', silences=(
                                  Silence("summit/*/kafka-?", datetime.datetime(
                                      2026, 5, 1, tzinfo=datetime.UTC)),
                                  Silence('b/(a|"${x}")+[\\/]^$.{2}/*', datetime.datetime(
                                      2026, 5, 1, 12, 30, tzinfo=datetime.timezone(
                                          datetime.timedelta(hours=-3))))),
                              alert_links=(
                                  AlertLink("Dash <b> & ${x}", "https://g.example/d?a={app}&c="
                                                               "{cluster}&n={namespace}#$\"\\\\"),
                                  AlertLink('run "book"', "http://r.example/{pod}")))
LITERAL_VALUES = ["", "plain", "line\nbreak", "tab\tand\rreturn", '\\"${}$', "$\n", "$$\\$"]


@dataclass(frozen=True)
class TaskCase:
    """A rendered task and what its AST must say."""

    spec: TaskSpec
    from_buckets: frozenset[str]
    to_targets: frozenset[tuple[str, str]]  # (bucket, org) of every to()
    every: str
    shape_of: str = ""  # the case id of an ordinary rendering this one must match in shape
    extra: dict[str, Any] = field(default_factory=dict)


def _task_cases(apps: list[str], settings: TaskSettings, label: str) -> dict[str, TaskCase]:
    cases = {}
    for app in apps:
        for spec in app_tasks(app, settings):
            kind = spec.name.rsplit(" ", 1)[1]
            # The limit check reads its own recent findings, to say which ones cleared.
            resolving = kind == "cpu_checks" and settings.post_resolved
            cases[f"{label}/{app}/{kind}"] = TaskCase(
                spec,
                frozenset({app, settings.multiapp_bucket} if resolving else {app}),
                frozenset({(settings.multiapp_bucket, settings.org)}),
                settings.check_every,
                shape_of=f"ordinary/monitoring/{kind}",
            )
    for spec in global_tasks(settings):
        watched = (settings.disk_bucket if spec.name == "_slack_notify_disk_checks"
                   else settings.multiapp_bucket)
        cases[f"{label}/{spec.name}"] = TaskCase(
            spec,
            frozenset({watched, settings.alerted_bucket}),
            frozenset({(settings.alerted_bucket, settings.org)}),
            settings.notify_every,
            shape_of=f"ordinary/{spec.name}",
        )
    return cases


TASK_CASES = {
    **_task_cases(ORDINARY_APPS, TaskSettings(), "ordinary"),
    **_task_cases(HOSTILE_APPS, TaskSettings(), "hostile-app"),
    **_task_cases(["monitoring"], HOSTILE_SETTINGS, "hostile-settings"),
    **_task_cases(["monitoring"], QUIET_SETTINGS, "optional-parts"),
    # ... and the parts on by default turned off: no no-data check.
    **_task_cases(["monitoring"], TaskSettings(no_data_after="0s"), "default-parts-off"),
    **_task_cases(["monitoring"], TaskSettings(post_resolved=False), "resolved-off"),
}


# Each dashboard query as rendered, then with awkward settings and ignored bucket names (each
# to be read as the ordinary one of the same shape).
DASHBOARD_QUERIES = {
    **{f"dashboard/{query.name}": query.flux
       for query in [*application_cells(), *alert_cells(TaskSettings()), cluster_choices()]},
    **{f"dashboard-hostile/{query.name}": query.flux for query in alert_cells(HOSTILE_SETTINGS)},
    "dashboard/K8s_application": application_choices(
        [f"ignored-{index}" for index in range(len(HOSTILE_APPS))]).flux,
    "dashboard-hostile/K8s_application": application_choices(HOSTILE_APPS).flux,
}
VIEWER = Choices('x") |> drop() //', "summit ${x}")


def _broken_restarts_script() -> str:
    """A copy of the real restarts template with one function name misspelt, rendered."""
    source = (TEMPLATES / "restarts.flux.j2").read_text()
    assert "|> difference()" in source
    broken = source.replace("|> difference()", "|> diference()")
    context = app_task_context("monitoring", "restarts", TaskSettings())
    return environment().from_string(broken).render(context)


def _scripts() -> list[dict[str, str]]:
    scripts = [{"name": case_id, "flux": case.spec.flux} for case_id, case in TASK_CASES.items()]
    scripts.append({"name": "broken-template", "flux": _broken_restarts_script()})
    scripts += [{"name": name, "flux": with_choices(flux, VIEWER)}
                for name, flux in DASHBOARD_QUERIES.items()]
    scripts += [
        {"name": f"literal/{index}", "flux": f"value = {flux_string(value)}\n"}
        for index, value in enumerate(LITERAL_VALUES)
    ]
    return scripts


@pytest.fixture(scope="module")
def checked(flux_checker: FluxChecker) -> dict[str, dict[str, Any]]:
    """The checker's verdict and AST for every script of this module."""
    return {script["name"]: flux_checker.check(**script) for script in _scripts()}


# AST helpers.


def _nodes(node: Any):
    """Every dict node of an AST, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nodes(item)


def _calls(ast: dict[str, Any], function: str) -> list[dict[str, Any]]:
    """The arguments (property name -> value node) of every call of a plain function.

    A call node has a callee; the call of a pipe (`|> to(...)`) carries no "type" of its own.
    """
    calls = []
    for node in _nodes(ast):
        callee = node.get("callee")
        if callee and callee.get("type") == "Identifier" and callee["name"] == function:
            properties = node["arguments"][0]["properties"] if node.get("arguments") else []
            calls.append({prop["key"]["name"]: prop["value"] for prop in properties})
    return calls


def _string(value_node: dict[str, Any]) -> str:
    """The value of a plain string literal; anything else (an interpolation) fails the test."""
    assert value_node["type"] == "StringLiteral", value_node
    return value_node["value"]


def _task_option(ast: dict[str, Any]) -> dict[str, Any]:
    options = [
        node["assignment"]
        for node in ast["body"]
        if node["type"] == "OptionStatement" and node["assignment"]["id"]["name"] == "task"
    ]
    assert len(options) == 1
    return {prop["key"]["name"]: prop["value"] for prop in options[0]["init"]["properties"]}


SHAPELESS = ("location", "comments")


def _shape(node: Any) -> Any:
    """The AST without positions, comments and literal values: what the code does, not says."""
    if isinstance(node, dict):
        if node.get("type") in ("StringLiteral", "DurationLiteral", "FloatLiteral"):
            return node["type"]
        return {key: _shape(value) for key, value in node.items() if key not in SHAPELESS}
    if isinstance(node, list):
        return [_shape(item) for item in node]
    return node


# Tests.


@pytest.mark.parametrize("case_id", TASK_CASES)
def test_rendered_task_passes_the_flux_semantic_checker(checked, case_id):
    result = checked[case_id]
    assert result.get("error") is None
    assert result["valid"] is True, TASK_CASES[case_id].spec.flux


@pytest.mark.parametrize("case_id", TASK_CASES)
def test_task_reads_and_writes_exactly_the_named_buckets(checked, case_id):
    case, ast = TASK_CASES[case_id], checked[case_id]["ast"]
    assert {_string(call["bucket"]) for call in _calls(ast, "from")} == case.from_buckets
    targets = {(_string(call["bucket"]), _string(call["org"])) for call in _calls(ast, "to")}
    assert targets == case.to_targets


@pytest.mark.parametrize("case_id", TASK_CASES)
def test_task_option_carries_the_spec_name_and_schedule(checked, case_id):
    case = TASK_CASES[case_id]
    option = _task_option(checked[case_id]["ast"])
    assert _string(option["name"]) == case.spec.name
    every = "".join(f"{part['magnitude']}{part['unit']}" for part in option["every"]["values"])
    assert every == case.every


@pytest.mark.parametrize("case_id", [cid for cid in TASK_CASES
                                     if not cid.startswith(("ordinary/", "optional-parts/",
                                                             "default-parts-off/",
                                                             "resolved-off/"))])
def test_awkward_names_and_settings_change_no_code_only_string_values(checked, case_id):
    shape_of = TASK_CASES[case_id].shape_of
    assert _shape(checked[case_id]["ast"]) == _shape(checked[shape_of]["ast"])


def test_a_template_with_a_misspelt_function_is_rejected_by_the_checker(checked):
    assert checked["broken-template"]["valid"] is False
    assert checked["ordinary/monitoring/restarts"]["valid"] is True


@pytest.mark.parametrize(("index", "value"), list(enumerate(LITERAL_VALUES)))
def test_flux_string_is_read_back_by_the_flux_parser_as_the_same_value(checked, index, value):
    result = checked[f"literal/{index}"]
    assert result["valid"] is True
    assert _string(result["ast"]["body"][0]["init"]) == value


@pytest.mark.parametrize("name", DASHBOARD_QUERIES)
def test_dashboard_query_passes_the_flux_semantic_checker(checked, name):
    result = checked[name]
    assert result.get("error") is None
    assert result["valid"] is True, DASHBOARD_QUERIES[name]


@pytest.mark.parametrize("name", [name for name in DASHBOARD_QUERIES
                                  if name.startswith("dashboard-hostile/")])
def test_awkward_settings_and_ignored_names_change_no_dashboard_code(checked, name):
    ordinary = name.replace("dashboard-hostile/", "dashboard/")
    assert _shape(checked[name]["ast"]) == _shape(checked[ordinary]["ast"])
