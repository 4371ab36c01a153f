"""The real InfluxDB: influxd 2.7.12, or 2.8.0 with token hashing on, on a free loopback port,
onboarded, data in a temporary directory that is removed when it stops.

Token hashing is optional from InfluxDB 2.8 (`influxd --use-hashed-tokens`) and the default from
2.9: tokens are stored as hashes, and only the answer to a token's create carries its value.
2.8.0 with hashing on is the nearest server to 2.9 and later that can be built here.

The binaries are built by `testbed.tools` (`make tools`); a missing binary is an error that says
so, never a skip. The server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from testbed.influx.server import InfluxServer, start_emulator
from testbed.tools import INFLUXD, INFLUXD_2_8, Tool

READY_SECONDS = 60
# The servers the test bed starts, by name: what they run and whether they hash tokens.
SERVERS = ("emulator", "influxd", "emulator-hashed", "influxd-hashed")
# influxd deletes the data a bucket's retention no longer keeps at each check (every 30 minutes
# by default): the test bed's checks every second, so a test sees what a retention cut deletes.
RETENTION_CHECK_INTERVAL = "1s"


class InfluxdFailed(Exception):
    """influxd is missing, did not start, or refused to be onboarded; says which and why."""


def start_server(name: str, *, onboard: bool = True) -> InfluxServer:
    """A server of SERVERS (set up unless told not to): the emulator, influxd 2.7.12, or, named
    "-hashed", the emulator's --hashed-tokens mode or influxd 2.8.0 --use-hashed-tokens."""
    if name not in SERVERS:
        raise ValueError(f"no server named {name!r}: one of {', '.join(SERVERS)}")
    hashed = name.endswith("-hashed")
    if name.startswith("emulator"):
        return start_emulator(hashed_tokens=hashed, onboard=onboard)
    return start_influxd(INFLUXD_2_8 if hashed else INFLUXD, hashed_tokens=hashed,
                         onboard=onboard)


def start_influxd(tool: Tool = INFLUXD, org: str = "rubin", *, hashed_tokens: bool = False,
                  onboard: bool = True) -> InfluxServer:
    """Start influxd, wait for `/health`, onboard it with a random operator token (unless told
    not to: then `token` is the one to onboard it with)."""
    data_dir = Path(tempfile.mkdtemp(prefix="influxd-"))
    server = _start(tool, data_dir, secrets.token_urlsafe(48), org, hashed_tokens, _free_port())
    if onboard:
        try:
            _onboard(server)
        except BaseException:
            server.stop()
            raise
    return server


def upgrade(server: InfluxServer, tool: Tool = INFLUXD_2_8, *,
            hashed_tokens: bool = True) -> InfluxServer:
    """Stop a started influxd and start `tool` on its data directory at the same address, as an
    operator upgrades; the new server keeps the operator token and owns the data from then on.

    A 2.7 data directory is migrated on 2.8.0's first start; with hashing on, its tokens are
    hashed (and a downgrade below 2.8 is refused from then on).
    """
    data_dir, server.data_dir = server.data_dir, None
    server.stop()
    port = int(server.url.rsplit(":", 1)[1])
    return _start(tool, data_dir, server.token, server.org, hashed_tokens, port)


def _start(tool: Tool, data_dir: Path, token: str, org: str, hashed_tokens: bool,
           port: int) -> InfluxServer:
    """influxd on `data_dir` and `port`, once it answers /health; it owns the directory."""
    if not tool.path.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        raise InfluxdFailed(f"{tool.path} is missing: run `make tools` to build it")
    process = _launch(tool, data_dir, hashed_tokens, port)
    server = InfluxServer(url=f"http://127.0.0.1:{port}", token=token, org=org, kind="influxd",
                          process=process, data_dir=data_dir, hashed_tokens=hashed_tokens)
    try:
        _wait_until_healthy(server, data_dir / "influxd.log")
    except BaseException:
        server.stop()
        raise
    return server


def _launch(tool: Tool, data_dir: Path, hashed_tokens: bool, port: int) -> subprocess.Popen:
    command = [
        str(tool.path),
        "--bolt-path", str(data_dir / "influxd.bolt"),
        "--engine-path", str(data_dir / "engine"),
        "--sqlite-path", str(data_dir / "influxd.sqlite"),
        "--http-bind-address", f"127.0.0.1:{port}",
        "--reporting-disabled",
        "--storage-retention-check-interval", RETENTION_CHECK_INTERVAL,
        "--log-level", "warn",
        *(["--use-hashed-tokens"] if hashed_tokens else []),
    ]
    log = (data_dir / "influxd.log").open("ab")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


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
