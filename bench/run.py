"""`python bench/run.py --buckets N [N ...] [--json] [--report bench/RESULTS.md]`

For each N: a fresh emulator, an org with N application buckets, and the phases of
bench/phases.py. Prints a table per N (or, with --json, one JSON object per N, one a line) and
optionally writes the markdown report. Progress goes to stderr.
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
from testbed.influx.server import start_emulator


def run_size(apps: int) -> dict:
    server = start_emulator()
    try:
        return benchmark(server, server.org, apps,
                         progress=lambda line: print(line, file=sys.stderr, flush=True))
    finally:
        server.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, nargs="+", required=True, metavar="N",
                        help="numbers of application buckets to measure")
    parser.add_argument("--json", action="store_true", help="print JSON, one object per N")
    parser.add_argument("--report", type=Path, help="write the markdown report to this file")
    args = parser.parse_args(argv)
    if any(apps < 1 for apps in args.buckets):
        parser.error("--buckets: every N must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    runs = []
    for apps in args.buckets:
        run = run_size(apps)
        runs.append(run)
        print(json.dumps(run) if args.json else "\n".join(measurements(run)), flush=True)
    if args.report:
        write_report(args.report, runs)


if __name__ == "__main__":
    main()
