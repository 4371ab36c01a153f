"""Where the InfluxDB URL, org, token and answer timeout come from: the stack's `influxdb:`
config, else the environment (INFLUXDB_URL, INFLUXDB_ORG, INFLUXDB_TOKEN, INFLUXDB_TIMEOUT).

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

ENVIRONMENT = {"url": "INFLUXDB_URL", "org": "INFLUXDB_ORG", "token": "INFLUXDB_TOKEN",
               "timeout": "INFLUXDB_TIMEOUT"}
DEFAULT_TIMEOUT = 10.0  # seconds to wait for an answer
RESOURCE_TOKEN = "the scoped task token (token/tasks)"

_lock = threading.Lock()
_configured: dict[str, str] = {}
_clients: dict[tuple[str, str, float], InfluxClient] = {}


class MissingSetting(RunError):
    """A connection setting is in neither the stack config nor the environment."""


class BadSetting(RunError):
    """A connection setting has a value that cannot work."""


@dataclass(frozen=True)
class ConnectionSettings:
    """URL, org, token and answer timeout of the InfluxDB to manage; the token never shows in
    a repr."""

    url: str
    org: str
    token: str = field(repr=False)
    timeout: str = ""

    @classmethod
    def read(cls, lookup: Callable[[str], str | None] = lambda _name: None) -> ConnectionSettings:
        """Each of url, org, token, timeout from `lookup(name)` (`influxdb:` config), else the
        environment.

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

    def answer_timeout(self) -> float:
        """Seconds to wait for an answer (influxdb:timeout, 10 unless set); BadSetting if not a
        positive number."""
        if not self.timeout:
            return DEFAULT_TIMEOUT
        try:
            seconds = float(self.timeout)
        except ValueError:
            seconds = 0.0
        if not 0 < seconds <= 3600:
            raise BadSetting(f"influxdb:timeout is {self.timeout!r}: give the seconds to wait "
                             "for InfluxDB's answer, a number from 0 to 3600 (`pulumi config "
                             f"set influxdb:timeout 30` or {ENVIRONMENT['timeout']})")
        return seconds

    def client(self) -> InfluxClient:
        """A client for these settings (shared with every caller that has the same ones)."""
        return client_for(self, self.require("token"), CONFIGURED_TOKEN)


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


def client_for(settings: ConnectionSettings, token: str, token_source: str) -> InfluxClient:
    """One client (one connection pool) per URL, token and timeout for the life of the
    process."""
    key = (settings.require("url"), token, settings.answer_timeout())
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = InfluxClient(key[0], token, token_source=token_source,
                                                  read_timeout=key[2])
        return client


def resource_client(token: str | None) -> InfluxClient:
    """The client for a resource: its own token when it was given one, else the configured one."""
    settings = current()
    if token:
        return client_for(settings, token, RESOURCE_TOKEN)
    return settings.client()
