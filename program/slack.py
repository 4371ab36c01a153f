"""The Slack webhook secrets the notifiers read: are they in the org? Checked at every preview and
up, by key only (InfluxDB never answers with a secret's value), and never a reason to stop."""

from __future__ import annotations

import shlex
from collections.abc import Iterable

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
