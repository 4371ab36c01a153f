"""Print the pack's policy config (for `--policy-pack-config`) from the stack's own settings.

The advisory on app buckets must skip exactly the buckets the program skips, so both take
`ignoreBuckets` from one place, the stack config: the program reads it, this script hands it to
the pack. Run it in the project folder with the pack's virtualenv, as the deploy workflow does:

    policy/venv/bin/python policy/config_from_stack.py [STACK] > policy-config.json
"""

from __future__ import annotations

import json
import subprocess
import sys

from rules import APP_BUCKETS_HAVE_TASKS

IGNORE_BUCKETS = "ignoreBuckets"


def policy_config(stack_config: dict[str, dict]) -> dict[str, dict]:
    """The pack's config for `pulumi config --json` output; KeyError if the setting is absent."""
    [ignored] = [value["objectValue"] for key, value in stack_config.items()
                 if key.split(":", 1)[1] == IGNORE_BUCKETS]
    return {APP_BUCKETS_HAVE_TASKS: {IGNORE_BUCKETS: ignored}}


def main(argv: list[str]) -> None:
    # Without --show-secrets the CLI prints no secret, so this needs no passphrase.
    command = ["pulumi", "config", "--json", *(["--stack", argv[0]] if argv else [])]
    listed = subprocess.run(command, capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {listed.stderr.strip()}")
    json.dump(policy_config(json.loads(listed.stdout)), sys.stdout)
    print()


if __name__ == "__main__":
    main(sys.argv[1:])
