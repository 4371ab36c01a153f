"""Run the engine stand-in through the benchmark's phases and measure each one.

Each phase is one engine operation (a fresh worker process running the program, and a fresh
dynamic-provider host). Measured per phase:
- reads and writes: the emulator's request log, cleared right before the phase so the benchmark's
  own set-up (bucket creation) is not counted; GET is a read, every other method a write;
- seconds: wall time of the operation;
- peak_rss_mb: peak resident memory of the program's process plus the provider host's, as the
  engine reports it; the emulator is not included, it is measured apart (emulator_peak_rss_mb).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.org import add_app, app_name, seed_org
from testbed.engine.stand_in import Engine, Result
from testbed.influx.seed import org_named
from testbed.influx.server import REPO, InfluxServer

PHASES = ("preview", "up", "noop_up", "add_one", "refresh", "destroy")
STACK = "bench"


class PhaseFailed(RuntimeError):
    """An engine operation failed, so its numbers would mean nothing."""


@dataclass(frozen=True)
class Measurement:
    reads: int
    writes: int
    seconds: float
    peak_rss_mb: float
    emulator_peak_rss_mb: float | None
    steps: dict[str, int]


class PeakMemory:
    """A process's peak resident set size since the last reset (Linux VmHWM)."""

    def __init__(self, pid: int) -> None:
        self._proc = Path(f"/proc/{pid}")

    def reset(self) -> None:
        # Writing 5 to clear_refs resets the peak to the current RSS.
        (self._proc / "clear_refs").write_text("5")

    def peak_mb(self) -> float:
        status = (self._proc / "status").read_text().splitlines()
        kilobytes = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
        return int(kilobytes) / 1024


def measure(server: InfluxServer, operation: Callable[[], Result], name: str) -> Measurement:
    emulator = PeakMemory(server.process.pid) if server.is_emulator else None
    reads_before, writes_before = server.api_requests()
    if emulator:
        emulator.reset()
    result = operation()
    if result.error:
        raise PhaseFailed(f"{name} failed: {result.error}")
    reads_after, writes_after = server.api_requests()
    reads, writes = reads_after - reads_before, writes_after - writes_before
    return Measurement(reads=reads, writes=writes, seconds=round(result.seconds, 3),
                       peak_rss_mb=round(result.peak_rss_mb, 1),
                       emulator_peak_rss_mb=round(emulator.peak_mb(), 1) if emulator else None,
                       steps=dict(Counter(step.op for step in result.steps)))


def benchmark(server: InfluxServer, org: str, apps: int,
              progress: Callable[[str], None] = lambda _line: None) -> dict:
    """Seed `org` with `apps` application buckets and measure every phase on a new stack."""
    seeded = org_named(server, org)
    seed_org(seeded, apps)
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        engine = Engine(project_dir=REPO, state_path=Path(scratch) / "state.json", stack=STACK,
                        config={"influxdb:url": server.url, "influxdb:org": org,
                                "influxdb:token": server.token},
                        secret_config_keys={"influxdb:token"})
        operations: dict[str, Callable[[], Result]] = {
            "preview": engine.preview, "up": engine.up, "noop_up": engine.up,
            "add_one": engine.up, "refresh": engine.refresh, "destroy": engine.destroy}
        phases = {}
        for name in PHASES:
            if name == "add_one":
                add_app(seeded, app_name(apps))
            phases[name] = asdict(measure(server, operations[name], name))
            progress(f"{apps} buckets: {name} {phases[name]['seconds']:.1f} s")
    return {"buckets": apps, "phases": phases}
