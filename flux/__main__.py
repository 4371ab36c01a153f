"""`python -m flux APP [APP ...]`: every task for those app buckets, as JSON (default settings)."""

from __future__ import annotations

import argparse
import json
import sys

from flux import TaskSettings, TemplateError, app_tasks, global_tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flux",
        description="Print the Flux tasks for the given app buckets (then the org-wide ones) as "
        'a JSON list of {"name", "flux"}, rendered with the default settings.',
    )
    parser.add_argument("apps", nargs="+", metavar="APP", help="an application bucket name")
    args = parser.parse_args(argv)
    settings = TaskSettings()
    try:
        specs = [spec for app in args.apps for spec in app_tasks(app, settings)]
        specs += global_tasks(settings)
    except TemplateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    json.dump([{"name": spec.name, "flux": spec.flux} for spec in specs], sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
