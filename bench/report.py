"""The markdown report (bench/RESULTS.md): the machine, the measurements, the targets checked.

Everything above NOTES_MARKER is generated; the analysis written by hand below it is kept when the
report is written again.
"""

from __future__ import annotations

import datetime
import os
import platform
from collections.abc import Iterable
from itertools import groupby
from pathlib import Path

from bench.phases import PHASES
from bench.targets import expected_counts

NOTES_MARKER = "<!-- Written by hand below this line; bench/run.py keeps it when it rewrites. -->"
GROWTH_LIMIT = 12  # seconds(10 N) / seconds(N): linear growth, with some slack
MEMORY_LIMIT_MB = 300  # the program and provider host under the stand-in
# Our seconds / the floor's under the real CLI; phases without a limit are reported only.
FLOOR_TIME_LIMITS = {"preview": 1.5, "noop_up": 1.5, "up": 2.0, "destroy": 2.0}
FLOOR_MEMORY_LIMIT = 1.5

SERVERS = {"emulator": "the emulator", "influxd": "the real influxd"}
ENGINES = {"standin": "the engine stand-in", "real": "the real Pulumi CLI",
           "real-checkpoints": "the real Pulumi CLI writing the state after every step"}
SERVER_OPTIONS = {"emulator": "emulator", "influxd": "real"}


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


def engine_of(run: dict) -> str:
    return run.get("engine", "standin")


def server_of(run: dict) -> str:
    return run.get("server", "emulator")


def setting(run: dict) -> tuple[str, str]:
    return engine_of(run), server_of(run)


def title(run: dict) -> str:
    return f"{run['buckets']} application buckets, {ENGINES[engine_of(run)]} on " \
           f"{SERVERS[server_of(run)]}"


def steps(phase: dict) -> str:
    return ", ".join(f"{op} {count}" for op, count in sorted(phase["steps"].items())) or "none"


def measurements(run: dict) -> list[str]:
    if "floor" in run:
        return floor_measurements(run)
    return [f"### {title(run)}", "", *table(
        ("phase", "reads", "writes", "seconds", "peak MB, program + provider host",
         "peak MB, emulator", "steps"),
        ((name, phase["reads"], phase["writes"], f"{phase['seconds']:.2f}",
          f"{phase['peak_rss_mb']:.0f}", _optional_mb(phase["emulator_peak_rss_mb"]),
          steps(phase))
         for name, phase in run["phases"].items())), ""]


def floor_measurements(run: dict) -> list[str]:
    floor = run["floor"]["phases"]
    return [f"### {title(run)}, beside the floor ({run['floor']['resources']} resources)", "",
            *table(("phase", "reads", "writes", "seconds", "floor seconds", "over floor",
                    "peak MB, all processes", "floor peak MB", "over floor", "steps"),
                   ((name, phase["reads"], phase["writes"], f"{phase['seconds']:.2f}",
                     f"{floor[name]['seconds']:.2f}", f"{time_ratio(run, name):.2f}",
                     f"{phase['peak_rss_mb']:.0f}", f"{floor[name]['peak_rss_mb']:.0f}",
                     f"{memory_ratio(run, name):.2f}", steps(phase))
                    for name, phase in run["phases"].items())), ""]


def time_ratio(run: dict, phase: str) -> float:
    return run["phases"][phase]["seconds"] / run["floor"]["phases"][phase]["seconds"]


def memory_ratio(run: dict, phase: str) -> float:
    return run["phases"][phase]["peak_rss_mb"] / run["floor"]["phases"][phase]["peak_rss_mb"]


def count_targets(runs: list[dict]) -> list[str]:
    rows = []
    for run in runs:
        expected = expected_counts(run["buckets"], engine_of(run))
        for name, phase in run["phases"].items():
            want = expected[name]
            met = (phase["reads"], phase["writes"]) == (want.reads, want.writes)
            rows.append((run["buckets"], engine_of(run), server_of(run), name,
                         f"{phase['reads']} ({want.reads})", f"{phase['writes']} ({want.writes})",
                         _verdict(met)))
    return ["## Request counts against the targets (expected in brackets)", "", *table(
        ("buckets", "engine", "server", "phase", "reads", "writes", "target"), rows), ""]


