"""Run an engine through the benchmark's phases and measure each one.

Each phase is one engine operation: the engine stand-in (a fresh worker process running the
program, and a fresh dynamic-provider host) or the real CLI (`pulumi` with a `file://` backend,
its language host, the program and the provider host). Measured per phase:
- reads and writes: counted on the server around the phase (the emulator's request log, or the
  real influxd's Prometheus counter), so the benchmark's own set-up is not counted; GET is a read,
  every other method a write;
- seconds: wall time of the operation;
- peak_rss_mb: under the stand-in, the peak resident memory of the program's process plus the
  provider host's; under the real CLI, the sum of the peaks of every process the run starts. The
  server is not included; the emulator is measured apart (emulator_peak_rss_mb);
- cpu_seconds, under the real CLI: CPU time by process role (CLI, language host, program,
  provider host, policy pack) and the server's, where the time goes.

The floor (`floor`): the same phases under the real CLI for bench/floor, a program of as many
dynamic resources as the program declares for the org, whose provider makes no API call.

Engines: `standin`; `real`, the CLI as the deploy workflow runs it (the state written at the end
of a run); `real-checkpoints`, the CLI as Pulumi runs by default, writing the whole state after
every step.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.org import add_app, app_name, seed_org
from bench.targets import listed_buckets, object_count, plan_of
from testbed.engine.cli import PulumiCli
from testbed.engine.processes import PeakMemory, cpu_seconds_of
from testbed.engine.result import Result, StackEngine
from testbed.engine.stand_in import Engine
from testbed.influx.seed import org_named
from testbed.influx.server import REPO, InfluxServer

PHASES = ("preview", "up", "noop_up", "add_one", "refresh", "destroy")
ENGINES = ("standin", "real", "real-checkpoints")
CHECKPOINTS = {"PULUMI_SKIP_CHECKPOINTS": "false"}
STACK = "bench"
FLOOR = REPO / "bench" / "floor"


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
    cpu_seconds: dict[str, float]  # by process role, under the real CLI


def measured(result: Result, name: str, reads: int = 0, writes: int = 0,
             emulator_mb: float | None = None,
             server_cpu_seconds: float | None = None) -> Measurement:
    if result.error:
        raise PhaseFailed(f"{name} failed: {result.error}")
    cpu = dict(result.cpu_seconds)
    if cpu and server_cpu_seconds is not None:
        cpu["server"] = server_cpu_seconds
    return Measurement(reads=reads, writes=writes, seconds=round(result.seconds, 3),
                       peak_rss_mb=round(result.peak_rss_mb, 1),
                       emulator_peak_rss_mb=None if emulator_mb is None else round(emulator_mb, 1),
                       steps=dict(Counter(step.op for step in result.steps)),
                       cpu_seconds={role: round(cpu[role], 2) for role in sorted(cpu)})


def measure(server: InfluxServer, operation: Callable[[], Result], name: str) -> Measurement:
    emulator = PeakMemory(server.process.pid) if server.is_emulator else None
    pid = server.process.pid if server.process else None  # none for an external server
    reads_before, writes_before = server.api_requests()
    if emulator:
        emulator.reset()
    cpu_before = cpu_seconds_of(pid) if pid else 0.0
    result = operation()
    server_cpu = cpu_seconds_of(pid) - cpu_before if pid else None
    reads_after, writes_after = server.api_requests()
    return measured(result, name, reads_after - reads_before, writes_after - writes_before,
                    emulator.peak_mb() if emulator else None, server_cpu)


def stack_engine(kind: str, project: Path, scratch: Path, config: dict,
                 secret_keys: set[str] = frozenset()) -> StackEngine:
    if kind.startswith("real"):
        return PulumiCli(project, state_dir=scratch, stack=STACK, config=config,
                         secret_config_keys=secret_keys,
                         env=CHECKPOINTS if kind == "real-checkpoints" else {})
    return Engine(project_dir=project, state_path=scratch / "state.json", stack=STACK,
                  config=config, secret_config_keys=secret_keys)


def operations(engine: StackEngine) -> dict[str, Callable[[], Result]]:
    return {"preview": engine.preview, "up": engine.up, "noop_up": engine.up,
            "add_one": engine.up, "refresh": engine.refresh, "destroy": engine.destroy}


def benchmark(server: InfluxServer, org: str, apps: int, engine: str = "standin",
              progress: Callable[[str], None] = lambda _line: None) -> dict:
    """Seed `org` with `apps` application buckets and measure every phase on a new stack."""
    seeded = org_named(server, org)
    seed_org(seeded, apps)
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        stack = stack_engine(engine, REPO, Path(scratch), {
            "influxdb:url": server.url, "influxdb:org": org, "influxdb:token": server.token},
            {"influxdb:token"})
        phases = {}
        for name, operation in operations(stack).items():
            if name == "add_one":
                add_app(seeded, app_name(apps))
            phases[name] = asdict(measure(server, operation, name))
            progress(f"{apps} buckets: {name} {phases[name]['seconds']:.1f} s")
    return {"buckets": apps, "engine": engine, "phases": phases}


def floor(apps: int, engine: str = "real",
          progress: Callable[[str], None] = lambda _line: None) -> dict:
    """The phases of `benchmark` under the real CLI for bench/floor, declaring as many resources
    as the program does for an org of `apps` application buckets (one more app for add_one)."""
    declared = object_count(plan_of(listed_buckets(apps, owned=False)))
    grown = object_count(plan_of(listed_buckets(apps + 1, owned=True)))
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as scratch:
        stack = stack_engine(engine, FLOOR, Path(scratch), {"bench-floor:resources": declared})
        phases = {}
        for name, operation in operations(stack).items():
            if name == "add_one":
                stack.config["bench-floor:resources"] = grown
            phases[name] = asdict(measured(operation(), name))
            progress(f"{apps} buckets, floor: {name} {phases[name]['seconds']:.1f} s")
    return {"buckets": apps, "resources": declared, "phases": phases}
