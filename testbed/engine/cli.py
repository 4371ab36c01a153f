"""The real Pulumi CLI (`.tools/bin/pulumi`), driven through the SDK's Automation API.

`PulumiCli` has the stand-in `Engine`'s interface (`preview`, `up`, `refresh`, `destroy`, each
giving a `Result`), so a test runs unchanged under either engine. Each instance is one stack of a
project, with its own `file://` backend, `PULUMI_HOME` and passphrase in a directory of its own:
no account, no network, nothing written to the repository. The project is laid out in that
directory as links to the repository's files (with `Pulumi.yaml` pointing at the repository's
virtualenv), so the stack's `Pulumi.<stack>.yaml` never lands in the working tree and several
stacks can run at once.

Steps come from the engine's own event stream; the outcome of each refreshed resource (the engine
reports it as same, update or delete) is named as the stand-in names it (`refresh-same`, ...).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from testbed.engine.processes import RunUsage, descendants
from testbed.engine.result import Result, Secret, StackEngine, Step
from testbed.engine.stand_in import ResourceState, StackState
from testbed.paths import REPO, TOOLS_BIN

PASSPHRASE = "testbed"  # encrypts the throwaway stacks' secrets; not a secret itself
# `--logtostderr -v=9 --logflow`: the CLI's most detailed logs, the plugins' included.
VERBOSE_LOGS = {"log_verbosity": 9, "log_to_std_err": True, "log_flow": True}
PROJECT_FILES_SKIPPED = {".git", ".pulumi", ".tools", ".demo", "node_modules"}
_ENVIRON_LOCK = threading.Lock()  # held while os.environ names a temporary PULUMI_HOME


class PulumiCli(StackEngine):
    """One stack of one project under the real CLI. `config` may be edited between runs."""

    def __init__(self, project_dir: Path = REPO, *, state_dir: Path, stack: str = "dev",
                 config: Mapping[str, Any] | None = None, secret_config_keys: Iterable[str] = (),
                 env: Mapping[str, str] | None = None, cli_dir: Path = TOOLS_BIN,
                 policy_packs: Iterable[Path] = (),
                 policy_pack_configs: Iterable[Path] = ()) -> None:
        self.cli_dir = Path(cli_dir)  # holds `pulumi` and the plugins it runs
        self.policy_packs = [Path(pack) for pack in policy_packs]  # judge preview and up
        # `--policy-pack-config`, one per pack, in the same order.
        self.policy_pack_configs = [Path(config) for config in policy_pack_configs]
        self.verbose = False  # True: the engine's and plugins' logs at -v=9 go into Result.log
        self.color = "never"  # the CLI's output in colour: "always" for a terminal
        self.source_dir = Path(project_dir)
        self.state_dir = Path(state_dir)
        self.stack_name = stack
        super().__init__(config, secret_config_keys, env)
        self.project_dir = self.state_dir / "project"
        self._stack: auto.Stack | None = None
        # The config this object last gave the stack; None once anything else may have changed
        # it (a command typed in `shell()`), so that the next run sets it again.
        self._config_set: dict[str, tuple[str, bool]] | None = None

    def state(self) -> StackState:
        """The program's resources in the stack's state (secrets still encrypted)."""
        resources = [
            ResourceState(urn=entry["urn"], type=entry["type"], id=entry.get("id", ""),
                          inputs=entry.get("inputs", {}), outputs=entry.get("outputs", {}),
                          dependencies=entry.get("dependencies", []),
                          retain_on_delete=entry.get("retainOnDelete", False))
            for entry in self.export().get("resources", [])
            if not entry["type"].startswith("pulumi:")]
        return StackState({resource.urn: resource for resource in resources})

    def state_text(self) -> str:
        """Every file the CLI keeps for this stack: state, backups, history, stack config."""
        files = [*sorted((self.state_dir / "backend").rglob("*")),
                 self.project_dir / f"Pulumi.{self.stack_name}.yaml"]
        return "\n".join(path.read_text(errors="replace") for path in files if path.is_file())

    def about(self) -> dict:
        """`pulumi about --json` for the stack: the CLI, the backend, and the program as its
        language host reports it (interpreter, dependencies); CommandError if it fails."""
        workspace = self._select().workspace
        done = workspace.pulumi_command.run(
            ["about", "--json", "--stack", self.stack_name], str(self.project_dir),
            {"PULUMI_HOME": workspace.pulumi_home, **workspace.env_vars})
        return json.loads(done.stdout)

    def export(self) -> dict:
        """The stack's deployment as `pulumi stack export` gives it (secrets encrypted)."""
        return self._select().export_stack().deployment

    def preview_expecting_no_changes(self) -> Result:
        """`pulumi preview --expect-no-changes`: an error when anything would change."""
        return self._run("preview", expect_no_changes=True)

    def up_refreshing(self) -> Result:
        """`pulumi up --refresh`: refresh, then update, in one run (as the deploy workflow does)."""
        return self._run("up", refresh=True)

    def up_expecting_no_changes(self) -> Result:
        """`pulumi up --expect-no-changes`: an error when anything would change."""
        return self._run("up", expect_no_changes=True)

    def kill(self) -> None:
        """End the CLI running an operation of this stack at once (SIGKILL), and every process
        under it, as a cancelled CI job or a lost runner ends them."""
        for proc in descendants().values():
            with contextlib.suppress(OSError):
                if (Path(os.readlink(proc / "exe")) == (self.cli_dir / "pulumi").resolve()
                        and Path(os.readlink(proc / "cwd")) == self.project_dir.resolve()):
                    for below in [*descendants(int(proc.name)).values(), proc]:
                        with contextlib.suppress(OSError):
                            os.kill(int(below.name), signal.SIGKILL)

    def up_killed_when(self, reached: Callable[[], bool], seconds: float = 120) -> Result:
        """`pulumi up`, killed as soon as `reached()` is true (checked every 50 ms, for at most
        `seconds`), as a cancelled job is: its Result, an error unless it ended first."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            run = pool.submit(self.up)
            deadline = time.monotonic() + seconds
            while not (run.done() or reached()) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.kill()
            return run.result()

    def cancel(self) -> None:
        """`pulumi cancel`: remove the lock a killed run left on the stack."""
        self._select().cancel()

    def rename(self, name: str) -> None:
        """`pulumi stack rename <name>`: the same stack (state, config) under a new name."""
        self._select().rename(name)
        self.stack_name = name
        self._config_set = None

    def _run(self, op: str, **options: Any) -> Result:
        stack = self._select()
        self._set_config(stack)
        steps: list[Step] = []
        log: list[str] = []
        shown: list[str] = []
        warnings: list[str] = []
        on_event = _recorder(steps, log, warnings, refresh=op == "refresh",
                             destroy=op == "destroy")
        error = None
        outputs: dict[str, Any] = {}

        def on_output(line: str) -> None:
            shown.append(line)
            log.append(line)

        display = {"on_event": on_event, "on_output": on_output, "color": self.color,
                   **(VERBOSE_LOGS if self.verbose else {})}
        judged = {"policy_packs": [str(pack) for pack in self._policy_packs()],
                  "policy_pack_configs": [str(config) for config in self.policy_pack_configs],
                  **options}
        started = time.monotonic()  # the operation alone, not the config set before it
        try:
            with RunUsage() as usage:
                if op == "preview":
                    done = stack.preview(**display, **judged)
                elif op == "up":
                    done = stack.up(**display, **judged)
                elif op == "refresh":
                    done = stack.refresh(**display)
                else:
                    done = stack.destroy(**display)
            log.extend(done.stderr.splitlines())  # the verbose logs, when asked for
        except auto.CommandError as failure:
            error = str(failure)
        seconds = time.monotonic() - started
        if op != "preview":
            # A finished up's result holds its outputs (two CLI commands fewer than asking).
            stack_outputs = done.outputs if op == "up" and error is None else stack.outputs()
            outputs = {key: Secret(value.value) if value.secret else value.value
                       for key, value in stack_outputs.items()}
        return Result(steps=steps, outputs=outputs, error=error, log=log, peak_rss_mb=usage.mb,
                      seconds=seconds, cpu_seconds=usage.cpu_seconds, output=shown,
                      warnings=warnings)

    def _set_config(self, stack: auto.Stack) -> None:
        """Make `config` the whole of the stack's config: three CLI commands, skipped when it is
        what this object set last."""
        wanted = self._config_values()
        given = {path: (value.value, value.secret) for path, value in wanted.items()}
        if given == self._config_set:
            return
        if old_keys := list(stack.get_all_config()):
            stack.remove_all_config(old_keys)
        stack.set_all_config(wanted, path=True)
        self._config_set = given

    def shell(self) -> tuple[Path, dict[str, str]]:
        """The project folder and the environment in which a `pulumi ...` command typed by hand
        acts on this stack (its backend, its home, no prompts, and none of the options the
        test bed sets for every run: a plain `refresh` is plain), the stack laid out first."""
        self._select()
        self._config_set = None  # what is typed there may change the config
        environment = {**os.environ, **self._environment(),
                       "PULUMI_HOME": str(self.state_dir / "home"),
                       "PULUMI_SKIP_CONFIRMATIONS": "true"}
        for option in ("PULUMI_RUN_PROGRAM", "PULUMI_SKIP_CHECKPOINTS"):
            environment.pop(option)
        return self.project_dir, environment

    def _select(self) -> auto.Stack:
        if self._stack is None:
            self._lay_out_project()
            workspace = auto.LocalWorkspace(
                work_dir=str(self.project_dir), pulumi_home=str(self.state_dir / "home"),
                env_vars=self._environment(), pulumi_command=_pulumi_command(self._cli_root()))
            self._stack = auto.Stack.create_or_select(self.stack_name, workspace)
        return self._stack

    def _config_values(self) -> dict[str, auto.ConfigValue]:
        """The config as `pulumi config set --path` sets it: a list item by item and a map field
        by field, so that the CLI's check of the types Pulumi.yaml declares sees an array, not
        a string."""
        return {path: auto.ConfigValue(_config_text(item), secret=key in self.secret_config_keys)
                for key, value in self.config.items() for path, item in _config_paths(key, value)}

    def _policy_packs(self) -> list[Path]:
        """The packs laid out as the project is, run in the repository's virtualenv (which has
        pulumi-policy) instead of their own."""
        laid_out = []
        for pack in self.policy_packs:
            copy = self.state_dir / "policy" / pack.name
            if not copy.exists():
                _link_with_virtualenv(pack, copy, "PulumiPolicy.yaml", REPO / ".venv")
            laid_out.append(copy)
        return laid_out

    def _cli_root(self) -> Path:
        """The Automation API runs `<root>/bin/pulumi`: a folder not named bin gets a link."""
        if self.cli_dir.name == "bin":
            return self.cli_dir.parent
        root = self.state_dir / "cli"
        if not root.exists():
            root.mkdir(parents=True)
            (root / "bin").symlink_to(self.cli_dir)
        return root

    def _lay_out_project(self) -> None:
        if self.project_dir.exists():
            return
        (self.state_dir / "backend").mkdir(parents=True, exist_ok=True)
        _link_with_virtualenv(self.source_dir, self.project_dir, "Pulumi.yaml")

    def _environment(self) -> dict[str, str]:
        return {
            "PATH": f"{self.cli_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_BACKEND_URL": (self.state_dir / "backend").as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            # As the README and the deploy workflow run them: refresh and destroy run the
            # program, so the providers get today's settings, not those of the last `up`.
            "PULUMI_RUN_PROGRAM": "true",
            # As the deploy workflow runs them: the state is written at the end of a run, not
            # after every step (a rewrite of the whole state each time, quadratic in the
            # resources); a run cut short converges on the next, whose creates adopt its objects.
            "PULUMI_SKIP_CHECKPOINTS": "true",
            # The program and its providers import the repository's packages.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                        os.environ.get("PYTHONPATH")])),
            **self.env,
        }


@functools.cache
def _pulumi_command(root: Path) -> auto.PulumiCommand:
    """The Automation API's handle on the CLI in `root`, made once. Making it runs `pulumi
    version` with this process's environment, not a workspace's, and the CLI logs every run in
    its home: the user account's ~/.pulumi unless PULUMI_HOME names another, as it does here."""
    with _ENVIRON_LOCK, tempfile.TemporaryDirectory() as home:
        before = os.environ.get("PULUMI_HOME")
        os.environ["PULUMI_HOME"] = home
        try:
            return auto.PulumiCommand(root=str(root), skip_version_check=True)
        finally:
            if before is None:
                del os.environ["PULUMI_HOME"]
            else:
                os.environ["PULUMI_HOME"] = before


def _link_with_virtualenv(source: Path, target: Path, manifest: str,
                          virtualenv: Path | None = None) -> None:
    """Lay out `source` at `target` as links to its files (no stack files), the manifest
    copied with its virtualenv made absolute (or replaced by `virtualenv`)."""
    target.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.name in PROJECT_FILES_SKIPPED or entry.name.startswith("Pulumi."):
            continue  # the stack files stay apart from the source
        if entry.name != manifest:  # written below, never through a link into the source
            (target / entry.name).symlink_to(entry)
    declared = yaml.safe_load((source / manifest).read_text())
    options = declared.get("runtime", {}).get("options", {})
    if virtualenv or "virtualenv" in options:
        options["virtualenv"] = str(virtualenv or (source / options["virtualenv"]).resolve())
    (target / manifest).write_text(yaml.safe_dump(declared, sort_keys=False))


def _config_paths(path: str, value: Any) -> Iterator[tuple[str, Any]]:
    """(`--path` key, scalar) pairs: `routes[0].cluster` for {"routes": [{"cluster": ...}]}; an
    empty list or map is left unset."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _config_paths(f"{path}[{index}]", item)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _config_paths(f"{path}.{name}", item)
    else:
        yield path, value


def _config_text(value: Any) -> str:
    """Config values are text: numbers and booleans as JSON (`true`, `5`)."""
    return value if isinstance(value, str) else json.dumps(value)


def _recorder(steps: list[Step], log: list[str], warnings: list[str], *, refresh: bool,
              destroy: bool):
    """Records each finished step, a refresh's outcomes (same, update, delete) as `refresh-*`,
    and each diagnostic (the warnings apart too)."""
    def on_event(event: auto.EngineEvent) -> None:
        if (diagnostic := event.diagnostic_event) is not None:
            log.append(diagnostic.message.rstrip())
            if diagnostic.severity == "warning":
                warnings.append(diagnostic.message.rstrip())
        if event.res_outputs_event is None:
            return  # a step is recorded once it is done (or, in a preview, planned)
        metadata = event.res_outputs_event.metadata
        if metadata.type.startswith("pulumi:"):
            return  # the stack and default providers are the engine's, not the program's
        if destroy and metadata.op != auto.OpType.DELETE:
            return  # destroy runs the program (--run-program): its registrations are no steps
        op = f"refresh-{metadata.op.value}" if refresh else metadata.op.value
        steps.append(Step(op, metadata.type, metadata.urn.rsplit("::", 1)[-1], metadata.urn))
    return on_event