def both_servers(runs: list[dict]) -> list[str]:
    """The request counts of the sizes one engine measured on both servers, side by side."""
    rows = []
    for engine in ENGINES:
        emulated = {run["buckets"]: run for run in runs if setting(run) == (engine, "emulator")}
        real = {run["buckets"]: run for run in runs if setting(run) == (engine, "influxd")}
        for size in sorted(set(emulated) & set(real)):
            for name in PHASES:
                ours, theirs = emulated[size]["phases"][name], real[size]["phases"][name]
                counts = [(phase["reads"], phase["writes"]) for phase in (ours, theirs)]
                rows.append((size, engine, name, "{} / {}".format(*counts[0]),
                             "{} / {}".format(*counts[1]),
                             "same" if counts[0] == counts[1] else "**differ**"))
    if not rows:
        return []
    return ["## Request counts on both servers (reads / writes)", "", *table(
        ("buckets", "engine", "phase", "emulator", "real influxd", "counts"), rows), ""]


def growth(runs: list[dict]) -> list[str]:
    """Seconds at ten times the buckets, per engine and server, and for the floor."""
    rows = []
    for (engine, server), group in groupby(sorted(runs, key=setting), key=setting):
        by_size = {run["buckets"]: run for run in group}
        for small in sorted(by_size):
            large = small * 10
            if large not in by_size:
                continue
            # A run and its floor both hold their own "phases".
            pairs = [("program", by_size[small], by_size[large])]
            if "floor" in by_size[large]:
                pairs.append(("floor", by_size[small]["floor"], by_size[large]["floor"]))
            for program, smaller, larger in pairs:
                for name in PHASES:
                    before = smaller["phases"][name]["seconds"]
                    after = larger["phases"][name]["seconds"]
                    ratio = after / before
                    rows.append((f"{small} → {large}", engine, server, program, name,
                                 f"{before:.2f}", f"{after:.2f}", f"{ratio:.1f}",
                                 _verdict(ratio <= GROWTH_LIMIT)))
    if not rows:
        return []
    return [f"## Time growth (target: ten times the buckets, at most {GROWTH_LIMIT} times the "
            "seconds)", "", *table(("buckets", "engine", "server", "program", "phase",
                                    "seconds before", "seconds after", "ratio", "target"), rows),
            ""]


def floor_targets(runs: list[dict]) -> list[str]:
    rows = []
    for run in runs:
        if "floor" not in run:
            continue
        for name in PHASES:
            limit = FLOOR_TIME_LIMITS.get(name)
            ratio = time_ratio(run, name)
            rows.append((run["buckets"], *setting(run), name, "seconds", f"{ratio:.2f}",
                         "none" if limit is None else f"{limit}",
                         "" if limit is None else _verdict(ratio <= limit)))
        ratio = max(memory_ratio(run, phase) for phase in PHASES)
        rows.append((run["buckets"], *setting(run), "every phase", "peak memory",
                     f"{ratio:.2f}", f"{FLOOR_MEMORY_LIMIT}",
                     _verdict(ratio <= FLOOR_MEMORY_LIMIT)))
    if not rows:
        return []
    return ["## The real CLI against the floor (our figure / the floor's)", "", *table(
        ("buckets", "engine", "server", "phase", "figure", "ratio", "limit", "target"), rows),
            ""]


CPU_ROLES = ("CLI", "program", "provider host")


def cpu_split(runs: list[dict]) -> list[str]:
    """CPU seconds by process, ours beside the floor's, at the largest size of each engine and
    server the floor ran beside."""
    rows = []
    for _setting, group in groupby(sorted(runs, key=setting), key=setting):
        largest = max(group, key=lambda run: run["buckets"])
        if "floor" not in largest:
            continue
        for name in PHASES:
            ours = largest["phases"][name].get("cpu_seconds", {})
            floor = largest["floor"]["phases"][name].get("cpu_seconds", {})
            rest = [sum(seconds for role, seconds in usage.items()
                        if role not in (*CPU_ROLES, "server")) for usage in (ours, floor)]
            rows.append((largest["buckets"], *setting(largest), name,
                         *(f"{ours.get(role, 0):.1f} / {floor.get(role, 0):.1f}"
                           for role in CPU_ROLES), "{:.1f} / {:.1f}".format(*rest),
                         _optional_seconds(ours.get("server"))))
    if not rows:
        return []
    return ["## Where the time goes: CPU seconds by process (ours / the floor's)", "",
            "The server's CPU seconds are ours alone: the floor makes no request.", "", *table(
                ("buckets", "engine", "server", "phase", *CPU_ROLES, "other",
                 "the server"), rows), ""]


