"""Processes read from Linux's /proc: those below this one (`descendants`), the peak memory of
one (`PeakMemory`), or the peak memory and CPU time of every process an engine run starts
(`RunUsage`: the CLI, language host, program, provider host and policy pack under the real CLI).
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

PROC = Path("/proc")
SAMPLE_SECONDS = 0.1


class PeakMemory:
    """A process's peak resident set size since the last reset (Linux VmHWM)."""

    def __init__(self, pid: int) -> None:
        self._proc = PROC / str(pid)

    def reset(self) -> None:
        # Writing 5 to clear_refs resets the peak to the current RSS.
        (self._proc / "clear_refs").write_text("5")

    def peak_mb(self) -> float:
        return _peak_kb(self._proc) / 1024


class RunUsage:
    """What the processes started below this one while it runs use: the sum of each one's peak
    resident set size, and CPU seconds by role (the CLI, the language host, the program, the
    provider host, the policy pack). Processes that existed before (a server the test bed
    started) are not counted. A process is read every SAMPLE_SECONDS, so what one does in its
    last moments (or in a life shorter than that) may be missed.

    Used as a context manager around one engine run; `mb` and `cpu_seconds` once it is done.
    """

    def __init__(self) -> None:
        self._before: set[str] = set()
        self._peaks: dict[str, int] = {}  # "pid start-time" -> its latest VmHWM, in kB
        self._cpu: dict[str, tuple[str, float]] = {}  # "pid start-time" -> (role, CPU seconds)
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample_until_done, daemon=True)

    def __enter__(self) -> RunUsage:
        self._before = set(descendants())
        self._sampler.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._sampler.join()

    @property
    def mb(self) -> float:
        return sum(self._peaks.values()) / 1024

    @property
    def cpu_seconds(self) -> dict[str, float]:
        by_role: dict[str, float] = {}
        for role, seconds in self._cpu.values():
            by_role[role] = by_role.get(role, 0.0) + seconds
        return by_role

    def _sample_until_done(self) -> None:
        while not self._done.wait(SAMPLE_SECONDS):
            for process, proc in descendants().items():
                # One that ends while being read keeps its last reading.
                with contextlib.suppress(OSError, StopIteration, IndexError):
                    if process not in self._before:
                        self._peaks[process] = _peak_kb(proc)
                        self._cpu[process] = (_role(proc), _cpu_seconds(proc))


_TICKS = os.sysconf("SC_CLK_TCK")


def _role(proc: Path) -> str:
    """What a process of a run is, from its command line."""
    command = (proc / "cmdline").read_text().split("\0")
    program = Path(command[0]).name
    if program == "pulumi":
        return "CLI"
    if any(Path(word).name == "pulumi-language-python-exec" for word in command):
        return "program"
    if "pulumi.dynamic" in command:
        return "provider host"
    if program.startswith("pulumi-language"):
        return "language host"
    return "policy pack" if any("policy" in word for word in command) else "other"


def cpu_seconds_of(pid: int) -> float:
    """The CPU time a process has used so far, in seconds."""
    return _cpu_seconds(PROC / str(pid))


def _cpu_seconds(proc: Path) -> float:
    fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def descendants(pid: int | None = None) -> dict[str, Path]:
    """Every process below `pid` (this one by default), keyed by pid and start time (a pid can
    be reused), with its /proc directory."""
    children: dict[int, list[tuple[int, str]]] = {}
    for proc in PROC.iterdir():
        if not proc.name.isdigit():
            continue
        try:
            # The fields after the command name, which may hold spaces and parentheses.
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append((int(proc.name), fields[19]))
    found: dict[str, Path] = {}
    parents = [pid or os.getpid()]
    while parents:
        for pid, started in children.get(parents.pop(), []):
            found[f"{pid} {started}"] = PROC / str(pid)
            parents.append(pid)
    return found


def _peak_kb(proc: Path) -> int:
    status = (proc / "status").read_text().splitlines()
    return int(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
