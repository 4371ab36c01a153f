"""The real InfluxDB 2.7: `.tools/bin/influxd` on a free loopback port, onboarded, data in a
temporary directory that is removed when it stops.

The binary is built by `testbed.tools` (`make tools`); a missing binary is an error that says so,
never a skip. The server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from testbed.influx.server import InfluxServer, start_emulator
from testbed.tools import INFLUXD

READY_SECONDS = 60
# influxd deletes the data a bucket's retention no longer keeps at each check (every 30 minutes
# by default): the test bed's checks every second, so a test sees what a retention cut deletes.
RETENTION_CHECK_INTERVAL = "1s"


class InfluxdFailed(Exception):
    """influxd is missing, did not start, or refused to be onboarded; says which and why."""


def start_server(kind: str, *, onboard: bool = True) -> InfluxServer:
    """A server the test bed starts: "emulator" or "influxd" (set up unless told not to)."""
    return start_emulator(onboard=onboard) if kind == "emulator" else start_influxd(
        onboard=onboard)


def start_influxd(org: str = "rubin", *, onboard: bool = True,
                  retention_check_interval: str = RETENTION_CHECK_INTERVAL) -> InfluxServer:
    """Start influxd, wait for `/health`, onboard it with a random operator token (unless told
    not to: then `token` is the one to onboard it with)."""
    if not INFLUXD.path.exists():
        raise InfluxdFailed(f"{INFLUXD.path} is missing: run `make tools` to build it")
    data_dir = Path(tempfile.mkdtemp(prefix="influxd-"))
    url, process = _launch(data_dir, retention_check_interval)
    server = InfluxServer(url=url, token=secrets.token_urlsafe(48), org=org, kind="influxd",
                          process=process, data_dir=data_dir)
    try:
        _wait_until_healthy(server, data_dir / "influxd.log")
        if onboard:
            _onboard(server)
    except BaseException:
        server.stop()
        raise
    return server


def _launch(data_dir: Path, retention_check_interval: str) -> tuple[str, subprocess.Popen]:
    port = _free_port()
    command = [
        str(INFLUXD.path),
        "--bolt-path", str(data_dir / "influxd.bolt"),
        "--engine-path", str(data_dir / "engine"),
        "--sqlite-path", str(data_dir / "influxd.sqlite"),
        "--http-bind-address", f"127.0.0.1:{port}",
        "--reporting-disabled",
        "--storage-retention-check-interval", retention_check_interval,
        "--log-level", "warn",
    ]
    log = (data_dir / "influxd.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    return f"http://127.0.0.1:{port}", process


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(server: InfluxServer, log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise InfluxdFailed(f"influxd exited with {server.process.returncode}:\n"
                                f"{log.read_text(errors='replace')[-2000:]}")
        try:
            if requests.get(server.url + "/health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise InfluxdFailed(f"influxd did not answer /health within {READY_SECONDS} s")


def _onboard(server: InfluxServer) -> None:
    body = {"username": "operator", "password": secrets.token_urlsafe(16), "org": server.org,
            "bucket": "default", "token": server.token}
    response = requests.post(server.url + "/api/v2/setup", json=body, timeout=30)
    if response.status_code != 201:
        raise InfluxdFailed(f"onboarding failed: {response.status_code} {response.text[:500]}")