def memory(runs: list[dict]) -> list[str]:
    emulated = [run for run in runs if setting(run) == ("standin", "emulator")]
    if not emulated:
        return []
    largest = max(emulated, key=lambda run: run["buckets"])
    name, phase = max(largest["phases"].items(), key=lambda item: item[1]["peak_rss_mb"])
    verdict = "within" if phase["peak_rss_mb"] <= MEMORY_LIMIT_MB else "**over**"
    return ["## Peak memory under the engine stand-in", "",
            f"At {largest['buckets']} application buckets the program and the provider host "
            f"peak at {phase['peak_rss_mb']:.0f} MB together (in `{name}`), {verdict} "
            f"{MEMORY_LIMIT_MB} MB. The emulator is not included in that figure.", ""]


def is_steady(run: dict) -> bool:
    return run.get("phase") == "steady"


def render(runs: list[dict], notes: str) -> str:
    steady = [run for run in runs if is_steady(run)]
    runs = [run for run in runs if not is_steady(run)]
    today = datetime.date.today().isoformat()
    lines = [
        "# Benchmark: API requests, time and memory as the organization grows", "",
        f"Measured {today} on {cpu_model()} ({os.cpu_count()} cores), Python "
        f"{platform.python_version()}, with " + ", ".join(
            f"`{command}`" for command in _commands(runs)) + ".", "",
        "Each size runs on a fresh server (the emulator or the real influxd): an org with that "
        "many application buckets, the system buckets and `roundtable_internal_` (so the disk "
        "check is declared). Then the engine (the stand-in, or the real Pulumi CLI with a "
        "`file://` backend) runs `preview` (empty state), `up`, `up` again (`noop_up`), one "
        "bucket added then `up` (`add_one`), `refresh` and `destroy`; the real CLI's refresh "
        "and destroy run the program, as the README and the deploy workflow run them. Reads are "
        "GETs, writes are POST, PATCH and DELETE, counted around each phase from the emulator's "
        "request log or from influxd's Prometheus counter `http_api_requests_total`. Seconds "
        "are wall time of the operation. Peak memory under the stand-in is the program's "
        "process plus the provider host's (the emulator's own peak is the separate column); "
        "under the real CLI it is the sum of the peaks of every process the run starts (CLI, "
        "language host, program, provider host), sampled every 0.1 s.", "",
        "The floor (real CLI only): `bench/floor`, a program of as many dynamic resources as "
        "ours declares at that size, whose provider makes no API call (create gives an id, diff "
        "finds no change), run through the same phases right after ours. Our time over the "
        "floor's is what Pulumi leaves for the program to spend.", "",
        "## Measurements", "",
    ]
    for run in runs:
        lines += measurements(run)
    lines += (count_targets(runs) + both_servers(runs) + floor_targets(runs) + cpu_split(runs)
              + growth(runs) + memory(runs) + steady_report(steady))
    return "\n".join([*lines, NOTES_MARKER, notes.strip("\n"), ""])


def kept_notes(path: Path) -> str:
    """The hand-written part of an existing report, if any."""
    if not path.exists():
        return ""
    _generated, marker, notes = path.read_text().partition(NOTES_MARKER)
    return notes if marker else ""


def write_report(path: Path, runs: list[dict]) -> None:
    """The report, and beside it the steady state's plot (PLOT) when there are steady runs."""
    path.write_text(render(runs, kept_notes(path)))
    steady = [run for run in runs if is_steady(run)]
    if steady:
        from bench.plot import plot_steady  # matplotlib: a dev dependency, for this only
        plot_steady(steady, path.with_name(PLOT))


def _commands(runs: list[dict]) -> list[str]:
    commands = []
    steady = [run for run in runs if is_steady(run)]
    runs = [run for run in runs if not is_steady(run)]
    if steady:
        sizes = " ".join(str(size) for size in sorted({run["buckets"] for run in steady}))
        pods = " ".join(str(size) for size in sorted({run["pods"] for run in steady}))
        commands.append(f"bench/run.py --steady-state --buckets {sizes} --pods {pods}")
    for (engine, server), group in groupby(sorted(runs, key=setting), key=setting):
        sizes = " ".join(str(run["buckets"]) for run in group)
        commands.append(f"bench/run.py --engine {engine} --server {SERVER_OPTIONS[server]} "
                        f"--buckets {sizes}")
    return commands


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def _optional_seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _optional_mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


# The steady state (bench/steady.py).
PLOT = "steady_state.png"
STEADY_TARGET_APPS, STEADY_TARGET_PODS, STEADY_TARGET_SHARE = 100, 5, 0.01


def steady_title(run: dict) -> str:
    return (f"{run['buckets']} apps of {run['pods']} pods on the real influxd, "
            f"{run['cycles']} cycles, load average {_load(run)}")


