"""`python bench/run.py --buckets N [N ...] [--server emulator|real] [--real-buckets N ...]
[--json] [--report FILE]`

For each N: a fresh server (the emulator, or with `--server real` the real influxd built by
`make tools`), an org with N application buckets, and the phases of bench/phases.py; for each N
of --real-buckets the same on a fresh real influxd, whose request counts the report sets beside
the emulator's. Prints a table per
run (or, with --json, one JSON object per run, one a line) and optionally writes the markdown
report. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Run as `python bench/run.py`: the repository root, not bench/, must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.phases import benchmark
from bench.report import measurements, write_report
from testbed.influx.influxd import start_server
from testbed.influx.server import create_org


def run_size(apps: int, server_kind: str = "emulator") -> dict:
    server = start_server(server_kind)
    try:
        # A fresh org: onboarding gave the first one a bucket on influxd, not on the emulator.
        org = create_org(server, prefix="bench")
        run = benchmark(server, org.name, apps,
                        progress=lambda line: print(f"{server_kind}: {line}", file=sys.stderr,
                                                    flush=True))
    finally:
        server.stop()
    return {**run, "server": server_kind}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, nargs="+", required=True, metavar="N",
                        help="numbers of application buckets to measure")
    parser.add_argument("--server", choices=("emulator", "real"), default="emulator",
                        help="the server --buckets are measured on")
    parser.add_argument("--real-buckets", type=int, nargs="*", default=[], metavar="N",
                        help="numbers of application buckets to measure on a real influxd too")
    parser.add_argument("--json", action="store_true", help="print JSON, one object per run")
    parser.add_argument("--report", type=Path, help="write the markdown report to this file")
    args = parser.parse_args(argv)
    if any(apps < 1 for apps in [*args.buckets, *args.real_buckets]):
        parser.error("--buckets: every N must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    runs = []
    main_server = "influxd" if args.server == "real" else "emulator"
    sizes = [(apps, main_server) for apps in args.buckets]
    sizes += [(apps, "influxd") for apps in args.real_buckets]
    for apps, server_kind in sizes:
        run = run_size(apps, server_kind)
        runs.append(run)
        print(json.dumps(run) if args.json else "\n".join(measurements(run)), flush=True)
    if args.report:
        write_report(args.report, runs)


if __name__ == "__main__":
    main()
