"""Where the InfluxDB URL, org and token come from: the stack's `influxdb:` config, else the
environment (INFLUXDB_URL, INFLUXDB_ORG, INFLUXDB_TOKEN).

The providers' `configure()` stores the config here, in module state, never on a provider
instance: the instance is pickled into every resource's `__provider`, which must hold no secret
and be the same for every resource of a type. The environment is read on every call.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from pulumi.errors import RunError

from providers.client import CONFIGURED_TOKEN, InfluxClient

ENVIRONMENT = {"url": "INFLUXDB_URL", "org": "INFLUXDB_ORG", "token": "INFLUXDB_TOKEN"}
RESOURCE_TOKEN = "the scoped task token (token/tasks)"

_lock = threading.Lock()
_configured: dict[str, str] = {}
_clients: dict[tuple[str, str], InfluxClient] = {}


class MissingSetting(RunError):
    """A connection setting is in neither the stack config nor the environment."""


@dataclass(frozen=True)
class ConnectionSettings:
    """URL, org and token of the InfluxDB to manage; the token never shows in a repr."""

    url: str
    org: str
    token: str = field(repr=False)

    @classmethod
    def read(cls, lookup: Callable[[str], str | None] = lambda _name: None) -> ConnectionSettings:
        """Each of url, org, token from `lookup(name)` (`influxdb:` config), else the environment.

        The Pulumi program passes `pulumi.Config("influxdb").get`.
        """
        return cls(**{name: lookup(name) or os.environ.get(variable, "")
                      for name, variable in ENVIRONMENT.items()})

    def require(self, name: str) -> str:
        value = getattr(self, name)
        if not value:
            raise MissingSetting(f"no InfluxDB {name}: set it with `pulumi config set "
                                 f"{'--secret ' if name == 'token' else ''}influxdb:{name} ...` "
                                 f"or in {ENVIRONMENT[name]}")
        return value

    def client(self) -> InfluxClient:
        """A client for these settings (shared with every caller that has the same ones)."""
        return client_for(self.require("url"), self.require("token"), CONFIGURED_TOKEN)


def configure(lookup: Callable[[str], str | None]) -> None:
    """Remember the stack config (the providers' configure(); `lookup` takes url, org, token)."""
    values = {name: str(lookup(name)) for name in ENVIRONMENT if lookup(name)}
    with _lock:
        _configured.clear()
        _configured.update(values)


def current() -> ConnectionSettings:
    """The configured settings, the environment filling the gaps."""
    with _lock:
        configured = dict(_configured)
    return ConnectionSettings.read(configured.get)


def client_for(url: str, token: str, token_source: str) -> InfluxClient:
    """One client (one connection pool) per URL and token for the life of the process."""
    with _lock:
        client = _clients.get((url, token))
        if client is None:
            client = _clients[(url, token)] = InfluxClient(url, token, token_source=token_source)
        return client


def resource_client(token: str | None) -> InfluxClient:
    """The client for a resource: its own token when it was given one, else the configured one."""
    settings = current()
    if token:
        return client_for(settings.require("url"), token, RESOURCE_TOKEN)
    return settings.client()
