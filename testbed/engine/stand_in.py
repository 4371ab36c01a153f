"""The engine stand-in: `pulumi preview`, `up`, `refresh` and `destroy` without the Pulumi CLI.

Each operation runs in a fresh worker process (`python -m testbed.engine.worker`, like the CLI's
language host) in the project directory. For preview and up the worker runs the real program under
the SDK's mock monitor and forwards every declared resource to one real dynamic-provider host
(`testbed/engine/provider_host.py`), Configured once with the whole namespaced stack config:

- each resource: Check (olds = state inputs), then
  new → `create`; existing → Diff (olds = state outputs, news = checked inputs) →
  `same` (keeps the old id and outputs, so the old `__provider`), `update`, or `replace`
  (create then delete, or delete then create when the provider asks for delete-before-replace).
  When Diff answers "unknown", the engine compares old and new inputs itself, `__provider` included.
  Outputs go back to the program, so dependent resources see real values.
- preview sends no Create/Update/Delete: the dynamic host does not support provider previews, so,
  as the engine does, planned outputs are the checked inputs and a new id is unknown; unknown
  values reach Check and Diff as `pulumi.output.Unknown`.
- after the program succeeds, resources in state it no longer declares are deleted (`delete`),
  in reverse dependency order. If the program (or a step) fails: no deletes, and the resources
  already created or updated are saved to state. After the first failed step no new step starts.
  The stack outputs the program registered are saved even when a step fails after them (a
  delete), as the engine saves them.
- `refresh` reads every resource in state, no program run: `refresh-same`, `refresh-update` (drift:
  state updated) or `refresh-delete` (gone: removed from state).
- `destroy` deletes everything in reverse dependency order (`delete`), with each resource's stored
  outputs (and so its stored `__provider`), no program run.

Step ops: create, update, replace, same, delete, refresh-same, refresh-update, refresh-delete. The
`pulumi:pulumi:StackReference` read is not a step; component resources are not recorded.

Dependency order: the state lists resources in registration order, which is topological (a resource
registers only once the outputs it depends on are resolved), and records each resource's
dependencies (explicit `depends_on` plus input dependencies, as the SDK reports them); deletes run
in reverse state order. Steps run concurrently as the SDK registers resources (the program's RPC
thread pool); deletes, refresh and destroy run sequentially.

`pulumi.StackReference("organization/<project>/<stack>")` (the program's own stack) returns the
stack outputs saved by the last up. Stack config: the given namespaced values plus the
defaults declared in the project's Pulumi.yaml (as the CLI applies them); `Pulumi.<stack>.yaml` is
not read. The state file is JSON in the spirit of Pulumi's checkpoint: resources with urn, type, id,
inputs, outputs (`__provider` among them), dependencies, and the stack outputs; secret values are
stored as `{<sig>: <secret sig>, "ciphertext": ...}` (base64 here, where a real backend encrypts),
never as plain strings.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from testbed.engine.provider_host import REPO, project_name
from testbed.engine.result import Result, Secret, StackEngine, Step
from testbed.engine.sdk import SECRET_SIG, SIG_KEY, Unknown, rpc

ORGANIZATION = "organization"  # what `pulumi.get_organization()` is on a self-managed backend

Props = dict[str, Any]


@dataclass
class ResourceState:
    urn: str
    type: str
    id: str
    inputs: Props
    outputs: Props
    dependencies: list[str]
    retain_on_delete: bool = False  # deleting it only drops it from the state, as the engine does

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass
class StackState:
    """Resources in registration (topological) order, and the last successful stack outputs."""

    resources: dict[str, ResourceState] = field(default_factory=dict)
    outputs: Props = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> StackState:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text())
        resources = [ResourceState(**{**entry, "inputs": decode(entry["inputs"]),
                                      "outputs": decode(entry["outputs"])})
                     for entry in data["resources"]]
        return cls({resource.urn: resource for resource in resources}, decode(data["outputs"]))

    def save(self, path: Path) -> None:
        resources = [{**vars(resource), "inputs": encode(resource.inputs),
                      "outputs": encode(resource.outputs)}
                     for resource in self.resources.values()]
        data = {"version": 1, "outputs": encode(self.outputs), "resources": resources}
        path.write_text(json.dumps(data, indent=1))


def encode(value: Any) -> Any:
    """JSON form: secret envelopes as ciphertext, unknowns as the engine's unknown sentinel."""
    if rpc.is_rpc_secret(value):
        plain = json.dumps(encode(rpc.unwrap_rpc_secret(value))).encode()
        return {SIG_KEY: SECRET_SIG, "ciphertext": base64.b64encode(plain).decode()}
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [encode(item) for item in value]
    return value


