"""The program's settings: stack config first, then the environment, then the defaults.

Connection settings live in the `influxdb:` namespace and are read exactly as the dynamic
providers read them in `configure()` (providers/settings.py), with the environment variables the
old scripts used as fallbacks. Everything else is project config, declared with its defaults in
Pulumi.yaml.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, fields
from typing import TypeVar
from urllib.parse import urlsplit

import pulumi
from pulumi.errors import RunError

from flux import TaskSettings, TemplateError
from flux.literals import duration_ns
from flux.posts import AlertLink, Silence
from flux.settings import SlackRoute
from program.bucket_classes import is_app_bucket, is_cross_app_bucket
from program.plan import APP_BUCKET_RETENTION_SECONDS
from providers.bucket import MIN_RETENTION
from providers.bucket import RULES as BUCKET_RULES
from providers.dbrp import dbrp_name
from providers.settings import BadSetting, ConnectionSettings, MissingSetting

T = TypeVar("T")
# Domains reserved for documentation (RFC 2606): a URL on one is a placeholder, never an InfluxDB.
PLACEHOLDER_DOMAINS = ("example", "invalid", "example.com", "example.net", "example.org")


class SettingsError(RunError, ValueError):
    """A setting is missing or unusable; the message says which and how to set it."""


@dataclass(frozen=True)
class Settings:
    """What a run is told; each field's default is the one a stack gets when the key is unset
    (Pulumi.yaml declares the same, tests/test_settings.py holds the two together)."""

    connection: ConnectionSettings
    tasks: TaskSettings
    ignore_buckets: frozenset[str] = frozenset()
    map_system_buckets: bool = False
    max_app_deletion_percent: int = 50
    max_app_deletion_count: int = 2
    allow_mass_deletion: bool = False
    allow_retention_cut: bool = False  # this run may shorten the retention of a bucket it made
    retain_buckets_on_delete: bool = True
    app_buckets: tuple[str, ...] = ()  # applications whose buckets the program makes
    app_bucket_retention_seconds: int = APP_BUCKET_RETENTION_SECONDS  # 0: forever
    dashboards: bool = True  # the K8s applications and Monitoring alerts dashboards


# Project config key of each Settings field but the connection and the tasks (the Pulumi.yaml
# `config:` section).
SETTING_KEYS = {
    "ignore_buckets": "ignoreBuckets",
    "map_system_buckets": "mapSystemBuckets",
    "max_app_deletion_percent": "maxAppDeletionPercent",
    "max_app_deletion_count": "maxAppDeletionCount",
    "allow_mass_deletion": "allowMassDeletion",
    "allow_retention_cut": "allowRetentionCut",
    "retain_buckets_on_delete": "retainBucketsOnDelete",
    "app_buckets": "appBuckets",
    "app_bucket_retention_seconds": "appBucketRetention",
    "dashboards": "dashboards",
}
# Project config key of each TaskSettings field.
TASK_SETTING_KEYS = {
    "multiapp_bucket": "multiappBucket",
    "alerted_bucket": "alertedBucket",
    "disk_bucket": "diskBucket",
    "slack_secret_key": "slackSecretKey",
    "slack_channel": "slackChannel",
    "check_every": "checkEvery",
    "notify_every": "notifyEvery",
    "realert_after": "realertAfter",
    "disk_warn_percent": "diskWarnPercent",
    "disk_danger_percent": "diskDangerPercent",
    "cpu_checks": "cpuChecks",
    "cpu_limit_percent": "cpuLimitPercent",
    "memory_checks": "memoryChecks",
    "memory_limit_percent": "memoryLimitPercent",
    "slack_routes": "slackRoutes",
    "ignore_pods": "ignorePods",
    "alert_pending_pods": "alertPendingPods",
    "not_running_for": "notRunningFor",
    "no_data_after": "noDataAfter",
    # Notifier settings: grouped posts, silences, a heartbeat, links in posts.
    "group_above": "groupAbove",
    "silences": "silences",
    "heartbeat_secret_key": "heartbeatSecretKey",
    "alert_links": "alertLinks",
    # Resolved notices.
    "post_resolved": "postResolved",
}
# A silence ends by its time, at most this far from the run that deploys it: forever is what
# ignorePods is for.
LONGEST_SILENCE = datetime.timedelta(days=30)


def load_settings() -> Settings:
    """Read the stack's settings, failing with a message that names the setting to fix."""
    connection = _load_connection()
    config = pulumi.Config()
    settings = Settings(connection=connection, tasks=_load_task_settings(config, connection.org),
                        **_read(config, SETTING_KEYS, Settings))
    _validate(settings)
    return settings


