"""What one engine operation gives back, whichever engine ran it (the real CLI or the stand-in).

Step ops are the engine's own (`create`, `update`, `same`, `delete`, `replace`, ...), plus, for
refresh, `refresh-same`, `refresh-update` (drift: the state changed) and `refresh-delete` (gone).
"""

from __future__ import annotations

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

    def names(self, op: str) -> list[str]:
        """Names of the resources that took this step, in execution order."""
        return [step.name for step in self.steps if step.op == op]
