"""Points written by hand with line protocol, for what Telegraf cannot produce in a test: a host's
disk at a chosen usage (Telegraf's disk input reads this machine's real disks), and records an
older version of the notifiers left. Pod and container data comes from the real Telegraf only
(`testbed/telegraf.py`); `retimed` moves the lines Telegraf gathered into the past, where a live
Telegraf cannot write.

`disk_sample` has the shape Telegraf's disk input writes through `outputs.influxdb_v2` (every tag
and field, with their types); a test holds it to what the real Telegraf writes on this machine.
Points are stamped relative to now, so a task run right after sees them in its window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from testbed.influx.server import InfluxOrg

DISK_BYTES = 100 * 2**30
DISK_INODES = 6_000_000


def disk_sample(host: str, path: str, used_percent: float, seconds_ago: float) -> Point:
    """A host's disk at `used_percent`, as Telegraf's disk input writes it."""
    used = int(DISK_BYTES * used_percent / 100)
    inodes_used = DISK_INODES // 10
    return Point("disk", {"host": host, "path": path, "device": "sda1", "fstype": "ext4",
                          "mode": "rw"},
                 {"total": DISK_BYTES, "free": DISK_BYTES - used, "used": used,
                  "used_percent": float(used_percent), "inodes_total": DISK_INODES,
                  "inodes_free": DISK_INODES - inodes_used, "inodes_used": inodes_used,
                  "inodes_used_percent": 100.0 * inodes_used / DISK_INODES},
                 seconds_ago)


@dataclass(frozen=True)
class Point:
    measurement: str
    tags: dict[str, str]
    fields: dict[str, object]
    seconds_ago: float
    at: float = field(default_factory=time.time)  # when it was made: its time is at - seconds_ago

    def line(self) -> str:
        tags = "".join(f",{_key(key)}={_key(value)}" for key, value in sorted(self.tags.items())
                       if value != "")
        fields = ",".join(f"{_key(key)}={_field(value)}" for key, value in self.fields.items())
        return f"{_key(self.measurement)}{tags} {fields} {int((self.at - self.seconds_ago) * 1e9)}"


def write(org: InfluxOrg, bucket: str, points: list[Point]) -> None:
    """Write the points into a bucket of the org with the operator token; fails loudly."""
    write_lines(org, bucket, [point.line() for point in points])


def write_lines(org: InfluxOrg, bucket: str, lines: list[str]) -> None:
    """Write line protocol (times in nanoseconds) into a bucket of the org; fails loudly."""
    response = org.server.api("POST", "/api/v2/write",
                              params={"org": org.name, "bucket": bucket, "precision": "ns"},
                              data="\n".join(lines).encode())
    if response.status_code != 204:
        raise AssertionError(f"write to {bucket}: {response.status_code} {response.text}")


def retimed(lines: list[str], seconds_ago: float) -> list[str]:
    """The lines with their time (the last item of a line) set to `seconds_ago` before now."""
    at = int((time.time() - seconds_ago) * 1e9)
    return [f"{line.rsplit(' ', 1)[0]} {at}" for line in lines]


def _key(text: str) -> str:
    """A measurement, tag key, tag value or field key escaped for line protocol (a backslash
    stays as it is: the parser only unescapes `\\,`, `\\=` and `\\ `)."""
    return text.replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def _field(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
