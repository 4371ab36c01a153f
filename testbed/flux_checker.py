"""InfluxData's own Flux parser and semantic checker (`@influxdata/flux-lsp-browser`, pinned in
package.json), kept running in one Node process (testbed/checkers/flux_check.mjs) so a test
session can check any number of scripts, one at a time, without loading it again.

Missing Node or a missing `npm ci` is an error that says so, never a skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from testbed.paths import CHECKERS, NODE_MODULES

FLUX_PACKAGE = NODE_MODULES / "@influxdata" / "flux-lsp-browser"


class FluxChecker:
    """The checker's verdict and AST for one script at a time."""

    def __init__(self) -> None:
        node = shutil.which("node")
        assert node, "node is not installed; the Flux checker needs Node.js 20"
        assert FLUX_PACKAGE.is_dir(), f"{FLUX_PACKAGE} is missing: run `npm ci` (make test does)"
        self._process = subprocess.Popen(
            [node, str(CHECKERS / "flux_check.mjs")], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, encoding="utf-8")

    def check(self, name: str, flux: str) -> dict[str, Any]:
        """{"name", "valid", "ast", "error"?} for the script, as the checker answers it."""
        self._process.stdin.write(json.dumps({"name": name, "flux": flux}) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        assert line, f"the Flux checker stopped (exit status {self._process.poll()})"
        return json.loads(line)

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=30)
