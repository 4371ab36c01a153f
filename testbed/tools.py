"""Build and locate the real tools the tests run: the Pulumi CLI, its Python host, influxd, the
`influx` CLI (the README's quickstart runs it to create the Slack secret), actionlint and Telegraf
(the producer of the data the alerts read).

Each tool is a Go main package built, pinned, from a module of ours under `testbed/builds/`
(their `go.mod` files pin the versions and repeat the upstream `replace` lines, which
`go install pkg@version` would refuse). Binaries go to `.tools/bin/` (git-ignored); Go's module
and build caches and cargo's registry stay in their usual places in the home directory, so a
second build only relinks, and a binary whose inputs did not change is not rebuilt at all.

Two influxd releases are built, each under its own name: `influxd-2.7.12` and `influxd-2.8.0`
(which the test bed runs with `--use-hashed-tokens`, as 2.9 and later run by default; those
cannot be built here). `influxd` is a link to `influxd-2.7.12`, so the name keeps meaning what it
meant before 2.8.0 was built: a 2.7 data directory that 2.8.0 opens is migrated, and once 2.8.0
has hashed its tokens it cannot go back.

`python -m testbed.tools` builds whatever is missing or stale and prints each step's time.

The invariant: a binary in `.tools/bin/` was built from exactly the pinned inputs recorded in
its stamp file; anything else is rebuilt.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from testbed.paths import BUILDS, REPO, TOOLS_BIN

PULUMI_VERSION = "v3.274.1"
INFLUXD_VERSION = "v2.7.12"
INFLUXD_2_8_VERSION = "v2.8.0"  # the earliest release that can hash tokens (--use-hashed-tokens)
# The proxy serves no tagged influx-cli release (403), only the commit influxd v2.7.12 itself
# requires; its `secret`, `auth` and `bucket` commands take the flags the README uses.
INFLUX_CLI_VERSION = "v2.2.1-0.20221028161653-3285a03e9e28"
ACTIONLINT_VERSION = "v1.7.12"
TELEGRAF_VERSION = "1.37.2"  # Telegraf stamps its version without the tag's "v"

# Flux v0.196.1 pins Rust 1.72 in rust-toolchain.toml, which rustup cannot download here. The
# stable toolchain compiles it unchanged once newer lints stop failing the build (see the
# wrapper's comment), instead of editing the sources.
RUST_ENV = {"RUSTUP_TOOLCHAIN": "stable",
            "RUSTC_WRAPPER": str(BUILDS / "influxd" / "rustc-cap-lints")}


@dataclass(frozen=True)
class Tool:
    """One binary: the Go package to build, from which module of ours, with which flags."""

    name: str
    module: str  # directory under testbed/builds/
    package: str
    ldflags: str = ""
    env: dict[str, str] = field(default_factory=dict)
    scripts: tuple[str, ...] = ()  # files copied beside the binary from the sdk/v3 module
    # A pkg-config for cgo to ask for C libraries: a Go package of the module, built first.
    pkg_config: str | None = None
    tags: tuple[str, ...] = ()  # Go build tags

    @property
    def path(self) -> Path:
        return TOOLS_BIN / self.name

    @property
    def module_dir(self) -> Path:
        return BUILDS / self.module


PULUMI = Tool(
    name="pulumi",
    module="pulumi",
    package="github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
    ldflags=f"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={PULUMI_VERSION}",
)
LANGUAGE_PYTHON = Tool(
    name="pulumi-language-python",
    module="language-python",
    package=".",
    # The host runs programs through the SDK's exec script, found beside it; the
    # dynamic-provider plugin is a shell script the engine finds on PATH.
    scripts=("python/cmd/pulumi-language-python-exec",
             "python/dist/pulumi-resource-pulumi-python"),
)


def influxd(version: str, module: str) -> Tool:
    """influxd at a release, named after it (`influxd-2.7.12`), built from its module of ours."""
    return Tool(
        name=f"influxd-{version.removeprefix('v')}",
        module=module,
        package="github.com/influxdata/influxdb/v2/cmd/influxd",
        ldflags=f"-X main.version={version} -X main.commit=go-module-proxy",
        env=RUST_ENV,
        # cgo asks pkg-config for flux; InfluxData's wrapper answers by building libflux with
        # cargo from the flux module in the module cache (the long step of a first build; both
        # releases pin the same flux, so the second build finds libflux built).
        pkg_config="github.com/influxdata/pkg-config",
    )


INFLUXD = influxd(INFLUXD_VERSION, "influxd")
INFLUXD_2_8 = influxd(INFLUXD_2_8_VERSION, "influxd-2.8.0")
INFLUX = Tool(
    name="influx",
    module="influx",
    package="github.com/influxdata/influx-cli/v2/cmd/influx",
    ldflags=f"-X main.version={INFLUX_CLI_VERSION} -X main.commit=go-module-proxy",
)
ACTIONLINT = Tool(
    name="actionlint",
    module="actionlint",
    package="github.com/rhysd/actionlint/cmd/actionlint",
    ldflags=f"-X github.com/rhysd/actionlint.version={ACTIONLINT_VERSION}",
)
TELEGRAF = Tool(
    name="telegraf",
    module="telegraf",
    package="github.com/influxdata/telegraf/cmd/telegraf",
    ldflags=f"-X github.com/influxdata/telegraf/internal.Version={TELEGRAF_VERSION}",
    # Telegraf's `custom` tag leaves every plugin out but those named: the ones the clusters run
    # for the alerts (pods, kubelet stats, host disks) and the output they write with.
    tags=("custom", "inputs.kube_inventory", "inputs.kubernetes", "inputs.disk",
          "outputs.influxdb_v2"),
    env={"CGO_ENABLED": "0"},  # as Telegraf's own release build: a static binary
)
TOOLS = (PULUMI, LANGUAGE_PYTHON, INFLUXD, INFLUXD_2_8, INFLUX, ACTIONLINT, TELEGRAF)
# Names in .tools/bin/ that are links to a tool (relative, so the folder may move).
LINKS = {"influxd": INFLUXD}


class BuildFailed(Exception):
    """A tool did not build; the message names the tool, the step and the command's output."""