def steady_measurements(run: dict) -> list[str]:
    """One row per task kind and one for them all: influxd's CPU per cycle, run durations,
    points written, the share of one core at the default schedule."""
    kinds = run["kinds"]
    rows = [(name, kind["template"], kind["tasks"], kind["runs"], f"{kind['cpu_per_cycle']:.3f}",
             f"{kind['run_p50']:.3f}", f"{kind['run_p95']:.3f}", kind["multiapp_points"],
             kind["alerted_points"], _percent(kind["core_share"]))
            for name, kind in kinds.items()]
    rows.append(("all", "", sum(kind["tasks"] for kind in kinds.values()),
                 sum(kind["runs"] for kind in kinds.values()),
                 f"{sum(kind['cpu_per_cycle'] for kind in kinds.values()):.3f}", "", "",
                 sum(kind["multiapp_points"] for kind in kinds.values()),
                 sum(kind["alerted_points"] for kind in kinds.values()),
                 f"**{_percent(run['core_share'])}**"))
    return [f"### {steady_title(run)}", "", *table(
        ("task kind", "template", "tasks", "runs", "influxd CPU s per cycle", "run p50 s",
         "run p95 s", "points to multiapp_", "points to alerted_", "share of one core"), rows),
            "", f"Points fed: {run['points_fed']}. Forcing a run of a task that does nothing "
            f"cost influxd {run['forcing_cpu_per_run'] * 1000:.1f} ms of CPU, taken off each "
            "kind's figure per run (with it, the share of one core would be "
            f"{_percent(run['core_share_with_forcing'])}); "
            f"influxd idled at {_percent(run['idle_core_share'])} of a core before the cycles.",
            ""]


def steady_report(runs: list[dict]) -> list[str]:
    if not runs:
        return []
    lines = [
        "## Steady state: what the tasks cost the influxd they watch", "",
        "Each size runs on a fresh real influxd (`bench/steady.py`): an org of that many app "
        "buckets, each fed 10 minutes (two check periods) of what Telegraf writes every 10 s for "
        "that many pods of 2 containers (kube_inventory's and the kubelet input's "
        "`kubernetes_pod_container`, with the tags and fields the real Telegraf writes), then "
        "kept fed; in each app one "
        "container restarts every 5 minutes, one waits in CrashLoopBackOff and one runs at 95% "
        "of its CPU limit. The program is deployed with the real CLI, then every task is forced "
        "to run once per cycle, one task kind at a time, 8 forced side by side. influxd's CPU "
        "seconds (from /proc) from the first run forced to the last one finished (influxd's "
        "own count of finished runs, from /metrics), less what forcing a run of a task that "
        "does nothing costs it, are the kind's cost; the median over the cycles is shown. The "
        "share of one core is that cost over the kind's period at the default schedule "
        "(`checkEvery` 5m for the app tasks, `notifyEvery` 1m for the notifiers). Points "
        "written are counted in the buckets over all cycles (a finding written again onto the "
        "same point counts once).",
        "", f"![The share of one core against apps, by task kind]({PLOT})", ""]
    for run in runs:
        lines += steady_measurements(run)
    return lines + steady_targets(runs)


def steady_targets(runs: list[dict]) -> list[str]:
    """The share of a core at the target size, and the growth in apps and in pods."""
    by_size = {(run["buckets"], run["pods"]): run for run in runs}
    rows = []
    for (apps, pods), run in sorted(by_size.items()):
        cpu = _cycle_cpu(run)
        if (apps, pods) == (STEADY_TARGET_APPS, STEADY_TARGET_PODS):
            rows.append((f"{apps} apps of {pods} pods", "share of one core",
                         _percent(run["core_share"]), f"at most {_percent(STEADY_TARGET_SHARE)}",
                         _verdict(run["core_share"] <= STEADY_TARGET_SHARE)))
        for grown, what in (((apps * 10, pods), "apps"), ((apps, pods * 10), "pods")):
            if grown in by_size:
                ratio = _cycle_cpu(by_size[grown]) / cpu if cpu else float("inf")
                rows.append((f"{apps} → {grown[0]} apps, {pods} → {grown[1]} pods",
                             f"CPU per cycle, ten times the {what}", f"{ratio:.1f} times",
                             f"at most {GROWTH_LIMIT} times", _verdict(ratio <= GROWTH_LIMIT)))
    return ["### Steady-state targets", "", *table(("size", "figure", "measured", "target",
                                                    "verdict"), rows), ""]


def _cycle_cpu(run: dict) -> float:
    return sum(kind["cpu_per_cycle"] for kind in run["kinds"].values())


def _percent(share: float) -> str:
    return f"{share * 100:.2f}%"


def _load(run: dict) -> str:
    return " to ".join(f"{value:.1f}" for value in run["load_average"])
