"""What the notifiers need that a run can only warn about, never a reason to stop: the secrets
they read (webhooks, the heartbeat's URL), checked by key only (InfluxDB never answers with a
secret's value), and silences that have ended, left in the config."""

from __future__ import annotations

import datetime
import shlex
from collections.abc import Iterable

from flux.posts import Silence
from providers.client import InfluxClient
from providers.errors import Forbidden, Unauthorized


def secret_warnings(influx: InfluxClient, org: dict, keys: Iterable[str]) -> list[str]:
    """One warning per webhook secret the org lacks, naming the command that sets it; one
    warning instead when the token may not list the org's secrets."""
    try:
        present = set(influx.secret_keys(org["id"]))
    except (Unauthorized, Forbidden):
        return [f"cannot check that org {org['name']} holds the Slack webhook secrets: the token "
                "may not list the org's secrets (give it read on secrets to have them checked)"]
    return [f"org {org['name']} has no secret {key!r}: the Slack tasks fail until it holds the "
            f"webhook URL; set it with `influx secret update --host {influx.url} --org "
            f"{shlex.quote(org['name'])} --token <operator token> --key {shlex.quote(key)} --value "
            "<webhook URL>` (see the README)" for key in keys if key not in present]


def silence_warnings(silences: Iterable[Silence], now: datetime.datetime) -> list[str]:
    """One warning per silence that has ended (it holds nothing back any more), naming the
    command that removes it."""
    return [f"silences[{index}] ({silence.match}) ended at {silence.until.isoformat()}: its "
            f"alerts are posted again; remove it with `pulumi config rm --path "
            f"'silences[{index}]'`" for index, silence in enumerate(silences)
            if silence.ended(now)]
