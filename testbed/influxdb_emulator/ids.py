"""InfluxDB IDs: 16 lowercase hex characters, never zero.

Real IDs come from a snowflake generator and so grow with time; listings ordered "by ID" are
therefore in creation order, which the emulator reproduces with a monotonic counter.
"""

from __future__ import annotations

import threading
import time

from testbed.influxdb_emulator.errors import INVALID, ApiError

ID_LENGTH = 16


class IdGenerator:
    """Monotonic snowflake-like IDs (millisecond time in the high bits, a counter below)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = int(time.time() * 1000) << 22

    def next_id(self) -> str:
        with self._lock:
            self._last = max(self._last + 1, int(time.time() * 1000) << 22)
            return f"{self._last & 0x7FFF_FFFF_FFFF_FFFF:016x}"


def parse_id(text: str) -> str:
    """The canonical form of an ID from a request, or the server's 400 (platform.ID Decode)."""
    if len(text) != ID_LENGTH:
        raise ApiError(INVALID, "id must have a length of 16 bytes")
    try:
        value = int(text, 16)
    except ValueError:
        raise ApiError(INVALID, "invalid ID") from None
    if value == 0 or not all(c in "0123456789abcdefABCDEF" for c in text):
        raise ApiError(INVALID, "invalid ID")
    return f"{value:016x}"
