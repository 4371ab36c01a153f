"""Where the emulator still answers differently from the real influxd 2.7.12.

Found by running every server test on both (`testbed/pytest_plugin.py`). The real server is
right: each entry is a bug of the emulator (or of the program on real semantics), to be fixed
there and the test's assertion moved to what influxd answers; never the other way round. The
tests listed here are expected to fail on influxd, strictly: when one starts passing, the run
fails until its entry is removed, so this list only shrinks.
"""

from __future__ import annotations

# test name (with its parameter id where only some cases differ) -> what influxd does instead
ON_INFLUXD: dict[str, str] = {
}
