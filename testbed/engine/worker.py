"""The engine stand-in's worker: one operation on one stack, in a fresh process.

Started by `testbed.engine.stand_in.Engine` in the project directory; reads the request (JSON)
on stdin and writes the result (JSON) to the request's `result_path`. The semantics are
documented in testbed/engine/stand_in.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import runpy
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pulumi
from google.protobuf import empty_pb2
from pulumi.runtime import MockCallArgs, configure, run_in_stack, set_all_config

from testbed.engine.provider_host import (
    ProviderError,
    ProviderHost,
    is_secret,
    mark_secret_keys,
    secret,
)
from testbed.engine.result import Step
from testbed.engine.sdk import (
    MockMonitor,
    MockSettings,
    deserialize,
    engine_pb2,
    ensure_event_loop,
    resource_pb2,
    serialize,
)
from testbed.engine.stand_in import ResourceState, StackState, encode

Props = dict[str, Any]

DYNAMIC_TYPE_PREFIX = "pulumi-python:dynamic"
STACK_REFERENCE = "pulumi:pulumi:StackReference"


def delete(host: ProviderHost, resource: ResourceState) -> None:
    """Delete the resource's object, unless it is retained on delete: then, as in the engine,
    it only leaves the state."""
    if not resource.retain_on_delete:
        host.rpc_delete(resource.urn, resource.id, resource.outputs, resource.inputs)


class StepFailed(Exception):
    """A resource step the engine refuses (check failures, unsupported resources, cancellation)."""


class Update:
    """The steps of one preview or up, taken as the program registers its resources."""

    def __init__(self, host: ProviderHost, old: StackState, preview: bool) -> None:
        self.host, self.old, self.preview = host, old, preview
        self.registered: dict[str, ResourceState] = {}
        self.gone: set[str] = set()
        self.steps: list[Step] = []
        self.failure: str | None = None
        self._finished = False
        self._in_flight = 0
        self._claimed: set[str] = set()
        self._lock = threading.Condition()

    def register(self, urn: str, type_: str, inputs: Props, dependencies: list[str],
                 secret_outputs: set[str], retain_on_delete: bool) -> tuple[str, Props]:
        """Take this resource's step; the id and outputs go back to the program."""
        with self._lock:
            if self.failure is not None or self._finished:
                raise StepFailed(f"{urn}: not started: the update stopped after an error")
            self._in_flight += 1
        try:
            self._claim(urn)
            return self._register(urn, type_, inputs, dependencies, secret_outputs,
                                  retain_on_delete)
        except Exception as error:
            with self._lock:
                self.failure = self.failure or describe(error)
            raise
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()

    def finish(self) -> None:
        """Once the program has ended: start no new step, and let the running ones complete."""
        with self._lock:
            self._finished = True
            self._lock.wait_for(lambda: self._in_flight == 0)

    def delete_unregistered(self) -> None:
        """Delete what the state holds and the program no longer declares, dependents first."""
        for old in reversed(list(self.old.resources.values())):
            if old.urn not in self.registered:
                if not self.preview:
                    self._delete(old)
                self.steps.append(Step("delete", old.type, old.name, old.urn))

    def final_state(self, outputs: Props | None) -> StackState:
        """Registered resources, then the old ones still alive; the outputs the program
        registered, else the old ones."""
        alive = {urn: old for urn, old in self.old.resources.items()
                 if urn not in self.registered and urn not in self.gone}
        return StackState({**self.registered, **alive},
                          self.old.outputs if outputs is None else outputs)

    def _claim(self, urn: str) -> None:
        with self._lock:
            if urn in self._claimed:
                raise StepFailed(f"{urn}: duplicate resource URN")
            self._claimed.add(urn)

    def _register(self, urn: str, type_: str, inputs: Props, dependencies: list[str],
                  secret_outputs: set[str], retain_on_delete: bool) -> tuple[str, Props]:
        old = self.old.resources.get(urn)
        checked = self._check(urn, old, inputs)
        op, delete_first = self._plan(urn, old, checked)
        applying_replace = op == "replace" and not self.preview
        if applying_replace and delete_first:
            self._delete(old)
        id_, outputs = self._apply(op, urn, old, checked)
        new = ResourceState(urn, type_, id_, checked, mark_secret_keys(outputs, secret_outputs),
                            dependencies, retain_on_delete)
        with self._lock:
            self.registered[urn] = new
            self.steps.append(Step(op, type_, new.name, urn))
        if applying_replace and not delete_first:
            self._delete(old)
        return new.id, new.outputs

    def _check(self, urn: str, old: ResourceState | None, inputs: Props) -> Props:
        checked, failures = self.host.rpc_check(urn, old.inputs if old else {}, inputs)
        if failures:
            problems = "; ".join(f"{prop}: {reason}" for prop, reason in failures)
            raise StepFailed(f"{urn}: check failed: {problems}")
        return checked

    def _plan(self, urn: str, old: ResourceState | None, checked: Props) -> tuple[str, bool]:
        """(op, delete_before_replace)."""
        if old is None:
            return "create", False
        diff = self.host.rpc_diff(urn, old.id, old.outputs, checked, old.inputs)
        # An unknown answer makes the engine compare the old and new inputs itself.
        changes = diff.changes if diff.changes is not None else old.inputs != checked
        if not changes:
            return "same", False
        if diff.replaces:
            return "replace", diff.delete_before_replace
        return "update", False

    def _apply(self, op: str, urn: str, old: ResourceState | None,
               checked: Props) -> tuple[str, Props]:
        if op == "same":
            return old.id, old.outputs
        if self.preview:
            # The dynamic host does not support provider previews, so the engine plans with the
            # checked inputs as outputs; a new object's id is unknown.
            return (old.id if op == "update" else ""), checked
        if op == "update":
            return old.id, self.host.rpc_update(urn, old.id, old.outputs, checked, old.inputs)
        return self.host.rpc_create(urn, checked)

    def _delete(self, old: ResourceState) -> None:
        delete(self.host, old)
        with self._lock:
            self.gone.add(old.urn)


