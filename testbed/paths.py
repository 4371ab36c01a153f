"""Every path the test bed uses, in one place."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
BUILDS = REPO / "testbed" / "builds"
TOOLS_BIN = REPO / ".tools" / "bin"
CHECKERS = REPO / "testbed" / "checkers"
NODE_MODULES = REPO / "node_modules"
