"""Where the emulator still answers differently from the real influxd: 2.7.12, and, in its
--hashed-tokens mode, 2.8.0 run with --use-hashed-tokens.

Found by running every server test on both servers of its pair (`testbed/pytest_plugin.py`).
The real server is right: each entry is a bug of the emulator (or of the program on real
semantics), to be fixed there and the test's assertion moved to what influxd answers; never the
other way round. The tests listed here are expected to fail on influxd, strictly: when one
starts passing, the run fails until its entry is removed, so these lists only shrink.
"""

from __future__ import annotations

# test name (with its parameter id where only some cases differ) -> what influxd does instead
ON_INFLUXD: dict[str, str] = {
}

# The same for the tests marked `hashed_tokens`: the emulator's --hashed-tokens mode beside
# influxd 2.8.0 --use-hashed-tokens.
ON_HASHING_INFLUXD: dict[str, str] = {
}
