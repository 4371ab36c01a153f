"""The markdown report (bench/RESULTS.md): the machine, the measurements, the targets checked.

Everything above NOTES_MARKER is generated; the analysis written by hand below it is kept when the
report is written again.
"""

from __future__ import annotations

import datetime
import os
import platform
from collections.abc import Iterable
from pathlib import Path

from bench.phases import PHASES
from bench.targets import expected_counts

NOTES_MARKER = "<!-- Written by hand below this line; bench/run.py keeps it when it rewrites. -->"
GROWTH_LIMIT = 12  # seconds(10 N) / seconds(N): linear growth, with some slack
MEMORY_LIMIT_MB = 300


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    header = list(header)
    return [row(*header), row(*["---"] * len(header)), *(row(*cells) for cells in rows)]


SERVERS = {"emulator": "the emulator", "influxd": "the real influxd"}


def server_of(run: dict) -> str:
    return run.get("server", "emulator")


def measurements(run: dict) -> list[str]:
    return [f"### {run['buckets']} application buckets, {SERVERS[server_of(run)]}", "", *table(
        ("phase", "reads", "writes", "seconds", "peak MB, program + provider host",
         "peak MB, emulator", "steps"),
        ((name, phase["reads"], phase["writes"], f"{phase['seconds']:.2f}",
          f"{phase['peak_rss_mb']:.0f}", _optional_mb(phase["emulator_peak_rss_mb"]),
          ", ".join(f"{op} {count}" for op, count in sorted(phase["steps"].items())) or "none")
         for name, phase in run["phases"].items())), ""]


def count_targets(runs: list[dict]) -> list[str]:
    rows = []
    for run in runs:
        expected = expected_counts(run["buckets"])
        for name, phase in run["phases"].items():
            want = expected[name]
            met = (phase["reads"], phase["writes"]) == (want.reads, want.writes)
            rows.append((run["buckets"], server_of(run), name, f"{phase['reads']} ({want.reads})",
                         f"{phase['writes']} ({want.writes})", "met" if met else "**missed**"))
    return ["## Request counts against the targets (expected in brackets)", "", *table(
        ("buckets", "server", "phase", "reads", "writes", "target"), rows), ""]


def both_servers(runs: list[dict]) -> list[str]:
    """The request counts of the sizes measured on both servers, side by side."""
    emulated = {run["buckets"]: run for run in runs if server_of(run) == "emulator"}
    real = {run["buckets"]: run for run in runs if server_of(run) == "influxd"}
    rows = []
    for size in sorted(set(emulated) & set(real)):
        for name in PHASES:
            ours, theirs = emulated[size]["phases"][name], real[size]["phases"][name]
            counts = [(phase["reads"], phase["writes"]) for phase in (ours, theirs)]
            rows.append((size, name, "{} / {}".format(*counts[0]), "{} / {}".format(*counts[1]),
                         "same" if counts[0] == counts[1] else "**differ**"))
    if not rows:
        return []
    return ["## Request counts on both servers (reads / writes)", "", *table(
        ("buckets", "phase", "emulator", "real influxd", "counts"), rows), ""]


def growth(runs: list[dict]) -> list[str]:
    by_size = {run["buckets"]: run for run in runs}
    pairs = [(small, small * 10) for small in sorted(by_size) if small * 10 in by_size]
    if not pairs:
        return []
    rows = []
    for small, large in pairs:
        for name in PHASES:
            before = by_size[small]["phases"][name]["seconds"]
            after = by_size[large]["phases"][name]["seconds"]
            ratio = after / before
            rows.append((f"{small} → {large}", name, f"{before:.2f}", f"{after:.2f}",
                         f"{ratio:.1f}", "met" if ratio <= GROWTH_LIMIT else "**missed**"))
    return [f"## Time growth (target: ten times the buckets, at most {GROWTH_LIMIT} times the "
            "seconds)", "", *table(("buckets", "phase", "seconds before", "seconds after",
                                    "ratio", "target"), rows), ""]


def memory(runs: list[dict]) -> list[str]:
    if not runs:
        return []
    largest = max(runs, key=lambda run: run["buckets"])
    name, phase = max(largest["phases"].items(), key=lambda item: item[1]["peak_rss_mb"])
    verdict = "within" if phase["peak_rss_mb"] <= MEMORY_LIMIT_MB else "**over**"
    return ["## Peak memory", "",
            f"At {largest['buckets']} application buckets the program and the provider host "
            f"peak at {phase['peak_rss_mb']:.0f} MB together (in `{name}`), {verdict} "
            f"{MEMORY_LIMIT_MB} MB. The emulator is not included in that figure.", ""]


def render(runs: list[dict], notes: str) -> str:
    today = datetime.date.today().isoformat()
    lines = [
        "# Benchmark: API requests, time and memory as the organization grows", "",
        f"Measured {today} on {cpu_model()} ({os.cpu_count()} cores), Python "
        f"{platform.python_version()}, with `bench/run.py {_arguments(runs)}`.", "",
        "Each size runs in a fresh emulator: an org with that many application buckets, the "
        "system buckets and `roundtable_internal_` (so the disk check is declared), then the "
        "engine stand-in runs `preview` (empty state), `up`, `up` again (`noop_up`), one bucket "
        "added then `up` (`add_one`), `refresh` and `destroy`. Reads are GETs, writes are POST, "
        "PATCH and DELETE, counted around each phase from the emulator's request log or, on the "
        "real influxd (`--real-buckets`), from its Prometheus counter `http_api_requests_total`. "
        "Seconds are wall time of the operation (a new program process and provider host each "
        "time). Peak memory is the program's process plus the provider host's; the emulator's "
        "own peak is the separate column.", "",
        "## Measurements", "",
    ]
    for run in runs:
        lines += measurements(run)
    emulated = [run for run in runs if server_of(run) == "emulator"]
    lines += count_targets(runs) + both_servers(runs) + growth(emulated) + memory(emulated)
    return "\n".join([*lines, NOTES_MARKER, notes.strip("\n"), ""])


def kept_notes(path: Path) -> str:
    """The hand-written part of an existing report, if any."""
    if not path.exists():
        return ""
    _generated, marker, notes = path.read_text().partition(NOTES_MARKER)
    return notes if marker else ""


def write_report(path: Path, runs: list[dict]) -> None:
    path.write_text(render(runs, kept_notes(path)))


def _arguments(runs: list[dict]) -> str:
    sizes = {kind: " ".join(str(run["buckets"]) for run in runs if server_of(run) == kind)
             for kind in SERVERS}
    return f"--buckets {sizes['emulator']}" + (
        f" --real-buckets {sizes['influxd']}" if sizes["influxd"] else "")


def _optional_mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"
