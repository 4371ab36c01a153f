"""The README stays true: every setting documented with its default, and its commands real."""

import json
import re
from pathlib import Path

import yaml

from providers.settings import ENVIRONMENT

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
SETTINGS = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]


def documented_settings() -> dict[str, str]:
    """Rows `| `key` | default | meaning |` of the README's configuration tables."""
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+) \|", README, re.MULTILINE)
    return {key: default.strip() for key, default in rows}


def test_every_project_setting_is_documented_with_its_default():
    documented = documented_settings()
    for key, declared in SETTINGS.items():
        assert key in documented, f"README documents no setting {key!r}"
        default = declared["default"]
        # An empty string reads as `""`, not as an empty code span.
        shown = default if isinstance(default, str) and default else json.dumps(default)
        assert documented[key] == f"`{shown}`", (
            f"README gives {key!r} the default {documented[key]}, Pulumi.yaml {shown}")


def test_every_connection_setting_and_its_environment_fallback_is_documented():
    for name, variable in ENVIRONMENT.items():
        assert re.search(rf"^\| `influxdb:{name}`.*`{variable}`", README, re.MULTILINE), name


def test_the_readme_commands_are_the_makefile_targets_ci_runs():
    makefile = (REPO / "Makefile").read_text()
    assert "| run the tests | `make test` |" in README
    assert "`make demo`" in README
    assert re.search(r"^test:", makefile, re.MULTILINE)
    assert re.search(r"^demo:", makefile, re.MULTILINE)
    ci = (REPO / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == "make test"
