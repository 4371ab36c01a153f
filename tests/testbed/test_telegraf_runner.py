"""The test bed's Telegraf runner and fake Kubernetes: Telegraf reads the fakes with the bearer
token from its file, and a run that cannot read or write fails visibly, its token never shown.

These run on the emulator: what is proven is the runner and the fakes, not InfluxDB.
"""

from __future__ import annotations

import pytest
import requests

from testbed.influx.seed import add_bucket
from testbed.influx.server import InfluxOrg, InfluxServer
from testbed.kubernetes.pods import Container, Pod
from testbed.kubernetes.server import FakeKubernetes, Request
from testbed.telegraf import Telegraf, TelegrafFailed

PODS = [Pod("ns", "web-0", (Container("app"),))]


def test_telegraf_reads_the_pod_list_and_the_kubelet_with_the_token_of_its_file(
        emulator: InfluxServer, org: InfluxOrg, telegraf: Telegraf,
        fake_kubernetes: FakeKubernetes):
    add_bucket(org, "app")

    telegraf.collect(org, "app", PODS)

    assert set(fake_kubernetes.requests) == {Request("api", "GET", "/api/v1/pods"),
                                             Request("kubelet", "GET", "/stats/summary"),
                                             Request("kubelet", "GET", "/pods")}
    unauthenticated = requests.get(fake_kubernetes.api_url + "/api/v1/pods", timeout=5)
    assert unauthenticated.status_code == 401


def test_a_source_telegraf_cannot_read_fails_the_run_naming_it(
        emulator: InfluxServer, org: InfluxOrg, telegraf: Telegraf,
        fake_kubernetes: FakeKubernetes):
    add_bucket(org, "app")
    fake_kubernetes.fail("/stats/summary", 503)

    with pytest.raises(TelegrafFailed, match=r"(?s)exited 1.*/stats/summary.*503"):
        telegraf.collect(org, "app", PODS)


def test_a_write_telegraf_cannot_make_fails_the_run_and_never_shows_the_token(
        emulator: InfluxServer, org: InfluxOrg, telegraf: Telegraf):
    with pytest.raises(TelegrafFailed) as failed:
        telegraf.collect(org, "no-such-bucket", PODS)

    assert "no-such-bucket" in str(failed.value)
    assert org.server.token not in str(failed.value)
    assert org.server.token not in (telegraf.workdir / "telegraf.conf").read_text()
