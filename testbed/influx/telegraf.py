"""Data shaped like what Telegraf writes for a Rubin cluster, written with line protocol.

`kubernetes_pod_container` is the shape of Telegraf's kube_inventory input (tags and fields as it
sets them: `state_reason` and `phase_reason` only when Kubernetes gives one); `disk` is its disk
input. Points are stamped relative to now, so a task run right after sees them in its window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from testbed.influx.server import InfluxOrg

# Telegraf's state_code: what kube_inventory writes for a container's current state.
STATE_CODES = {"running": 0, "terminated": 1, "waiting": 2}


@dataclass(frozen=True)
class Container:
    """One container of a pod, as kube_inventory tags it."""

    cluster: str
    namespace: str
    pod: str
    name: str
    node: str = "node-1"

    def sample(self, seconds_ago: float, *, restarts: int = 0, state: str = "running",
               reason: str = "", phase: str = "Running", phase_reason: str = "",
               ready: bool = True, extra: dict | None = None) -> Point:
        """The container as seen `seconds_ago`: its restart count and current state."""
        tags = {"cluster": self.cluster, "namespace": self.namespace, "pod_name": self.pod,
                "container_name": self.name, "node_name": self.node, "phase": phase,
                "state": state, "readiness": "ready" if ready else "unready"}
        fields = {"restarts_total": restarts, "state_code": STATE_CODES[state], **(extra or {})}
        if reason:
            fields["state_reason"] = reason
        if phase_reason:
            fields["phase_reason"] = phase_reason
        return Point("kubernetes_pod_container", tags, fields, seconds_ago)


def disk_sample(host: str, path: str, used_percent: float, seconds_ago: float) -> Point:
    """A host's disk usage, as Telegraf's disk input writes it."""
    return Point("disk", {"host": host, "path": path}, {"used_percent": float(used_percent)},
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
    response = org.server.api("POST", "/api/v2/write",
                              params={"org": org.name, "bucket": bucket, "precision": "ns"},
                              data="\n".join(point.line() for point in points).encode())
    if response.status_code != 204:
        raise AssertionError(f"write to {bucket}: {response.status_code} {response.text}")


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