class EngineMonitor(MockMonitor):
    """The SDK's mock monitor, with resource registrations taken as engine steps."""

    def __init__(self, update: Update, own_stack_names: set[str], last_outputs: Props) -> None:
        # The monitor answers the calls it would hand to a `Mocks` itself (see `call`).
        super().__init__(mocks=self)
        self.update = update
        self.own_stack_names = own_stack_names
        self.last_outputs = last_outputs
        self.stack_outputs: Props | None = None

    def call(self, args: MockCallArgs) -> tuple[dict, list | None]:
        raise StepFailed(f"{args.token}: function invokes are not supported by the engine stand-in")

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # As in the real engine, the root stack does not qualify its children's types.
        root_stack_child = parent.split("::")[2:3] == ["pulumi:pulumi:Stack"]
        return super().make_urn("" if root_stack_child else parent, type_, name)

    def RegisterResource(self, request: Any) -> resource_pb2.RegisterResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        if not request.custom:  # the root stack and components: nothing for a provider to do
            return resource_pb2.RegisterResourceResponse(urn=urn)
        if not request.type.startswith(DYNAMIC_TYPE_PREFIX):
            raise StepFailed(f"{urn}: only dynamic resources are supported by the engine stand-in")
        ensure_event_loop()
        inputs = deserialize(request.object)
        id_, outputs = self.update.register(urn, request.type, inputs,
                                            sorted(request.dependencies),
                                            set(request.additionalSecretOutputs),
                                            request.retainOnDelete)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=serialize(outputs))

    def ReadResource(self, request: Any) -> resource_pb2.ReadResourceResponse:
        if request.type != STACK_REFERENCE:
            raise StepFailed(f"{request.type}: reading resources is not supported")
        if request.id not in self.own_stack_names:
            raise StepFailed(f"unknown stack {request.id!r}: only this stack can be referenced")
        props = {"name": request.id, "outputs": self.last_outputs,
                 "secretOutputNames": [key for key, value in self.last_outputs.items()
                                       if is_secret(value)]}
        urn = self.make_urn(request.parent, request.type, request.name)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=serialize(props))

    def RegisterResourceOutputs(self, request: Any) -> empty_pb2.Empty:
        if "::pulumi:pulumi:Stack::" in request.urn:
            self.stack_outputs = deserialize(request.outputs)
        return empty_pb2.Empty()


class ProgramLog:
    """What the program logs with `pulumi.log`, as the CLI shows it (debug is not shown)."""

    LEVELS: ClassVar[dict[int, str]] = {
        engine_pb2.INFO: "info", engine_pb2.WARNING: "warning", engine_pb2.ERROR: "error"}

    def __init__(self) -> None:
        self.lines: list[str] = []

    def Log(self, request: Any) -> None:
        level = self.LEVELS.get(request.severity)
        if level is not None:
            self.lines.append(f"{level}: {request.message}")


