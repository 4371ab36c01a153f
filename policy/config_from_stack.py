"""Print the pack's policy config (for `--policy-pack-config`) from the stack's own settings.

The advisory on app buckets must skip exactly the buckets the program skips, so both take
`ignoreBuckets` from one place, the stack's file `Pulumi.<stack>.yaml` (else the default
`Pulumi.yaml` declares): the program reads it through Pulumi, this script hands it to the pack.
It reads files only (no backend, no credentials). Run it in the project folder with the pack's
virtualenv, as the deploy workflow does:

    policy/venv/bin/python policy/config_from_stack.py STACK > policy-config.json

A Pulumi Cloud stack `<org>/<stack>` keeps its settings in `Pulumi.<stack>.yaml`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from rules import APP_BUCKETS_HAVE_TASKS

IGNORE_BUCKETS = "ignoreBuckets"


def policy_config(project: dict, stack: dict) -> dict[str, dict]:
    """The pack's config for a project (`Pulumi.yaml`) and one of its stacks' settings."""
    default = project.get("config", {}).get(IGNORE_BUCKETS, {}).get("default", [])
    settings = stack.get("config") or {}
    ignored = settings.get(f"{project['name']}:{IGNORE_BUCKETS}", default)
    return {APP_BUCKETS_HAVE_TASKS: {IGNORE_BUCKETS: ignored}}


def main(stack_name: str) -> None:
    stack_file = Path(f"Pulumi.{stack_name.rsplit('/', 1)[-1]}.yaml")
    stack = yaml.safe_load(stack_file.read_text()) if stack_file.is_file() else {}
    project = yaml.safe_load(Path("Pulumi.yaml").read_text())
    json.dump(policy_config(project, stack or {}), sys.stdout)
    print()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: policy/venv/bin/python policy/config_from_stack.py STACK")
    main(sys.argv[1])
