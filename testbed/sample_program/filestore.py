"""A trivial dynamic provider: one file per resource, in a directory given by configuration.

The directory comes from `configure()` (stack config `sample:directory`) and is kept in a module
variable, never on the provider instance, so the pickled `__provider` holds nothing but the class.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pulumi import Input, ResourceOptions
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

INPUTS = ("name", "content", "kind", "token", "mode")
# Changing the name makes a new file; changing the kind rewrites the same path, so the old file
# has to go first (delete-before-replace).
REPLACE_ON = ("name", "kind")

_directory: Path | None = None


def _path(name: str) -> Path:
    if _directory is None:
        raise RuntimeError("sample:directory is not configured")
    return _directory / name


def _text(props: dict[str, Any]) -> str:
    content = props["content"]
    return content.upper() if props.get("kind") == "shout" else content


def _outputs(props: dict[str, Any]) -> dict[str, Any]:
    inputs = {key: props[key] for key in INPUTS if key in props}
    receipt = hashlib.sha256(_text(props).encode()).hexdigest()
    return {**inputs, "path": str(_path(props["name"])), "receipt": receipt}


class FileProvider(ResourceProvider):
    def configure(self, req: ConfigureRequest) -> None:
        global _directory
        directory = req.config.get("sample:directory")
        _directory = Path(directory) if directory else None

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        name = news.get("name")
        failures = []
        if isinstance(name, str) and (not name or "/" in name):
            failures.append(CheckFailure("name", "must be a plain file name"))
        if news.get("kind", "plain") not in ("plain", "shout"):
            failures.append(CheckFailure("kind", "must be plain or shout"))
        return CheckResult(news, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in INPUTS if olds.get(key) != news.get(key)]
        replaces = [key for key in changed if key in REPLACE_ON]
        return DiffResult(changes=bool(changed), replaces=replaces,
                          delete_before_replace="kind" in replaces)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _path(props["name"]).write_text(_text(props))
        return CreateResult(props["name"], _outputs(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        path = _path(id_)
        if not path.exists():
            return ReadResult("", {})
        text = path.read_text()
        content = props["content"] if text == _text(props) else text
        return ReadResult(id_, _outputs({**props, "content": content}))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _path(news["name"]).write_text(_text(news))
        return UpdateResult(_outputs(news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        _path(id_).unlink(missing_ok=True)


class File(Resource, module="sample", name="File"):
    """A file; its `receipt` (a hash of what was written) is a secret output."""

    def __init__(self, name: str, props: dict[str, Input[Any]],
                 opts: ResourceOptions | None = None) -> None:
        opts = ResourceOptions.merge(opts, ResourceOptions(additional_secret_outputs=["receipt"]))
        super().__init__(FileProvider(), name, {**props, "path": None, "receipt": None}, opts)
