"""The settings' defaults: what Pulumi.yaml declares is what the program uses when nothing is set.

The program's defaults stand once, in the dataclasses of program/settings.py and flux/settings.py;
Pulumi.yaml declares them again for `pulumi config` and the CLI (which passes a declared default
to the program as if it were set). Here the program reads its settings twice, with nothing set
and with every declared default set as the CLI sets it, and must come to the same settings.
"""

from __future__ import annotations

import contextvars
import json

import pytest
import yaml
from pulumi.runtime import Settings as RuntimeSettings
from pulumi.runtime import configure, set_all_config

from program.settings import (
    SETTING_KEYS,
    TASK_SETTING_KEYS,
    Settings,
    SettingsError,
    load_settings,
)
from testbed.paths import REPO

PROJECT = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
DECLARED = PROJECT["config"]
CONNECTION = {"influxdb:url": "http://127.0.0.1:8086", "influxdb:org": "rubin",
              "influxdb:token": "token-for-reading-settings"}


def settings_with(config: dict[str, object]) -> Settings:
    """The program's settings with this project config (and a connection) set, values given to
    the program as the CLI gives them: strings, lists and maps as JSON."""
    project = PROJECT["name"]
    values = {**CONNECTION, **{
        f"{project}:{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()}}

    def load() -> Settings:
        configure(RuntimeSettings(project=project, stack="test"))
        set_all_config(values, ["influxdb:token"])
        return load_settings()

    return contextvars.copy_context().run(load)  # the SDK keeps both in context variables


def test_every_declared_default_is_what_the_program_uses_when_nothing_is_set():
    defaults = {key: declared["default"] for key, declared in DECLARED.items()}
    assert settings_with(defaults) == settings_with({})


def test_every_setting_the_program_reads_is_declared_with_a_default_but_the_lists_of_maps():
    read = {*SETTING_KEYS.values(), *TASK_SETTING_KEYS.values()}
    # Lists of maps, which Pulumi.yaml cannot type (see its comment there).
    assert set(DECLARED) == read - {"slackRoutes", "silences", "alertLinks"}
    assert [key for key, declared in DECLARED.items() if "default" not in declared] == []


# A value other than the default for each declared key, valid beside the other defaults.
OTHER_VALUES = {
    "multiappBucket": "findings_", "alertedBucket": "sent_", "diskBucket": "host_",
    "ignoreBuckets": ["argocd"], "appBuckets": ["sasquatch"], "appBucketRetention": "30d",
    "mapSystemBuckets": True, "slackSecretKey": "webhook", "slackChannel": "#alerts",
    "checkEvery": "2m", "notifyEvery": "2m", "realertAfter": "2h", "cpuChecks": False,
    "cpuLimitPercent": 80, "memoryChecks": True, "memoryLimitPercent": 80,
    "ignorePods": ["prepull-*"], "alertPendingPods": False, "diskWarnPercent": 80,
    "diskDangerPercent": 99, "maxAppDeletionPercent": 20, "maxAppDeletionCount": 5,
    "allowMassDeletion": True, "allowRetentionCut": True, "retainBucketsOnDelete": False,
    "dashboards": False,
    "notRunningFor": "15m",
    "noDataAfter": "0s",
    "groupAbove": 10, "heartbeatSecretKey": "heartbeat_url",
    "postResolved": False,
}


@pytest.mark.parametrize("key", sorted(DECLARED))
def test_the_program_reads_each_declared_key(key):
    assert settings_with({key: OTHER_VALUES[key]}) != settings_with({})


@pytest.mark.parametrize("config, named", [
    ({"notRunningFor": "2d"}, "notRunningFor='2d' is longer than 24h"),
    ({"noDataAfter": "2m"}, "noDataAfter='2m' must be at least checkEvery='5m'"),
    ({"checkEvery": "20m"}, "noDataAfter='15m' must be at least checkEvery='20m'"),
])
def test_a_wait_the_state_checks_cannot_keep_is_refused_in_one_line_naming_its_key(config,
                                                                                  named):
    with pytest.raises(SettingsError) as refused:
        settings_with(config)
    message = str(refused.value)
    assert named in message and "`pulumi config set <key> <value>`" in message
    assert "\n" not in message
