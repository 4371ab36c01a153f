"""Drive the Pulumi SDK's real dynamic-provider host over gRPC, exactly as the engine does.

The CLI launches `python -u -m pulumi.dynamic` in the project directory with PULUMI_PROJECT set;
the host prints its gRPC port as its first stdout line and serves `ResourceProvider`. This module
starts that same process and talks to it with the SDK's own stubs and property (de)serializers, so
pickling, serialization and the process boundary are the real ones.

Two levels of API:
- provider-level (`check`, `diff`, `create`, `read`, `update`, `delete`), for provider tests: pass a
  provider instance, a type name and a resource name; the harness builds the URN and adds the
  `__provider` property (the SDK's `serialize_provider`, a secret as the SDK's `Resource` makes it).
  Results come back as plain values; the keys that were secret are in `host.last_secret_keys`, and
  the `__provider` string sent is in `host.last_serialized_provider`. Returned outputs contain the
  `__provider` key, as the host returns it.
- URN-level (`rpc_*`), for the engine stand-in: full property bags (with `__provider`, secrets as
  the SDK's secret envelopes) in and out.

Secrets, as the engine handles them: the dynamic host answers Configure with acceptSecrets=False,
so secret values are sent as plain values and the secret bit is put back on every returned
top-level property whose input of the same name held a secret (the engine's `annotateSecrets`).
Configure itself always receives secrets wrapped (the host unwraps them). Mark an input secret
with `secret(value)`; pass `pulumi.output.Unknown()` for a value unknown during preview.
Numbers travel as protobuf doubles, so ints come back as floats.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import struct_pb2
from pulumi.dynamic import ResourceProvider

from testbed.engine.sdk import (
    GRPC_CHANNEL_OPTIONS,
    deserialize,
    provider_pb2,
    provider_pb2_grpc,
    rpc,
    serialize,
    serialize_provider,
)
from testbed.paths import REPO

PROVIDER_KEY = "__provider"

Props = dict[str, Any]


def secret(value: Any) -> Any:
    """Mark a value as a Pulumi secret (the SDK's secret envelope)."""
    return rpc.wrap_rpc_secret(value)


def is_secret(value: Any) -> bool:
    return rpc.is_rpc_secret(value)


def reveal(value: Any) -> tuple[Any, bool]:
    """The value with every secret envelope removed, and whether it held any."""
    if rpc.is_rpc_secret(value):
        return reveal(rpc.unwrap_rpc_secret(value))[0], True
    if isinstance(value, dict):
        pairs = {key: reveal(item) for key, item in value.items()}
        return ({key: item for key, (item, _) in pairs.items()},
                any(held for _, held in pairs.values()))
    if isinstance(value, list):
        pairs = [reveal(item) for item in value]
        return [item for item, _ in pairs], any(held for _, held in pairs)
    return value, False


def reveal_props(props: Mapping[str, Any]) -> tuple[Props, set[str]]:
    """Plain property values, and the top-level keys whose values held a secret."""
    plain, secret_keys = {}, set()
    for key, value in props.items():
        plain[key], held = reveal(value)
        if held:
            secret_keys.add(key)
    return plain, secret_keys


def mark_secret_keys(props: Mapping[str, Any], keys: set[str]) -> Props:
    return {key: secret(value) if key in keys else value for key, value in props.items()}


def project_name(project_dir: Path) -> str:
    return yaml.safe_load((Path(project_dir) / "Pulumi.yaml").read_text())["name"]


def make_urn(stack: str, project: str, type_name: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{type_name}::{name}"


def provider_property(provider: ResourceProvider) -> Any:
    """The `__provider` input the SDK's dynamic `Resource` declares for this provider."""
    serialized = serialize_provider(provider)
    if getattr(provider, "serialize_as_secret_always", True):
        return secret(serialized)
    return serialized


class ProviderError(Exception):
    """A failed provider call; provider exceptions arrive as UNKNOWN with the traceback."""

    def __init__(self, method: str, urn: str, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{method} {urn}: {code.name}: {details}")
        self.method, self.urn, self.code, self.details = method, urn, code, details


@dataclass(frozen=True)
class Diff:
    """What the host answered to Diff (it forwards changes, replaces, deleteBeforeReplace)."""

    changes: bool | None
    replaces: list[str]
    delete_before_replace: bool
    diffs: list[str]


_CHANGES = {
    provider_pb2.DiffResponse.DIFF_UNKNOWN: None,
    provider_pb2.DiffResponse.DIFF_NONE: False,
    provider_pb2.DiffResponse.DIFF_SOME: True,
}


class ProviderHost:
    """One `python -m pulumi.dynamic` process and a gRPC client to it. Use as a context manager."""

    def __init__(self, env: Mapping[str, str] | None = None, cwd: Path = REPO,
                 stack: str = "dev") -> None:
        self.cwd = Path(cwd)
        self.project = project_name(self.cwd)
        self.stack = stack
        # The CLI passes its own environment through, plus PULUMI_PROJECT.
        self._env = {**os.environ, **(env or {}), "PULUMI_PROJECT": self.project}
        self._accept_secrets = False
        self.process: subprocess.Popen | None = None
        self.last_secret_keys: set[str] = set()
        self.last_serialized_provider = ""

    def __enter__(self) -> ProviderHost:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"], cwd=self.cwd, env=self._env,
            stdout=subprocess.PIPE, text=True)
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            self.stop()
            raise RuntimeError(f"the dynamic provider host did not start (first line: {port!r})")
        # Anything a provider prints later goes to our stderr, as the CLI logs plugin output;
        # draining the pipe also keeps a chatty provider from blocking on a full pipe.
        threading.Thread(target=_forward, args=(self.process.stdout,), daemon=True).start()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=GRPC_CHANNEL_OPTIONS)
        self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)

    def stop(self) -> None:
        if self.process is None:
            return
        if hasattr(self, "_channel"):
            self._channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def peak_rss_kb(self) -> int:
        """The host process's peak resident set size so far (Linux VmHWM), for the benchmark."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines()
                        if line.startswith("VmHWM:")))

    def urn(self, type_name: str, name: str) -> str:
        return make_urn(self.stack, self.project, type_name, name)

    # URN-level calls: full property bags, secrets as envelopes (the engine's view).

    def configure(self, config: Mapping[str, Any]) -> None:
        """Configure the host once, first, with namespaced stack config (`influxdb:token`...)."""
        request = provider_pb2.ConfigureRequest(
            args=serialize(config), acceptSecrets=True, acceptResources=True,
            sends_old_inputs=True, sends_old_inputs_to_delete=True)
        self._accept_secrets = self._call("Configure", "", request).acceptSecrets

    def rpc_check(self, urn: str, olds: Props, news: Props) -> tuple[Props, list[tuple[str, str]]]:
        request = provider_pb2.CheckRequest(
            urn=urn, name=_name(urn), type=_type(urn),
            olds=self._wire(olds), news=self._wire(news))
        response = self._call("Check", urn, request)
        inputs = _annotated(response.inputs, news)
        return inputs, [(failure.property, failure.reason) for failure in response.failures]

    def rpc_diff(self, urn: str, id_: str, olds: Props, news: Props,
                 old_inputs: Props | None = None) -> Diff:
        request = provider_pb2.DiffRequest(
            id=id_, urn=urn, name=_name(urn), type=_type(urn), olds=self._wire(olds),
            news=self._wire(news), old_inputs=self._wire(old_inputs or {}))
        response = self._call("Diff", urn, request)
        return Diff(changes=_CHANGES[response.changes], replaces=list(response.replaces),
                    delete_before_replace=response.deleteBeforeReplace,
                    diffs=list(response.diffs))

    def rpc_create(self, urn: str, props: Props) -> tuple[str, Props]:
        request = provider_pb2.CreateRequest(
            urn=urn, name=_name(urn), type=_type(urn), properties=self._wire(props))
        response = self._call("Create", urn, request)
        return response.id, _annotated(response.properties, props)

    def rpc_read(self, urn: str, id_: str, props: Props,
                 inputs: Props | None = None) -> tuple[str, Props, Props | None]:
        """(id, outputs, inputs): id "" when gone; inputs only if the provider returned them."""
        request = provider_pb2.ReadRequest(
            id=id_, urn=urn, name=_name(urn), type=_type(urn), properties=self._wire(props),
            inputs=self._wire(inputs or {}))
        response = self._call("Read", urn, request)
        new_inputs = (_annotated(response.inputs, inputs or {})
                      if response.HasField("inputs") else None)
        return response.id, _annotated(response.properties, props), new_inputs

    def rpc_update(self, urn: str, id_: str, olds: Props, news: Props,
                   old_inputs: Props | None = None) -> Props:
        request = provider_pb2.UpdateRequest(
            id=id_, urn=urn, name=_name(urn), type=_type(urn), olds=self._wire(olds),
            news=self._wire(news), old_inputs=self._wire(old_inputs or {}))
        return _annotated(self._call("Update", urn, request).properties, news)

    def rpc_delete(self, urn: str, id_: str, props: Props,
                   old_inputs: Props | None = None) -> None:
        request = provider_pb2.DeleteRequest(
            id=id_, urn=urn, name=_name(urn), type=_type(urn), properties=self._wire(props),
            old_inputs=self._wire(old_inputs or {}))
        self._call("Delete", urn, request)

    # Provider-level calls: a provider instance and plain values (provider tests).

    def check(self, provider: ResourceProvider, type_name: str, name: str, olds: Props,
              news: Props) -> tuple[Props, list[tuple[str, str]]]:
        # A new resource has no old inputs at all (not even `__provider`), as in the engine.
        old_bag = self._with_provider(provider, olds) if olds else {}
        inputs, failures = self.rpc_check(
            self.urn(type_name, name), old_bag, self._with_provider(provider, news))
        return self._plain(inputs), failures

    def diff(self, provider: ResourceProvider, type_name: str, name: str, id_: str,
             olds: Props, news: Props) -> Diff:
        return self.rpc_diff(self.urn(type_name, name), id_, self._with_provider(provider, olds),
                             self._with_provider(provider, news))

    def create(self, provider: ResourceProvider, type_name: str, name: str,
               props: Props) -> tuple[str, Props]:
        id_, outs = self.rpc_create(self.urn(type_name, name),
                                    self._with_provider(provider, props))
        return id_, self._plain(outs)

    def read(self, provider: ResourceProvider, type_name: str, name: str, id_: str,
             props: Props) -> tuple[str, Props]:
        """("", {}) when the object is gone."""
        read_id, outs, _ = self.rpc_read(self.urn(type_name, name), id_,
                                         self._with_provider(provider, props))
        if not read_id:
            self.last_secret_keys = set()
            return "", {}
        return read_id, self._plain(outs)

    def update(self, provider: ResourceProvider, type_name: str, name: str, id_: str,
               olds: Props, news: Props) -> Props:
        outs = self.rpc_update(self.urn(type_name, name), id_,
                               self._with_provider(provider, olds),
                               self._with_provider(provider, news))
        return self._plain(outs)

    def delete(self, provider: ResourceProvider, type_name: str, name: str, id_: str,
               props: Props) -> None:
        self.rpc_delete(self.urn(type_name, name), id_, self._with_provider(provider, props))

    # Plumbing.

    def _with_provider(self, provider: ResourceProvider, props: Props) -> Props:
        """Add `__provider` unless the bag already has one (old outputs keep theirs)."""
        serialized = provider_property(provider)
        self.last_serialized_provider = reveal(serialized)[0]
        return {PROVIDER_KEY: serialized, **props}

    def _plain(self, props: Props) -> Props:
        plain, self.last_secret_keys = reveal_props(props)
        return plain

    def _wire(self, props: Mapping[str, Any]) -> struct_pb2.Struct:
        """Serialize as the engine does for this host: secrets kept only if it accepts them."""
        return serialize(props if self._accept_secrets else reveal_props(props)[0])

    def _call(self, method: str, urn: str, request: Any) -> Any:
        try:
            return getattr(self._stub, method)(request)
        except grpc.RpcError as error:
            raise ProviderError(method, urn, error.code(), error.details()) from None


def _annotated(struct: struct_pb2.Struct, inputs: Mapping[str, Any]) -> Props:
    """Deserialize a returned bag and re-mark keys whose input was secret (`annotateSecrets`)."""
    props = deserialize(struct)
    return mark_secret_keys(props, reveal_props(inputs)[1])


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _type(urn: str) -> str:
    return urn.split("::")[2]


def _forward(stream: Any) -> None:
    for line in stream:
        sys.stderr.write(line)
