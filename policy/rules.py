"""The policies: what a token, a task and a DBRP mapping may be, and what the stack should hold.

The pack's __main__.py imports this module as `rules` (the CLI runs the pack with this folder first
on sys.path) and the tests import it as `policy.rules`, so it imports nothing from the project or
from its own folder: the rules restate the design, they do not reuse the program's code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from urllib.parse import urlsplit

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

_TYPE_PREFIX = "pulumi-python:dynamic/influxdb:"
TOKEN = _TYPE_PREFIX + "AuthorizationToken"
TASK = _TYPE_PREFIX + "Task"
DBRP = _TYPE_PREFIX + "Dbrp"

TASK_TOKEN_NEEDS = "read on orgs and read/write on tasks, scoped to its org"
GUARDED_TYPES = ("authorizations", "users", "orgs")
GUARDED_WHY = ("write on authorizations, users or orgs would let a leaked copy mint tokens or take "
               "over the org")
MIN_TASK_INTERVAL_SECONDS = 60

# Flux, read just far enough: comments, string and regex literals, the task option.

_REGEX_MAY_FOLLOW = "~(,:[{="  # a `/` after these starts a regex literal, elsewhere it divides
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


def _interpolation_end(source: str, i: int) -> int:
    """The index after the `}` closing a `${` that opened just before `i`."""
    depth = 1
    while i < len(source) and depth:
        if source[i] == '"':
            i = _string_end(source, i)
            continue
        depth += {"{": 1, "}": -1}.get(source[i], 0)
        i += 1
    return i


def _string_end(source: str, start: int) -> int:
    """The index after the quote closing the string literal opened at `start`."""
    i = start + 1
    while i < len(source):
        if source[i] == "\\":
            i += 2
        elif source[i] == '"':
            return i + 1
        elif source.startswith("${", i):
            i = _interpolation_end(source, i + 2)
        else:
            i += 1
    return len(source)


def _regex_end(source: str, start: int) -> int:
    i = start + 1
    while i < len(source) and source[i] not in "/\n":
        i += 2 if source[i] == "\\" else 1
    return min(i + 1, len(source))


def flux_code(source: str) -> str:
    """The script with comments and the insides of literals blanked, offsets unchanged.

    Patterns matched on this text cannot be fooled by a comment or a string; the literal a match
    points at is read back from `source` at the same offsets.
    """
    code, i, last = list(source), 0, ""
    while i < len(source):
        if source.startswith("//", i):
            end, keep = source.find("\n", i), 0
            end = len(source) if end < 0 else end
        elif source[i] == '"':
            end, keep = _string_end(source, i), 1
        elif source[i] == "/" and last in ("", *_REGEX_MAY_FOLLOW):
            end, keep = _regex_end(source, i), 1
        else:
            last = last if source[i].isspace() else source[i]
            i += 1
            continue
        code[i + keep:end - keep] = " " * (end - i - 2 * keep)
        last = source[end - 1] if keep else last
        i = end
    return "".join(code)


def string_value(literal: str) -> str:
    """The value of a Flux string literal (quotes included), escapes resolved as Flux does."""
    value, body, i = bytearray(), literal[1:-1], 0
    while i < len(body):
        if re.match(r"\\x[0-9a-fA-F]{2}", body[i:i + 4]):
            value.append(int(body[i + 2:i + 4], 16))
            i += 4
        elif body[i] == "\\":
            value += _ESCAPES.get(body[i + 1:i + 2], body[i + 1:i + 2]).encode()
            i += 2
        else:
            value += body[i].encode()
            i += 1
    return value.decode(errors="replace")


def string_literals(source: str) -> list[str]:
    return [string_value(source[m.start():m.end()])
            for m in re.finditer(r'"[^"]*"', flux_code(source))]


def task_option(source: str) -> dict[str, str]:
    """The fields of the `option task = {...}` record, each value as its source text."""
    record = re.search(r"\boption\s+task\s*=\s*\{([^}]*)\}", flux_code(source))
    if record is None:
        return {}
    fields = re.finditer(r"(\w+)\s*:\s*([^,]*)", record.group(1))
    offset = record.start(1)
    return {field.group(1): source[offset + field.start(2):offset + field.end(2)].strip()
            for field in fields}


def buckets_read(source: str) -> list[str]:
    """The bucket names given as string literals to `from(bucket: ...)`."""
    code, names = flux_code(source), []
    for call in re.finditer(r"\bfrom\s*\(([^)]*)\)", code):
        bucket = re.compile(r'\bbucket\s*:\s*("[^"]*")').search(code, call.start(1), call.end(1))
        if bucket:
            names.append(string_value(source[bucket.start(1):bucket.end(1)]))
    return names


# Months and years at the lengths flux/syntax.py gives them (CALENDAR_NS); tests/test_flux_syntax.py
# holds this reader to that one on the same table of literals.
_UNIT_SECONDS = {"y": 365 * 86400, "mo": 30 * 86400, "w": 604800, "d": 86400, "h": 3600,
                 "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_DURATION_PART = r"(\d+)(mo|ms|us|µs|ns|y|w|d|h|m|s)"


def duration_seconds(literal: str) -> float | None:
    """Seconds in a Flux duration literal such as `2m30s` or `1h`; None if it is not one."""
    if not re.fullmatch(f"(?:{_DURATION_PART})+", literal):
        return None
    return sum(int(count) * _UNIT_SECONDS[unit]
               for count, unit in re.findall(_DURATION_PART, literal))


def cron_at_most_once_a_minute(expression: str) -> bool:
    fields = expression.split()
    if fields[:1] == ["@every"]:
        seconds = duration_seconds(fields[1]) if len(fields) == 2 else None
        return seconds is not None and seconds >= MIN_TASK_INTERVAL_SECONDS
    # Five fields fire at most once a minute; with six or seven, the first one counts seconds.
    return len(fields) < 6 or fields[0].isdigit()


# Checks: each yields what to change, in words.

def token_problems(name: str, props: Mapping) -> Iterator[str]:
    for permission in props.get("permissions") or []:
        action, kind = permission.get("action"), (permission.get("resource") or {}).get("type")
        if kind == "instance":
            yield (f"token '{name}' holds {action} on the instance: remove that permission; the "
                   f"scoped token only needs {TASK_TOKEN_NEEDS}")
        elif action == "write" and kind in GUARDED_TYPES:
            yield (f"token '{name}' grants write on {kind}: remove that permission; the scoped "
                   f"token only needs {TASK_TOKEN_NEEDS} ({GUARDED_WHY})")


def literal_url_problems(name: str, props: Mapping) -> Iterator[str]:
    urls = re.findall(r"https?://[^\s\"'()]*", props.get("flux") or "", re.IGNORECASE)
    if urls:
        # Only the hosts: a webhook URL's path is itself a credential.
        hosts = ", ".join(sorted({urlsplit(url).hostname or "?" for url in urls}))
        yield (f"task '{name}' has a literal URL in its Flux (to {hosts}): store the webhook URL "
               "as an InfluxDB secret and read it with secrets.get(key: ...), so it stays out of "
               "task definitions, logs and Pulumi state")


def slack_secret_problems(name: str, props: Mapping) -> Iterator[str]:
    code = flux_code(props.get("flux") or "")
    if (re.search(r"\bslack\.(message|endpoint)\s*\(", code)
            and not re.search(r"\bsecrets\.get\s*\(", code)):
        yield (f"task '{name}' calls Slack without secrets.get: add "
               'import "influxdata/influxdb/secrets" and pass url: secrets.get(key: "<key>") to '
               "slack.message / slack.endpoint, <key> naming the InfluxDB secret with the webhook")


def schedule_problems(name: str, props: Mapping) -> Iterator[str]:
    # A script with neither every nor cron never gets here: the Task provider's check refuses it.
    option = task_option(props.get("flux") or "")
    every, cron = option.get("every"), option.get("cron")
    if every is not None:
        seconds = duration_seconds(every)
        if seconds is None:
            yield (f"task '{name}' has every: {every}, which is not a duration literal: write "
                   "it as one, e.g. 5m or 2m30s")
        elif seconds < MIN_TASK_INTERVAL_SECONDS:
            yield (f"task '{name}' runs every {every}: make every 1m or longer; no check here "
                   "needs more than one run a minute, and each run queries InfluxDB")
    if cron is not None and not cron_at_most_once_a_minute(
            string_value(cron) if cron.startswith('"') else cron):
        yield (f"task '{name}' has cron {cron}, which fires more than once a minute: drop the "
               'seconds field or fix it to one second (e.g. "0 */5 * * * *")')


def mapping_problems(name: str, props: Mapping) -> Iterator[str]:
    # The Dbrp provider's check gives a missing bucket_name the default "", so test for empty.
    database, bucket = props.get("database"), props.get("bucket_name")
    if not bucket:
        yield (f"DBRP mapping '{name}' has no bucket_name: pass the bucket's name, so the "
               "database can be checked against it")
    elif database != bucket:
        yield (f"DBRP mapping '{name}' names database '{database}' for bucket '{bucket}': set "
               f"database to '{bucket}', so InfluxQL and Chronograf find the bucket by its name")


def _resource_policy(name: str, description: str, resource_type: str,
                     check: Callable[[str, Mapping], Iterable[str]]) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type == resource_type:
            for message in check(args.name, args.props):
                report_violation(message, None)

    return ResourceValidationPolicy(name=name, description=description, validate=validate,
                                    enforcement_level=EnforcementLevel.MANDATORY)


# Stack checks: what the whole stack should hold.

# What each app bucket is watched for, and the field whose literal marks a task doing it.
APP_WATCHES = {"pod restarts": "restarts_total", "pod state": "state_code"}
# The one policy taking config: the stack's ignoreBuckets, handed over by config_from_stack.py.
APP_BUCKETS_HAVE_TASKS = "app-buckets-have-tasks"


def is_app_bucket(name: str) -> bool:
    # A name of spaces only is mapped but watched by no task: the program leaves it out.
    return bool(name.strip()) and not (name.startswith("_") or name.endswith("_"))


def check_app_buckets_have_tasks(args: StackValidationArgs,
                                 report_violation: ReportViolation) -> None:
    ignored = set(args.get_config().get("ignoreBuckets") or [])
    watched = set()
    for task in (r for r in args.resources if r.resource_type == TASK):
        flux = task.props.get("flux") or ""
        fields = set(string_literals(flux)) & set(APP_WATCHES.values())
        watched |= {(bucket, field) for bucket in buckets_read(flux) for field in fields}
    for mapping in (r for r in args.resources if r.resource_type == DBRP):
        bucket = mapping.props.get("bucket_name")
        if not isinstance(bucket, str) or not is_app_bucket(bucket) or bucket in ignored:
            continue
        for what, field in APP_WATCHES.items():
            if (bucket, field) not in watched:
                report_violation(
                    f"app bucket '{bucket}' has no task watching {what} (Flux reading "
                    f'from(bucket: "{bucket}") and the field {field}): run `pulumi up` so the '
                    f"program declares it, or, if '{bucket}' is in the stack's ignoreBuckets, add "
                    "it to this policy's ignoreBuckets too", mapping.urn)


def check_task_names_unique(args: StackValidationArgs,
                            report_violation: ReportViolation) -> None:
    first_with = {}
    for task in (r for r in args.resources if r.resource_type == TASK):
        name = task.props.get("name")
        if name in first_with:
            report_violation(
                f"tasks '{first_with[name].name}' and '{task.name}' share the task name '{name}': "
                "give each task its own name (tasks are found by name, so one would take over "
                "the other's task)", task.urn)
        else:
            first_with[name] = task


POLICIES = [
    _resource_policy(
        "token-least-privilege",
        "A token holds no write on authorizations, users or orgs, and no instance permission.",
        TOKEN, token_problems),
    _resource_policy(
        "task-no-literal-url",
        "A task's Flux holds no literal http(s):// URL; webhooks come from InfluxDB secrets.",
        TASK, literal_url_problems),
    _resource_policy(
        "task-slack-webhook-from-secret",
        "A task that calls Slack reads the webhook URL with secrets.get.",
        TASK, slack_secret_problems),
    _resource_policy(
        "task-at-most-once-a-minute",
        "A task runs no more often than once a minute.",
        TASK, schedule_problems),
    _resource_policy(
        "dbrp-database-is-bucket-name",
        "A DBRP mapping's database is its bucket's name.",
        DBRP, mapping_problems),
    StackValidationPolicy(
        name=APP_BUCKETS_HAVE_TASKS,
        description="Every app bucket has a task watching pod restarts and one watching pod state.",
        validate=check_app_buckets_have_tasks,
        enforcement_level=EnforcementLevel.ADVISORY,
        config_schema=PolicyConfigSchema(properties={
            "ignoreBuckets": {"type": "array", "items": {"type": "string"}, "default": []},
        })),
    StackValidationPolicy(
        name="task-names-unique",
        description="No two tasks share a name.",
        validate=check_task_names_unique,
        enforcement_level=EnforcementLevel.ADVISORY),
]