def ensure_tools(tools: tuple[Tool, ...] = TOOLS, log=print) -> None:
    """Build every tool that is missing or stale; raise `BuildFailed` naming the one that is not."""
    TOOLS_BIN.mkdir(parents=True, exist_ok=True)
    for tool in tools:
        stamp = _stamp(tool)
        stamp_file = tool.path.with_name(f".{tool.name}.stamp")
        if tool.path.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
            log(f"tools: {tool.name} is up to date")
            continue
        started = time.monotonic()
        log(f"tools: building {tool.name} (module testbed/builds/{tool.module})")
        _build(tool, log)
        stamp_file.write_text(stamp)
        log(f"tools: {tool.name} built in {time.monotonic() - started:.0f} s")
    for name, tool in LINKS.items():
        _link(TOOLS_BIN / name, tool, log)


def _link(link: Path, tool: Tool, log) -> None:
    """Make `link` a link to the tool's binary, unless it is one already (a binary an older
    build left under that name is replaced)."""
    if link.is_symlink() and os.readlink(link) == tool.name:
        return
    link.unlink(missing_ok=True)
    link.symlink_to(tool.name)
    log(f"tools: {link.name} is now a link to {tool.name}")


def _build(tool: Tool, log) -> None:
    env = {**os.environ, **tool.env}
    if tool.pkg_config:
        wrapper = TOOLS_BIN.parent / "pkg-config" / tool.name
        _run(tool, "build its pkg-config", ["go", "build", "-o", str(wrapper), tool.pkg_config],
             env)
        env["PKG_CONFIG"] = str(wrapper)
        log(f"tools: {tool.name}: Go compiles; its pkg-config builds the C libraries it links")
    flags = ["-trimpath", "-buildvcs=false", *(["-ldflags", tool.ldflags] if tool.ldflags else []),
             *(["-tags", ",".join(tool.tags)] if tool.tags else [])]
    _run(tool, "go build", ["go", "build", *flags, "-o", str(tool.path), tool.package], env)
    if tool.scripts:
        sdk = _run(tool, "locate the sdk/v3 module",
                   ["go", "list", "-m", "-f", "{{.Dir}}", "github.com/pulumi/pulumi/sdk/v3"], env)
        for script in tool.scripts:
            target = TOOLS_BIN / Path(script).name
            shutil.copyfile(Path(sdk.strip()) / script, target)
            target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IRUSR | stat.S_IWUSR)


def _run(tool: Tool, step: str, command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=tool.module_dir, env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-4000:]
        raise BuildFailed(f"{tool.name}: {step} failed ({' '.join(command)}):\n{tail}")
    return result.stdout


def _stamp(tool: Tool) -> str:
    """The pinned inputs of a build: its module files, flags, environment and Go version."""
    digest = hashlib.sha256()
    for path in sorted(tool.module_dir.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    # Paths in the environment are taken relative to the checkout, so a moved one rebuilds
    # nothing.
    env = sorted((key, value.replace(str(REPO), "<checkout>")) for key, value in tool.env.items())
    digest.update(f"{tool.package}|{tool.ldflags}|{tool.tags}|{env}|{_go_version()}".encode())
    return digest.hexdigest()


@functools.cache
def _go_version() -> str:
    return subprocess.run(["go", "version"], capture_output=True, text=True, check=True).stdout


def main() -> None:
    started = time.monotonic()
    try:
        ensure_tools()
    except BuildFailed as error:
        sys.exit(f"tools: {error}")
    print(f"tools: all built in {time.monotonic() - started:.0f} s, in {TOOLS_BIN}")


if __name__ == "__main__":
    main()
