"""What one engine operation gives back, whichever engine ran it (the real CLI or the stand-in).

Step ops are the engine's own (`create`, `update`, `same`, `delete`, `replace`, ...), plus, for
refresh, `refresh-same`, `refresh-update` (drift: the state changed) and `refresh-delete` (gone).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Props = dict[str, Any]


@dataclass(frozen=True)
class Step:
    op: str
    type: str
    name: str
    urn: str


@dataclass(frozen=True)
class Secret:
    """A secret stack output; its repr never shows the value."""

    value: Any = field(repr=False)


@dataclass
class Result:
    steps: list[Step]
    outputs: Props
    error: str | None
    log: list[str]
    peak_rss_mb: float
    seconds: float
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # by process role (real CLI)
    # What a terminal shows of the run: the real CLI's own output (`log` adds every diagnostic
    # the engine sent, the SDK's debug lines included); empty under the stand-in.
    output: list[str] = field(default_factory=list)
    # The messages the engine shows as warnings (real CLI; each also in `log`).
    warnings: list[str] = field(default_factory=list)

    def names(self, op: str) -> list[str]:
        """Names of the resources that took this step, in execution order."""
        return [step.name for step in self.steps if step.op == op]

    def ops(self) -> Counter:
        """How many steps of each op."""
        return Counter(step.op for step in self.steps)


def succeeded(result: Result) -> Result:
    """The result, asserted to be a success (the error shown otherwise)."""
    __tracebackhide__ = True
    assert result.error is None, result.error
    return result


class StackEngine:
    """One stack of one project, its config editable between runs; what both engines share.

    `config` holds namespaced keys (`influxdb:url`, `<project>:<key>`); those named in
    `secret_config_keys` are secrets; `env` is added to the environment of every run.
    """

    def __init__(self, config: Mapping[str, Any] | None, secret_config_keys: Iterable[str],
                 env: Mapping[str, str] | None) -> None:
        self.config = dict(config or {})
        self.secret_config_keys = set(secret_config_keys)
        self.env = dict(env or {})

    def preview(self) -> Result:
        return self._run("preview")

    def up(self) -> Result:
        return self._run("up")

    def refresh(self) -> Result:
        return self._run("refresh")

    def destroy(self) -> Result:
        return self._run("destroy")

    def _run(self, op: str) -> Result:
        raise NotImplementedError
