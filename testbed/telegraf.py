"""The real Telegraf (built by `make tools`), run once per sample: the producer of every pod and
container point the alert tests read, as the clusters run it.

Each run writes a config of its own: `global_tags` with the cluster's name (as each cluster sets
it), `inputs.kube_inventory` on the fake Kubernetes API's pod list and `inputs.kubernetes` on the
fake kubelet (their bearer token in a file, as in a pod), and `outputs.influxdb_v2` at a bucket of
a real influxd. The InfluxDB token reaches Telegraf through its environment, never a file or a
log. `telegraf --once` gathers, writes and exits; a run that could not read a source exits
non-zero, and one whose points InfluxDB refused logs an error ("will be dropped") but exits 0:
either raises `TelegrafFailed`, with the log.

Telegraf stamps points with the time it gathers them, so a test gets several samples over a
period by running it several times. Its default precision is a second (its interval is 10 s);
runs of a test are a fraction of a second apart, so the config keeps milliseconds, and each run
stays a point of its own. For samples minutes in the past, `sample` gives the line protocol
Telegraf gathers for the pods (`telegraf --test`, nothing written), for the caller to re-time.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path

from testbed.influx.server import InfluxOrg
from testbed.influxdb_emulator.model import Point
from testbed.influxdb_emulator.write import parse_point
from testbed.kubernetes.pods import Pod
from testbed.kubernetes.server import FakeKubernetes
from testbed.tools import TELEGRAF

RUN_SECONDS = 60
TOKEN_VARIABLE = "INFLUX_TOKEN"
# The file systems a host's disk check leaves out, as Telegraf's sample config does.
IGNORED_FILE_SYSTEMS = ("tmpfs", "devtmpfs", "devfs", "iso9660", "overlay", "aufs", "squashfs")


class TelegrafFailed(AssertionError):
    """A Telegraf run that exited non-zero or logged an error; the message holds its log."""


class Telegraf:
    """`collect(org, bucket, pods, cluster)` runs Telegraf once on the pods; `disks()` is what its
    disk input reads of this machine; `write_disks(org, bucket)` writes that."""

    def __init__(self, kubernetes: FakeKubernetes, workdir: Path) -> None:
        self.kubernetes = kubernetes
        self.workdir = workdir
        self.token_file = workdir / "kubernetes-token"
        self.token_file.write_text(kubernetes.token)
        self.token_file.chmod(0o600)

    def collect(self, org: InfluxOrg, bucket: str, pods: Iterable[Pod],
                cluster: str = "summit") -> None:
        """One sample of the pods, as a cluster named `cluster` writes it into `bucket`; raises
        `TelegrafFailed` if Telegraf could not read them or write everything."""
        self._run("--once", self._config(self._pod_inputs(pods), org, bucket, cluster), org)

    def sample(self, pods: Iterable[Pod], cluster: str = "summit") -> list[str]:
        """The line protocol of one sample of the pods, as a cluster named `cluster` gathers it
        (`telegraf --test`: every line ends with its time in nanoseconds; nothing is written)."""
        printed = self._run("--test", self._config(self._pod_inputs(pods), cluster=cluster), None)
        return [line.removeprefix("> ") for line in printed.splitlines()
                if line.startswith("> ")]

    def _pod_inputs(self, pods: Iterable[Pod]) -> str:
        """The kube_inventory and kubernetes inputs, reading the fake Kubernetes set to `pods`."""
        self.kubernetes.pods = list(pods)
        return (_section("inputs.kube_inventory", url=self.kubernetes.api_url,
                         bearer_token=str(self.token_file), namespace="",
                         resource_include=["pods"])
                + _section("inputs.kubernetes", url=self.kubernetes.kubelet_url,
                           bearer_token=str(self.token_file)))

    def disks(self) -> list[Point]:
        """The points the disk input gathers on this machine (`telegraf --test`: nothing is
        written)."""
        printed = self._run("--test", self._config(_disk_input()), None)
        return [parse_point(line.removeprefix("> "), 1, 0) for line in printed.splitlines()
                if line.startswith("> ")]

    def write_disks(self, org: InfluxOrg, bucket: str) -> None:
        """One sample of this machine's disks, written into `bucket` as a host writes it."""
        self._run("--once", self._config(_disk_input(), org, bucket), org)

    def _config(self, inputs: str, org: InfluxOrg | None = None, bucket: str = "",
                cluster: str | None = None) -> Path:
        text = _section("agent", interval="10s", precision="1ms")
        if cluster is not None:
            text = _section("global_tags", cluster=cluster) + text
        text += inputs
        if org is not None:
            text += _section("outputs.influxdb_v2", urls=[org.server.url],
                             token="${" + TOKEN_VARIABLE + "}", organization=org.name,
                             bucket=bucket, raw=("token",))
        path = self.workdir / "telegraf.conf"
        path.write_text(text)
        return path

    def _run(self, mode: str, config: Path, org: InfluxOrg | None) -> str:
        """Telegraf's standard output; raises `TelegrafFailed` with its log when it exits
        non-zero or logs an error."""
        env = {TOKEN_VARIABLE: org.server.token} if org else {}
        result = subprocess.run([str(TELEGRAF.path), mode, "--config", str(config)],
                                capture_output=True, text=True, env=env, timeout=RUN_SECONDS,
                                check=False)
        errors = [line for line in result.stderr.splitlines() if " E! " in line]
        if result.returncode != 0 or errors:
            raise TelegrafFailed(f"telegraf {mode} exited {result.returncode}, logging "
                                 f"{len(errors)} error(s):\n{result.stderr}")
        return result.stdout


def _disk_input() -> str:
    return _section("inputs.disk", ignore_fs=list(IGNORED_FILE_SYSTEMS))


def _section(name: str, raw: tuple[str, ...] = (), **settings: object) -> str:
    """A TOML table: `[name]` for the agent and tags, `[[name]]` for a plugin.

    Strings are escaped for TOML, and `$` doubled so that Telegraf's environment substitution
    leaves names as they are; the settings named in `raw` are substituted on purpose.
    """
    header = f"[[{name}]]" if "." in name else f"[{name}]"
    lines = [header]
    for key, value in settings.items():
        lines.append(f"  {key} = {_toml(value, substitute=key in raw)}")
    return "\n".join(lines) + "\n\n"


def _toml(value: object, substitute: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    text = str(value) if substitute else str(value).replace("$", "$$")
    return json.dumps(text, ensure_ascii=False)
