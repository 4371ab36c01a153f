"""The providers' warnings as Pulumi warnings: shown and counted by `pulumi up` as warnings, not
as lines of a plugin's output.

A dynamic provider runs in a plugin process whose stderr the engine shows as plain output (a
`logging` warning included). The engine gives a plugin its own address as the last argument, and
its Log call takes a severity: once `to_engine()` has run in that process, every warning (or
worse) of the `providers` loggers goes there. Where there is no engine (the test bed's provider
host, a script), or the engine does not answer, the record goes to stderr as before.
"""

from __future__ import annotations

import functools
import logging
import re
import sys

import grpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

ADDRESS = re.compile(r"(127\.0\.0\.1|localhost|\[::1\]):\d+")
SEVERITIES = {logging.WARNING: engine_pb2.WARNING, logging.ERROR: engine_pb2.ERROR}


class EngineHandler(logging.Handler):
    """Sends each record to the engine's Log, with the severity of its level."""

    def __init__(self, engine: engine_pb2_grpc.EngineStub) -> None:
        super().__init__(logging.WARNING)
        self.engine = engine

    def emit(self, record: logging.LogRecord) -> None:
        severity = SEVERITIES[logging.ERROR if record.levelno >= logging.ERROR
                              else logging.WARNING]
        try:
            self.engine.Log(engine_pb2.LogRequest(severity=severity, message=record.getMessage()))
        except grpc.RpcError:
            logging.lastResort.handle(record)


def to_engine() -> None:
    """Route the providers' warnings to the engine this plugin process was started by, if any;
    doing it again changes nothing."""
    _install(engine_address())


def engine_address() -> str | None:
    """The engine's address, the plugin's last argument (`127.0.0.1:PORT`); None when the
    process was not started by an engine."""
    last = sys.argv[-1] if len(sys.argv) > 1 else ""
    return last if ADDRESS.fullmatch(last) else None


@functools.cache
def _install(address: str | None) -> None:
    if address is None:
        return
    logger = logging.getLogger("providers")
    logger.addHandler(EngineHandler(engine_pb2_grpc.EngineStub(grpc.insecure_channel(address))))
    logger.propagate = False  # the engine shows it; stderr would show it twice
