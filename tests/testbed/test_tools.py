"""The real tools the test bed builds: pinned versions, and a real influxd that works."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import requests

from testbed.influx.influxd import start_influxd
from testbed.paths import TOOLS_BIN
from testbed.tools import (
    INFLUXD,
    INFLUXD_2_8,
    INFLUXD_2_8_VERSION,
    INFLUXD_VERSION,
    PULUMI,
    PULUMI_VERSION,
    TELEGRAF,
    TELEGRAF_VERSION,
    TOOLS,
    ensure_tools,
)


def version_of(path, home: Path) -> str:
    """What `<tool> version` says, run with `home` as its home (the CLI logs every run there)."""
    return subprocess.run([str(path), "version"], capture_output=True, text=True, check=True,
                          env={**os.environ, "HOME": str(home), "PULUMI_HOME": str(home)},
                          ).stdout.strip()


def test_the_pulumi_cli_is_the_pinned_release(tmp_path):
    assert version_of(PULUMI.path, tmp_path) == PULUMI_VERSION


@pytest.mark.parametrize(("tool", "version"), [(INFLUXD, INFLUXD_VERSION),
                                               (INFLUXD_2_8, INFLUXD_2_8_VERSION)],
                         ids=["2.7.12", "2.8.0"])
def test_each_influxd_is_its_pinned_release_under_its_own_name(tool, version, tmp_path):
    assert tool.path.name == f"influxd-{version.removeprefix('v')}"
    assert version_of(tool.path, tmp_path).startswith(f"InfluxDB {version} ")


def test_influxd_is_a_link_to_2_7_12(tmp_path):
    assert (TOOLS_BIN / "influxd").resolve() == INFLUXD.path.resolve()
    assert version_of(TOOLS_BIN / "influxd", tmp_path).startswith(f"InfluxDB {INFLUXD_VERSION} ")


def test_a_second_build_with_nothing_changed_rebuilds_nothing():
    said: list[str] = []
    ensure_tools(log=said.append)
    assert said == [f"tools: {tool.name} is up to date" for tool in TOOLS]


def test_a_real_influxd_starts_on_loopback_and_answers_health():
    server = start_influxd()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        health = requests.get(server.url + "/health", timeout=5).json()
        assert health["status"] == "pass" and health["version"] == INFLUXD_VERSION
    finally:
        server.stop()
    assert not server.data_dir.exists()


def test_telegraf_is_the_pinned_release():
    printed = subprocess.run([str(TELEGRAF.path), "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert printed == f"Telegraf {TELEGRAF_VERSION}"
