"""`python -m flux APP [APP ...]`: the Flux tasks the program declares for those app buckets, then
the org-wide ones, each under a header with the script as is (`--json`: a list of {name, flux}).

The settings are the defaults, except the org: the stack's `influxdb:org` when the stack's file
in the current folder (`Pulumi.<stack>.yaml`, `--stack`, default prod) sets one, since the
scripts name the org they write to.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from flux import TaskSettings, TaskSpec, TemplateError, app_tasks, global_tasks


def stack_org(stack_file: Path) -> str | None:
    """The `influxdb:org` the stack file sets, None when there is no file or no such key."""
    if not stack_file.is_file():
        return None
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    return config.get("influxdb:org") or None


def readable(specs: list[TaskSpec], origin: str) -> str:
    """Each task under a `// ==== name ====` header and its description, the script unchanged."""
    parts = [f"// {len(specs)} tasks; {origin}\n"]
    for spec in specs:
        parts.append(f"\n// ==== {spec.name} ====\n// {spec.description}\n{spec.flux}")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flux",
        description="Print the Flux tasks for the given app buckets, then the org-wide ones.")
    parser.add_argument("apps", nargs="+", metavar="APP", help="an application bucket name")
    parser.add_argument("--json", action="store_true",
                        help='print a JSON list of {"name", "flux"} instead')
    parser.add_argument("--stack", default="prod",
                        help="the stack whose influxdb:org the scripts name (default: prod)")
    args = parser.parse_args(argv)
    stack_file = Path(f"Pulumi.{args.stack}.yaml")
    org = stack_org(stack_file)
    where = f"{stack_file} sets none" if stack_file.is_file() else f"no {stack_file} here"
    try:
        settings = TaskSettings(org=org) if org else TaskSettings()
        specs = [spec for app in args.apps for spec in app_tasks(app, settings)]
        specs += global_tasks(settings)
    except TemplateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        json.dump([{"name": spec.name, "flux": spec.flux} for spec in specs], sys.stdout,
                  indent=2)
        print()
    else:
        origin = (f"org {org!r} from {stack_file}" if org else
                  f"org {settings.org!r}, the default ({where})")
        print(readable(specs, f"{origin}; other settings: the defaults"), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