def _read(config: pulumi.Config, keys: dict[str, str], kind: type) -> dict[str, object]:
    """Each field of `kind` named in `keys`, read from its config key, else its default there."""
    defaults = {field.name: field.default for field in fields(kind)}
    return {name: _READERS.get(name, _setting)(config, key, defaults[name])
            for name, key in keys.items()}


def _names(config: pulumi.Config, key: str, item: str,
           default: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A list of names, the default when unset; a string or a map is refused, not taken letter by
    letter."""
    value = config.get_object(key)
    if value is None:
        return tuple(default)
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise SettingsError(
            f"{key} is {value!r}: it must be a list of {item} names, set item by item: "
            f"`pulumi config set --path '{key}[0]' <{item}>`")
    return tuple(value)


def _slack_routes(config: pulumi.Config, key: str,
                  default: tuple[SlackRoute, ...]) -> tuple[SlackRoute, ...]:
    """A list of {cluster, channel, secretKey}; anything else is refused naming the route."""
    items = _maps(config, key, ("cluster", "channel", "secretKey"), (), "summit",
                  note=" (secretKey names the InfluxDB secret holding that channel's webhook URL; "
                       "set it with --plaintext: the CLI takes it for a secret otherwise)")
    if items is None:
        return default
    return tuple(SlackRoute(item["cluster"], item["channel"], item["secretKey"])
                 for item in items)


def _maps(config: pulumi.Config, key: str, required: tuple[str, ...], optional: tuple[str, ...],
          example: str, note: str = "") -> list[dict[str, str]] | None:
    """A list of maps of strings with the `required` keys (and perhaps `optional` ones), None when
    unset; anything else is refused, naming the item and the command that sets it (then `note`)."""
    value = config.get_object(key)
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        if (not isinstance(value, list) or not isinstance(item, dict)
                or not set(required) <= set(item) <= {*required, *optional}
                or not all(isinstance(text, str) for text in item.values())):
            raise SettingsError(
                f"{key}[{index}] is {item!r}: each item of {key} holds "
                f"{', '.join(required + optional)}, set field by "
                f"field: `pulumi config set --path '{key}[{index}].{required[0]}' {example}`, "
                f"then '{key}[{index}].{(required + optional)[1]}'{note}")
    return items


def _silences(config: pulumi.Config, key: str,
              default: tuple[Silence, ...]) -> tuple[Silence, ...]:
    """A list of {match, until, reason}: each until a time with its zone, at most LONGEST_SILENCE
    from now; anything else is refused naming the silence."""
    items = _maps(config, key, ("match",), ("until", "reason"), "'summit/sasquatch/*'")
    if items is None:
        return default
    now = datetime.datetime.now(datetime.UTC)
    silences = []
    for index, item in enumerate(items):
        fix = (f"`pulumi config set --path '{key}[{index}].until' "
               f"{(now + datetime.timedelta(days=1)):%Y-%m-%dT%H:00:00Z}`")
        if "until" not in item:
            raise SettingsError(
                f"{key}[{index}] ({item['match']}) has no until: a silence ends by its time, at "
                f"most 30 days away ({fix}); to never report pods, use ignorePods")
        try:
            until = datetime.datetime.fromisoformat(item["until"])
        except ValueError:
            until = None
        if until is None or until.tzinfo is None:
            raise SettingsError(
                f"{key}[{index}].until is {item['until']!r}: a silence ends at a time with its "
                f"zone, such as 2026-05-01T00:00:00Z ({fix})")
        if until - now > LONGEST_SILENCE:
            raise SettingsError(
                f"{key}[{index}] ({item['match']}) lasts until {item['until']}, more than 30 days "
                f"from now: silence for at most 30 days ({fix}), or never report the pods with "
                "ignorePods")
        silences.append(Silence(item["match"], until, item.get("reason", "")))
    return tuple(silences)


def _alert_links(config: pulumi.Config, key: str,
                 default: tuple[AlertLink, ...]) -> tuple[AlertLink, ...]:
    """A list of {text, url}; anything else is refused naming the link."""
    items = _maps(config, key, ("text", "url"), (), "Dashboard")
    if items is None:
        return default
    return tuple(AlertLink(item["text"], item["url"]) for item in items)


def _setting(config: pulumi.Config, key: str, default: T) -> T:
    """A config value of the default's type, or the default when unset."""
    read = {bool: config.get_bool, int: config.get_int}.get(type(default), config.get)
    value = read(key)
    return default if value is None else value


def _retention(config: pulumi.Config, key: str, default: int) -> int:
    """A bucket retention in seconds: a duration of at least 1h, or `infinite` (0, forever)."""
    value = config.get(key)
    if value is None:
        return default
    if value == "infinite":
        return 0
    try:
        nanoseconds = duration_ns(value, key)
    except TemplateError as error:
        raise SettingsError(f"{error}, or infinite (`pulumi config set {key} 30d`)") from None
    if nanoseconds < MIN_RETENTION * 10**9 or nanoseconds % 10**9:
        raise SettingsError(
            f"{key} is {value!r}: InfluxDB keeps data for whole seconds, at least 1h, or "
            f"forever: use a duration such as 1h or 30d, or infinite (`pulumi config set {key} "
            "30d`)")
    return nanoseconds // 10**9


def _load_task_settings(config: pulumi.Config, org: str) -> TaskSettings:
    try:
        return TaskSettings(org=org, **_read(config, TASK_SETTING_KEYS, TaskSettings))
    except TemplateError as error:
        message = str(error)
        for field, key in TASK_SETTING_KEYS.items():
            message = message.replace(f"TaskSettings.{field}", key)
        raise SettingsError(f"{message} (set it with `pulumi config set <key> <value>`)") from None


# The settings not read as one value of their default's type: lists, each read and checked as
# a whole, and the retention, a duration read as seconds.
_READERS = {
    "ignore_buckets": lambda config, key, default: frozenset(
        _names(config, key, "bucket", default)),
    "app_buckets": lambda config, key, default: _names(config, key, "application", default),
    "app_bucket_retention_seconds": _retention,
    "slack_routes": _slack_routes,
    "ignore_pods": lambda config, key, default: _names(config, key, "pod", default),
    "silences": _silences,
    "alert_links": _alert_links,
}


def _load_connection() -> ConnectionSettings:
    """The same `influxdb:` keys (and environment fallbacks) the providers read."""
    connection = ConnectionSettings.read(pulumi.Config("influxdb").get)
    try:
        for name in ("url", "org", "token"):
            connection.require(name)
        connection.answer_timeout()
    except (MissingSetting, BadSetting) as missing:
        raise SettingsError(str(missing)) from None
    _check_not_placeholder(connection.url)
    return connection


def _check_not_placeholder(url: str) -> None:
    host = (urlsplit(url).hostname or "").rstrip(".")
    if any(host == domain or host.endswith("." + domain) for domain in PLACEHOLDER_DOMAINS):
        raise SettingsError(
            f"influxdb:url is {url}, a placeholder: set your InfluxDB's URL with "
            "`pulumi config set influxdb:url https://<your InfluxDB>` (or INFLUXDB_URL)")


def _validate(settings: Settings) -> None:
    if not 0 <= settings.max_app_deletion_percent <= 100:
        raise SettingsError(
            f"maxAppDeletionPercent is {settings.max_app_deletion_percent}: "
            "use a whole number from 0 to 100")
    if settings.max_app_deletion_count < 0:
        raise SettingsError(
            f"maxAppDeletionCount is {settings.max_app_deletion_count}: use 0 or more")
    managed = {settings.tasks.multiapp_bucket, settings.tasks.alerted_bucket}
    for key, name in (("multiappBucket", settings.tasks.multiapp_bucket),
                      ("alertedBucket", settings.tasks.alerted_bucket)):
        if not is_cross_app_bucket(name):
            raise SettingsError(
                f"{key} is {name!r}: a cross-application bucket's name must end with '_' "
                "(and not start with it), or it would be taken for an application")
    if len(managed) != 2:
        raise SettingsError("multiappBucket and alertedBucket must be different buckets")
    _validate_app_buckets(settings.app_buckets, settings.ignore_buckets)


def _validate_app_buckets(declared: tuple[str, ...], ignored: frozenset[str]) -> None:
    """Each declared application must be a bucket the program would monitor as an app."""
    fix = "(`pulumi config set --path 'appBuckets[N]' <application>`)"
    for name in declared:
        if reason := BUCKET_RULES["name"](name):
            raise SettingsError(f"appBuckets lists {name!r}, which is no bucket name: it {reason} "
                                f"{fix}")
        if not is_app_bucket(name):
            raise SettingsError(
                f"appBuckets lists {name!r}, which is not an application bucket name: an "
                "application's bucket neither starts nor ends with '_' (those are system and "
                f"cross-application buckets, such as multiappBucket) {fix}")
        if reason := dbrp_name(name):
            raise SettingsError(f"appBuckets lists {name!r}, which cannot be the DBRP database "
                                f"of its bucket: it {reason} {fix}")
        if name in ignored:
            raise SettingsError(
                f"appBuckets and ignoreBuckets both list {name!r}: a declared application is "
                "monitored, an ignored bucket is not; remove it from one of the two lists "
                "(`pulumi config rm --path 'ignoreBuckets[N]'`)")
    if repeated := sorted({name for name in declared if declared.count(name) > 1}):
        raise SettingsError(f"appBuckets lists {', '.join(map(repr, repeated))} more than once: "
                            "list each application once")
