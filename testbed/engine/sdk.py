"""The Pulumi SDK's internal names the test bed needs, each with why: the one place to look when
the pinned SDK (requirements.txt) changes them.

The engine stand-in (`stand_in.py`, `worker.py`) plays the engine's part to the Python SDK, and
the provider-host driver (`provider_host.py`) plays it to `python -m pulumi.dynamic`. Both speak
the engine's gRPC protocol and its property encoding, which the SDK keeps to itself: the public
API (`pulumi`, `pulumi.runtime`'s exports, `pulumi.automation`) is for programs and the CLI, not
for something standing in for the engine. Everything else the test bed imports from `pulumi` is
public.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import struct_pb2

# A dynamic resource sends its provider to the host as the `__provider` input, pickled by this;
# the driver makes the same property the SDK's Resource makes.
from pulumi.dynamic.dynamic import serialize_provider

# What the SDK hands a provider for a value not known during preview; the stand-in's state keeps
# it as the engine's sentinel (rpc.UNKNOWN).
from pulumi.output import Unknown

# The engine's property encoding: secret envelopes, unknowns, Struct (de)serialization.
from pulumi.runtime import rpc

# The SDK's gRPC message size limits: a provider's answers for a large org exceed grpc's default.
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS as GRPC_CHANNEL_OPTIONS

# The SDK's own stand-in monitor (what `pulumi.runtime.set_mocks` installs), which the engine
# stand-in extends so that registrations become steps, and the settings that install it.
from pulumi.runtime.mocks import MockMonitor, MockSettings

# The engine's gRPC messages and stubs: the monitor's answers and the provider protocol.
from pulumi.runtime.proto import engine_pb2, provider_pb2, provider_pb2_grpc, resource_pb2

# The SDK runs its coroutines on its own loop; code called from a gRPC handler thread needs it.
from pulumi.runtime.sync_await import _ensure_event_loop as ensure_event_loop
from pulumi.runtime.sync_await import _sync_await as sync_await

# How the engine marks a secret in a property bag: {SIG_KEY: SECRET_SIG, ...}; the stand-in's
# state file keeps secrets in that shape, as the CLI's checkpoint does.
SIG_KEY = rpc._special_sig_key
SECRET_SIG = rpc._special_secret_sig

__all__ = [
    "GRPC_CHANNEL_OPTIONS", "SECRET_SIG", "SIG_KEY", "MockMonitor", "MockSettings", "Unknown",
    "deserialize", "engine_pb2", "ensure_event_loop", "provider_pb2", "provider_pb2_grpc",
    "resource_pb2", "rpc", "serialize", "serialize_provider", "sync_await",
]


def serialize(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """A property bag as the engine sends it (secrets and unknowns in the engine's encoding)."""
    return sync_await(rpc.serialize_properties(dict(props), {}))


def deserialize(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A property bag as the SDK reads it from the wire, unknowns kept."""
    return rpc.deserialize_properties(struct, keep_unknowns=True)
