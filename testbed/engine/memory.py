"""Processes read from Linux's /proc: those below this one (`descendants`), the peak memory of
one (`PeakMemory`), or of every process an engine run starts (`RunPeak`: the CLI, language host,
program, provider host and policy pack under the real CLI).
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


class RunPeak:
    """The sum, over every process started below this one while it runs, of each one's peak
    resident set size; processes that existed before (a server the test bed started) are not
    counted. A process is read every SAMPLE_SECONDS, so one living less than that may be missed.

    Used as a context manager around one engine run; `mb` is the figure once it is done.
    """

    def __init__(self) -> None:
        self._before: set[str] = set()
        self._peaks: dict[str, int] = {}  # "pid start-time" -> its latest VmHWM, in kB
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample_until_done, daemon=True)

    def __enter__(self) -> RunPeak:
        self._before = set(descendants())
        self._sampler.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._sampler.join()

    @property
    def mb(self) -> float:
        return sum(self._peaks.values()) / 1024

    def _sample_until_done(self) -> None:
        while not self._done.wait(SAMPLE_SECONDS):
            for process, proc in descendants().items():
                # One that ends while being read keeps its last reading.
                with contextlib.suppress(OSError, StopIteration):
                    if process not in self._before:
                        self._peaks[process] = _peak_kb(proc)


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
