"""`python bench/run.py --buckets N [N ...] [--engine standin|real|real-checkpoints]
[--server emulator|real] [--json] [--report FILE]`, or
`python bench/run.py --steady-state --buckets N [N ...] --pods P [P ...] [--cycles C] ...`

For each N: a fresh server (the emulator, or with `--server real` the real influxd built by
`make tools`), an org with N application buckets, and the phases of bench/phases.py under the
engine stand-in or, with `--engine real`, the real Pulumi CLI (`real-checkpoints`: writing the
state after every step, Pulumi's default); under the real CLI the floor program runs the same
phases right after, for the report's ratios. Prints a table per run (or,
with --json, one JSON object per run, one a line). With --report, the runs are kept in a JSON file
beside the report (RESULTS.md → results.json), replacing earlier runs of the same engine, server
and size, and the report is written from all of them, so one report gathers several invocations.
Progress goes to stderr.

With --steady-state, the deploy phases are not run: for each N and P, a fresh real influxd, an
org of N application buckets fed with data for P pods of 2 containers each, the program deployed
with the real CLI, and every task run once per cycle (bench/steady.py): the server's CPU seconds
per cycle by task kind, the runs' durations, the points the tasks wrote, and the share of one
core the monitoring takes at its default schedule. Kept beside the deploy runs, by N and P.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Run as `python bench/run.py`: the repository root, not bench/, must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.phases import ENGINES, benchmark, floor
from bench.report import measurements, steady_measurements, write_report
from bench.steady import steady_state
from testbed.influx.influxd import start_server
from testbed.influx.server import create_org

SERVERS = {"emulator": "emulator", "real": "influxd"}


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_size(apps: int, engine: str, server_kind: str) -> dict:
    server = start_server(server_kind)
    try:
        # A fresh org: onboarding gave the first one a bucket on influxd, not on the emulator.
        org = create_org(server, prefix="bench")
        run = benchmark(server, org.name, apps, engine,
                        progress=lambda line: progress(f"{engine} on {server_kind}: {line}"))
    finally:
        server.stop()
    run["server"] = server_kind
    if engine != "standin":
        run["floor"] = floor(apps, engine, progress)
    return run


def run_steady(apps: int, pods: int, cycles: int) -> dict:
    server = start_server("influxd")
    try:
        org = create_org(server, prefix="bench")
        return steady_state(server, org, apps, pods, cycles,
                            progress=lambda line: progress(f"steady state: {line}"))
    finally:
        server.stop()


def kept_runs(path: Path, replaced: list[dict]) -> list[dict]:
    """The runs stored at `path`, less those of the same kind (deploy or steady), engine, server,
    size and pods as `replaced`, then `replaced`, ordered the same way."""
    def key(run: dict) -> tuple:
        return (run.get("phase", "deploy"), run["engine"], run["server"], run["buckets"],
                run.get("pods", 0))
    stored = json.loads(path.read_text()) if path.exists() else []
    new = {key(run) for run in replaced}
    return sorted([run for run in stored if key(run) not in new] + replaced, key=key)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, nargs="+", required=True, metavar="N",
                        help="numbers of application buckets to measure")
    parser.add_argument("--engine", choices=ENGINES, default="standin",
                        help="the engine stand-in, or the real Pulumi CLI (with the floor); "
                             "real-checkpoints: the CLI writing the state after every step")
    parser.add_argument("--server", choices=tuple(SERVERS), default="emulator",
                        help="the emulator, or the real influxd")
    parser.add_argument("--steady-state", action="store_true",
                        help="measure the deployed tasks' cost on the real influxd instead of "
                             "the deploy phases")
    parser.add_argument("--pods", type=int, nargs="+", default=[5], metavar="P",
                        help="with --steady-state: pods per app (2 containers each)")
    parser.add_argument("--cycles", type=int, default=3,
                        help="with --steady-state: times every task runs")
    parser.add_argument("--json", action="store_true", help="print JSON, one object per run")
    parser.add_argument("--report", type=Path, help="write the markdown report to this file")
    args = parser.parse_args(argv)
    if any(apps < 1 for apps in args.buckets):
        parser.error("--buckets: every N must be at least 1")
    if args.steady_state and (min(args.pods) < 3 or args.cycles < 1):
        parser.error("--steady-state: every P must be at least 3 (the troubled pods of each app) "
                     "and --cycles at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    runs = []
    for apps in args.buckets:
        if args.steady_state:
            for pods in args.pods:
                runs.append(run := run_steady(apps, pods, args.cycles))
                print(json.dumps(run) if args.json else "\n".join(steady_measurements(run)),
                      flush=True)
            continue
        run = run_size(apps, args.engine, SERVERS[args.server])
        runs.append(run)
        print(json.dumps(run) if args.json else "\n".join(measurements(run)), flush=True)
    if args.report:
        stored = args.report.with_name("results.json")
        runs = kept_runs(stored, runs)
        stored.write_text(json.dumps(runs, indent=1) + "\n")
        write_report(args.report, runs)


if __name__ == "__main__":
    main()