class Operation:
    """One `pulumi <op>` on the stack described by the request."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.request = request
        self.project_dir = Path(request["project_dir"])
        self.state_path = Path(request["state_path"])
        self.state = StackState.load(self.state_path)
        self.log = ProgramLog()

    def run(self) -> dict[str, Any]:
        action: Callable[[ProviderHost], tuple[list[Step], Props, str | None]] = {
            "preview": lambda host: self.deploy(host, preview=True),
            "up": lambda host: self.deploy(host, preview=False),
            "refresh": self.refresh,
            "destroy": self.destroy,
        }[self.request["op"]]
        with ProviderHost(cwd=self.project_dir, stack=self.request["stack"]) as host:
            host.configure(self._config())
            steps, outputs, error = action(host)
            peak_rss_kb = host.peak_rss_kb() + resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"steps": [[step.op, step.type, step.name, step.urn] for step in steps],
                "outputs": encode(outputs), "error": error, "log": self.log.lines,
                "peak_rss_kb": peak_rss_kb}

    def deploy(self, host: ProviderHost, preview: bool) -> tuple[list[Step], Props, str | None]:
        update = Update(host, self.state, preview)
        monitor = EngineMonitor(update, self._own_stack_names(), self.state.outputs)
        error = self._run_program(monitor, preview)
        update.finish()
        # As the engine does: a program that fails by itself (not by a failed step) leaves the
        # last run's outputs as they were, though the SDK registers the few it exported.
        outputs = None if error is not None and update.failure is None else monitor.stack_outputs
        # A failed step is what made the program fail: report it rather than its echo.
        error = update.failure or error
        if error is None:
            error = _attempt(update.delete_unregistered)
        if not preview:
            # As the engine does: the outputs the program registered are saved even when a
            # step fails after it (a delete), so they can name apps whose objects still exist.
            update.final_state(outputs).save(self.state_path)
        return update.steps, monitor.stack_outputs or {}, error

    def refresh(self, host: ProviderHost) -> tuple[list[Step], Props, str | None]:
        steps: list[Step] = []

        def read_all() -> None:
            for known in list(self.state.resources.values()):
                steps.append(Step(self._refresh(host, known), known.type, known.name, known.urn))

        error = _attempt(read_all)
        self.state.save(self.state_path)
        return steps, self.state.outputs, error

    def destroy(self, host: ProviderHost) -> tuple[list[Step], Props, str | None]:
        steps: list[Step] = []

        def delete_all() -> None:
            for known in reversed(list(self.state.resources.values())):
                delete(host, known)
                del self.state.resources[known.urn]
                steps.append(Step("delete", known.type, known.name, known.urn))
            self.state.outputs = {}

        error = _attempt(delete_all)
        self.state.save(self.state_path)
        return steps, {}, error

    def _refresh(self, host: ProviderHost, known: ResourceState) -> str:
        id_, outputs, inputs = host.rpc_read(known.urn, known.id, known.outputs, known.inputs)
        if not id_:
            del self.state.resources[known.urn]
            return "refresh-delete"
        if (id_, outputs) == (known.id, known.outputs) and inputs in (None, known.inputs):
            return "refresh-same"
        known.id, known.outputs = id_, outputs
        known.inputs = known.inputs if inputs is None else inputs
        return "refresh-update"

    def _run_program(self, monitor: EngineMonitor, preview: bool) -> str | None:
        """Run the project's program as the Python language host does; its error, if any."""
        request = self.request
        configure(MockSettings(
            monitor=monitor, engine=self.log, project=request["project"],
            stack=request["stack"], organization=request["organization"], dry_run=preview,
            monitor_features=set(monitor.GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures),
            callbacks=None))
        set_all_config(request["config"], request["secret_config_keys"])
        sys.path.insert(0, str(self.project_dir))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        program = str(self.project_dir)
        return _attempt(lambda: loop.run_until_complete(
            run_in_stack(lambda: runpy.run_path(program, run_name="__main__"))))

    def _config(self) -> Props:
        """The whole namespaced stack config, secret values marked, as the CLI configures it."""
        secret_keys = set(self.request["secret_config_keys"])
        return {key: secret(value) if key in secret_keys else value
                for key, value in self.request["config"].items()}

    def _own_stack_names(self) -> set[str]:
        request = self.request
        return {f"{request['organization']}/{request['project']}/{request['stack']}",
                request["stack"]}


def _attempt(action: Callable[[], Any]) -> str | None:
    """Run the action; the text of its error, if it failed."""
    try:
        action()
    except Exception as error:
        return describe(error)
    return None


def describe(error: BaseException) -> str:
    if isinstance(error, (ProviderError, StepFailed, pulumi.RunError)):
        return str(error)
    return "".join(traceback.format_exception(error)).strip()


def main() -> None:
    request = json.loads(sys.stdin.read())
    result = Operation(request).run()
    Path(request["result_path"]).write_text(json.dumps(result))
    # Skip interpreter teardown: the SDK's per-thread event loops complain when collected.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