def decode(value: Any, secret: Callable[[Any], Any] = rpc.wrap_rpc_secret) -> Any:
    """Inverse of `encode`; secrets become SDK envelopes (or whatever `secret` makes)."""
    if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG:
        return secret(decode(json.loads(base64.b64decode(value["ciphertext"])), secret))
    if value == rpc.UNKNOWN:
        return Unknown()
    if isinstance(value, dict):
        return {key: decode(item, secret) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item, secret) for item in value]
    return value


def stack_config(project_dir: Path, config: Mapping[str, Any]) -> dict[str, str]:
    """Namespaced stack config plus Pulumi.yaml defaults; non-strings JSON-encoded, as the CLI."""
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    merged: dict[str, Any] = {}
    for key, declared in (project.get("config") or {}).items():
        default = declared.get("default") if isinstance(declared, dict) else declared
        if default is not None:
            merged[key if ":" in key else f"{project['name']}:{key}"] = default
    merged.update(config)
    return {key: value if isinstance(value, str) else json.dumps(value)
            for key, value in merged.items()}


class Engine(StackEngine):
    """One stack of one project, with its state file. `config` may be edited between runs."""

    def __init__(self, project_dir: Path = REPO, *, state_path: Path, stack: str = "dev",
                 config: Mapping[str, Any] | None = None, secret_config_keys: Iterable[str] = (),
                 env: Mapping[str, str] | None = None) -> None:
        self.project_dir = Path(project_dir)
        self.project = project_name(self.project_dir)
        self.state_path = Path(state_path)
        self.stack = stack
        super().__init__(config, secret_config_keys, env)

    def state(self) -> StackState:
        return StackState.load(self.state_path)

    def state_text(self) -> str:
        return self.state_path.read_text()

    def _run(self, op: str) -> Result:
        with tempfile.TemporaryDirectory() as scratch:
            result_path = Path(scratch) / "result.json"
            request = {
                "op": op, "project_dir": str(self.project_dir), "project": self.project,
                "stack": self.stack, "organization": ORGANIZATION,
                "state_path": str(self.state_path), "result_path": str(result_path),
                "config": stack_config(self.project_dir, self.config),
                "secret_config_keys": sorted(self.secret_config_keys),
            }
            started = time.monotonic()
            worker = subprocess.run(
                [sys.executable, "-m", "testbed.engine.worker"], input=json.dumps(request),
                text=True, cwd=self.project_dir, env=self._worker_env(), check=False)
            seconds = time.monotonic() - started
            if not result_path.exists():
                return Result([], {}, f"the engine worker exited with status {worker.returncode}",
                              [], 0.0, seconds)
            outcome = json.loads(result_path.read_text())
        return Result(
            steps=[Step(*step) for step in outcome["steps"]],
            outputs=decode(outcome["outputs"], Secret), error=outcome["error"],
            log=outcome["log"], peak_rss_mb=outcome["peak_rss_kb"] / 1024, seconds=seconds)

    def _worker_env(self) -> dict[str, str]:
        # The worker imports `tests.*` from the repository whatever the project directory is.
        pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        return {**os.environ, **self.env, "PYTHONPATH": pythonpath}
