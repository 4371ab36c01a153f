"""The project's one reading of Flux (flux/syntax.py, flux/options.py) against InfluxData's own
parser (the `flux_checker` fixture): task option records whose strings hold braces, escapes,
interpolations, comments and schedule keys, and one table of duration literals, which the
policy pack's own reader (independent: its own virtualenv) must read the same way.
"""

from __future__ import annotations

import pytest

from flux.literals import flux_string
from flux.options import read_task_options
from flux.syntax import duration_parts, parts_ns, string_value
from policy.rules import duration_seconds
from testbed.flux_checker import FluxChecker

# Each script's record is read by InfluxData's parser; its name and every are what ours must say.
RECORDS = {
    "braces": 'option task = {name: "a{b}} {", every: 1h}\n',
    "backslashes": 'option task = {name: "back\\\\slash\\\\", every: 1h}\n',
    "escaped interpolation": 'option task = {name: "x\\${y}", every: 1h}\n',
    "the renderer's escapes": (
        "option task = {name: " + flux_string("a$\\${b}$") + ", every: 1h}\n"),
    "utf-8 byte escapes": 'option task = {name: "caf\\xc3\\xa9", every: 1h}\n',
    "schedule keys in the name": 'option task = {name: "cron: 1 every: 2m", every: 5m}\n',
    "every in the name of a cron task": 'option task = {name: "every: 1m", cron: "0 * * * *"}\n',
    "quotes": 'option task = {name: "say \\"hi\\"", every: 1h}\n',
    "comment marker in the name": 'option task = {name: "a // b", every: 1h}\n',
    "unicode spaces": 'option task = {name: "nb\u00a0zw\u200bls\u2028id\u3000", every: 1h}\n',
    "raw newline in the name": 'option task = {name: "two\nlines", every: 1h}\n',
    "a record in a comment first": (
        '// option task = {name: "commented", every: 1m}\n'
        'option task = {name: "real", every: 1h, offset: 5s}\n'),
    "a record in a string first": (
        'decoy = "option task = {name: \\"inner\\", every: 1m}"\n'
        'option task = {name: "outer", every: 2h}\n'),
    "braces in a comment inside the record": (
        'option task = {\n    // {{ not a brace\n    name: "commented{",\n    every: 1h,\n}\n'),
    "interpolation after the record": (
        'option task = {name: "n", every: 1h}\n\nx = "${task.name} }"\n'),
}

# (literal, (magnitude, unit) pairs) for what the Flux parser reads as a duration; None if not.
DURATIONS = [
    ("5m", [(5, "m")]),
    ("2m30s", [(2, "m"), (30, "s")]),
    ("1h", [(1, "h")]),
    ("05m", [(5, "m")]),
    ("0s", [(0, "s")]),
    ("1mo2d", [(1, "mo"), (2, "d")]),
    ("1y", [(1, "y")]),
    ("1w", [(1, "w")]),
    ("100ms", [(100, "ms")]),
    ("1us", [(1, "us")]),
    ("1µs", [(1, "µs")]),
    ("3ns", [(3, "ns")]),
    ("1d1d", [(1, "d"), (1, "d")]),
    ("5", None),
    ("5M", None),
    ("m", None),
    ("1.5h", None),
    ("1hh", None),
    ("1h ", None),
]


def _option(result: dict) -> dict:
    """The task record's properties in the checker's AST: key -> value node."""
    [statement] = [node for node in result["ast"]["body"] if node["type"] == "OptionStatement"]
    return {prop["key"]["name"]: prop["value"] for prop in statement["assignment"]["init"][
        "properties"]}


def _duration(node: dict) -> str:
    return "".join(f"{part['magnitude']}{part['unit']}" for part in node["values"])


@pytest.mark.parametrize("case", RECORDS)
def test_the_task_record_is_read_as_influxdatas_parser_reads_it(flux_checker: FluxChecker,
                                                                  case: str):
    script = RECORDS[case]
    oracle = flux_checker.check(case, script)
    assert oracle["valid"] is True, oracle
    option = _option(oracle)

    options = read_task_options(script)

    assert options.name == option["name"]["value"]
    assert str(options.every) == _duration(option["every"]) if "every" in option else (
        options.cron == option["cron"]["value"])


@pytest.mark.parametrize("literal", ['"a\\qb"', '"\\x2"', '"\\xff"'])
def test_a_string_escape_the_parser_refuses_is_refused(flux_checker: FluxChecker, literal: str):
    assert flux_checker.check(literal, f"x = {literal}\n")["valid"] is False
    with pytest.raises(ValueError):
        string_value(literal)


@pytest.mark.parametrize(("literal", "parts"), DURATIONS, ids=[case[0] for case in DURATIONS])
def test_a_duration_literal_is_read_as_influxdatas_parser_reads_it(flux_checker: FluxChecker,
                                                                    literal, parts):
    oracle = flux_checker.check(literal, f"x = {literal}\n")
    value = oracle["ast"]["body"][0].get("init", {})
    is_duration = (oracle["valid"] and value.get("type") == "DurationLiteral"
                   and value["location"]["source"] == literal)
    assert is_duration == (parts is not None)
    if parts is not None:
        units = [(magnitude, "us" if unit == "µs" else unit) for magnitude, unit in parts]
        assert [(part["magnitude"], part["unit"]) for part in value["values"]] == units

    assert duration_parts(literal) == parts


@pytest.mark.parametrize(("literal", "parts"), DURATIONS, ids=[case[0] for case in DURATIONS])
def test_the_policy_packs_own_duration_reader_agrees(literal, parts):
    expected = None if parts is None else parts_ns(parts) / 10**9
    assert duration_seconds(literal) == pytest.approx(expected)
