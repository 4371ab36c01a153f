"""Start and talk to the InfluxDB the tests run against: the emulator, or a real server.

Shared by the pytest fixtures (`testbed/pytest_plugin.py`) and the benchmark (`bench/run.py`).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from testbed.paths import REPO


@dataclass
class InfluxServer:
    """A running InfluxDB (emulated or real) and its operator token."""

    url: str
    token: str = field(repr=False)  # pytest prints fixture reprs in failure reports
    org: str = "rubin"
    kind: str = "external"  # "emulator", "influxd" (started here) or "external" (from env)
    process: subprocess.Popen | None = field(default=None, repr=False)
    data_dir: Path | None = field(default=None, repr=False)  # removed on stop
    # Stores tokens as hashes, showing a token's value only in its create's answer (InfluxDB
    # 2.9's default; influxd 2.8 --use-hashed-tokens; the emulator's --hashed-tokens).
    hashed_tokens: bool = False

    @property
    def is_emulator(self) -> bool:
        return self.kind == "emulator"

    @property
    def name(self) -> str:
        """The server's name among those the test bed starts (`testbed.influx.influxd.SERVERS`)."""
        return f"{self.kind}-hashed" if self.hashed_tokens else self.kind

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """Call the API with the operator token (test set-up and inspection)."""
        headers = {"Authorization": f"Token {self.token}", **kwargs.pop("headers", {})}
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def api_requests(self) -> tuple[int, int]:
        """(reads, writes) of the API requests answered so far: GETs, and everything else.

        From the emulator's request log (its controls are not API), or from influxd's
        Prometheus counter `http_api_requests_total` (its /api/ paths); take the difference
        around an operation.
        """
        if self.is_emulator:
            methods = [entry["method"] for entry in self.request_log()
                       if not entry["path"].startswith("/_emulator")]
            return methods.count("GET"), len(methods) - methods.count("GET")
        counts = Counter()
        for sample in self.metric_samples("http_api_requests_total"):
            if sample.labels["path"].startswith("/api/"):
                counts[sample.labels["method"] == "GET"] += int(sample.value)
        return counts[True], counts[False]

    def metric_samples(self, name: str) -> list[Sample]:
        """The samples of one of influxd's Prometheus metrics, as /metrics gives them now."""
        metrics = requests.get(self.url + "/metrics", timeout=10).text
        return [sample for family in text_string_to_metric_families(metrics)
                for sample in family.samples if sample.name == name]

    # Emulator controls (see testbed/influxdb_emulator): no auth, loopback only.
    def request_log(self) -> list[dict]:
        return requests.get(self.url + "/_emulator/requests", timeout=10).json()

    def clear_request_log(self) -> None:
        requests.delete(self.url + "/_emulator/requests", timeout=10).raise_for_status()

    def add_fault(self, **fault) -> None:
        requests.post(self.url + "/_emulator/faults", json=fault, timeout=10).raise_for_status()

    def clear_faults(self) -> None:
        requests.delete(self.url + "/_emulator/faults", timeout=10).raise_for_status()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)


@dataclass
class InfluxOrg:
    """A fresh organization on a server, for one test."""

    server: InfluxServer
    name: str
    id: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token(self) -> str:
        return self.server.token

    def stack_config(self) -> dict[str, str]:
        """The `influxdb:` stack config that points a stack at this org (the token: secret)."""
        return {"influxdb:url": self.url, "influxdb:org": self.name, "influxdb:token": self.token}


def start_emulator(*, hashed_tokens: bool = False, org: str = "rubin",
                   onboard: bool = True) -> InfluxServer:
    """Start `python -m testbed.influxdb_emulator` on a free port and wait for its URL; not set
    up when `onboard` is false (then `token` is one to onboard it with)."""
    token = secrets.token_urlsafe(64)
    command = [sys.executable, "-m", "testbed.influxdb_emulator", "--port", "0"]
    if onboard:
        # One argument: a URL-safe token may start with "-", which argparse takes for an option.
        command += [f"--admin-token={token}", "--org", org]
    if hashed_tokens:
        command.append("--hashed-tokens")
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        raise RuntimeError(f"the emulator did not start (first line: {url!r})")
    return InfluxServer(url=url, token=token, org=org, kind="emulator", process=process,
                        hashed_tokens=hashed_tokens)


def real_server_from_env() -> InfluxServer | None:
    """The real InfluxDB named by INFLUXDB_TEST_URL / INFLUXDB_TEST_TOKEN, if any."""
    url, token = os.environ.get("INFLUXDB_TEST_URL"), os.environ.get("INFLUXDB_TEST_TOKEN")
    if not (url and token):
        return None
    return InfluxServer(url=url.rstrip("/"), token=token,
                        org=os.environ.get("INFLUXDB_TEST_ORG", "rubin"))


def create_org(server: InfluxServer, prefix: str = "test") -> InfluxOrg:
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    response = server.api("POST", "/api/v2/orgs", json={"name": name})
    response.raise_for_status()
    return InfluxOrg(server=server, name=name, id=response.json()["id"])


def delete_org(org: InfluxOrg) -> None:
    org.server.api("DELETE", f"/api/v2/orgs/{org.id}")
