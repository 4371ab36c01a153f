"""TaskSettings: the org-wide knobs of the rendered tasks, validated when constructed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flux.literals import TemplateError, check_name, duration_literal, duration_ns
from flux.posts import AlertLink, Silence, check_links, check_silences

_MINUTE_NS = 60 * 10**9
# The longest notRunningFor and the look-back of the no-data check: see _check_state_windows.
_DAY_NS = 24 * 60 * _MINUTE_NS
# A pod name is a DNS subdomain name; a pattern adds the glob wildcards `*` and `?`. Nothing else
# can reach the regular expression the tasks match with.
_POD_PATTERN = re.compile(r"[a-z0-9.*?-]+")
_GLOB_AS_REGEX = {".": r"\.", "*": ".*", "?": "."}
_NAME_SETTINGS = (
    "org",
    "multiapp_bucket",
    "alerted_bucket",
    "disk_bucket",
    "slack_secret_key",
    "slack_channel",
)


@dataclass(frozen=True)
class SlackRoute:
    """Where one cluster's alerts go: a channel, and the InfluxDB secret holding its webhook."""

    cluster: str
    channel: str
    secret_key: str


@dataclass(frozen=True)
class TaskSettings:
    """Settings shared by every task; each field has the production default."""

    org: str = "rubin"  # org NAME, used in to(org: ...)
    multiapp_bucket: str = "multiapp_"
    alerted_bucket: str = "alerted_"  # where sent Slack messages are recorded (short retention)
    disk_bucket: str = "roundtable_internal_"
    slack_secret_key: str = "slack_webhook_url"
    slack_channel: str = "#influxdb-alerts"
    check_every: str = "5m"  # per-app tasks' every, also their look-back window
    notify_every: str = "1m"  # Slack notifiers and disk check
    realert_after: str = "1h"  # do not post the same message again within this
    disk_warn_percent: int = 85
    disk_danger_percent: int = 95
    cpu_checks: bool = True  # post containers over cpu_limit_percent of their CPU limit
    cpu_limit_percent: int = 90
    memory_checks: bool = False  # the same against the memory limit (off: see the README)
    memory_limit_percent: int = 90
    slack_routes: tuple[SlackRoute, ...] = ()  # per cluster; the rest go to slack_channel
    ignore_pods: tuple[str, ...] = ()  # pod name globs never reported, e.g. "prepull-*"
    alert_pending_pods: bool = True  # whether a container of a Pending pod is reported
    not_running_for: str = "0s"  # a container is posted once not running this long (0s: at once)
    no_data_after: str = "15m"  # a cluster silent this long in an app's bucket is posted (0s: off)
    # Notifier settings: grouped posts, silences, a heartbeat, links in posts.
    group_above: int = 3  # more new alerts than this for a channel in one run: one post
    silences: tuple[Silence, ...] = ()  # container alerts held until each silence's end
    heartbeat_secret_key: str = ""  # the InfluxDB secret of a URL called every run; "": none
    alert_links: tuple[AlertLink, ...] = ()  # appended to each container alert's post
    # Resolved notices.
    post_resolved: bool = True  # an alert posted whose condition a check saw clear: one post

    def __post_init__(self) -> None:
        for name in _NAME_SETTINGS:
            check_name(getattr(self, name), f"TaskSettings.{name}")
        self._check_schedule()
        self._check_state_windows()
        self._check_percentages()
        self._check_pod_patterns()
        self._check_slack_routes()
        self._check_notifier_posts()

    @property
    def slack_secret_keys(self) -> list[str]:
        """The InfluxDB secrets the notifiers read: the default webhook, then each route's."""
        return [self.slack_secret_key, *(route.secret_key for route in self.slack_routes)]

    @property
    def secret_keys(self) -> list[str]:
        """Every InfluxDB secret the notifiers read: the webhooks, then the heartbeat's."""
        return [*self.slack_secret_keys, *filter(None, [self.heartbeat_secret_key])]

    @property
    def ignored_pods_regex(self) -> str:
        """The Flux regular expression literal matching every pod name of `ignore_pods`."""
        globs = ("".join(_GLOB_AS_REGEX.get(char, char) for char in glob)
                 for glob in self.ignore_pods)
        return f"/^(?:{'|'.join(globs)})$/"

    def _check_schedule(self) -> None:
        durations = {
            name: duration_ns(getattr(self, name), f"TaskSettings.{name}")
            for name in ("check_every", "notify_every", "realert_after")
        }
        # The task policy allows no task to run more often than once a minute.
        for name in ("check_every", "notify_every"):
            if durations[name] < _MINUTE_NS:
                raise TemplateError(
                    f"TaskSettings.{name}={getattr(self, name)!r} is shorter than 1m; "
                    "tasks may run at most once a minute"
                )
        # Notifiers read findings over realert_after; a restart found at the end of a two-period
        # look-back is that old when written, and waits up to notify_every to be read.
        finding_delay = 2 * durations["check_every"] + durations["notify_every"]
        if durations["realert_after"] < finding_delay:
            raise TemplateError(
                f"TaskSettings.realert_after={self.realert_after!r} is shorter than the time a "
                f"finding may take to reach the notifier ({duration_literal(finding_delay)}: "
                f"twice TaskSettings.check_every={self.check_every!r} plus "
                f"TaskSettings.notify_every={self.notify_every!r}); raise the first or shorten "
                "the others"
            )

    def _check_state_windows(self) -> None:
        every = duration_ns(self.check_every, "TaskSettings.check_every")
        waited = duration_ns(self.not_running_for, "TaskSettings.not_running_for")
        quiet = duration_ns(self.no_data_after, "TaskSettings.no_data_after")
        # Each check reads notRunningFor (and one period more) of samples: a day of them every
        # few minutes is a cost (issue 23), and a container down a day is news long before.
        if waited > _DAY_NS:
            raise TemplateError(
                f"TaskSettings.not_running_for={self.not_running_for!r} is longer than 24h; "
                "use 0s (post at once) up to 24h")
        # The no-data check looks back a day for the clusters that wrote; it runs every
        # check_every, so a shorter silence could not be told apart any sooner.
        if quiet and not every <= quiet < _DAY_NS:
            raise TemplateError(
                f"TaskSettings.no_data_after={self.no_data_after!r} must be at least "
                f"TaskSettings.check_every={self.check_every!r} and shorter than 24h (the "
                "no-data check's look-back), or 0s to turn the check off")

    def _check_percentages(self) -> None:
        for name in ("disk_warn_percent", "disk_danger_percent", "cpu_limit_percent",
                     "memory_limit_percent"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 100:
                raise TemplateError(
                    f"TaskSettings.{name} must be an int percentage in 1..100, got {value!r}"
                )
        if self.disk_warn_percent >= self.disk_danger_percent:
            raise TemplateError(
                f"TaskSettings.disk_warn_percent ({self.disk_warn_percent}) must be below "
                f"TaskSettings.disk_danger_percent ({self.disk_danger_percent}): the warning "
                "comes first"
            )

    def _check_pod_patterns(self) -> None:
        patterns = self.ignore_pods
        if not isinstance(patterns, tuple) or not all(
                isinstance(glob, str) and _POD_PATTERN.fullmatch(glob) for glob in patterns):
            raise TemplateError(
                f"TaskSettings.ignore_pods must be pod name patterns (lower-case letters, digits, "
                f"'-', '.', and the wildcards '*' and '?'), got {self.ignore_pods!r}"
            )
        for name in ("alert_pending_pods", "cpu_checks", "memory_checks", "post_resolved"):
            if not isinstance(getattr(self, name), bool):
                raise TemplateError(
                    f"TaskSettings.{name} must be true or false, got {getattr(self, name)!r}")

    def _check_slack_routes(self) -> None:
        clusters = set()
        for route in self.slack_routes:
            if not isinstance(route, SlackRoute):
                raise TemplateError(f"TaskSettings.slack_routes holds {route!r}, not a SlackRoute")
            for name in ("cluster", "channel", "secret_key"):
                check_name(getattr(route, name), f"TaskSettings.slack_routes {name}")
            if route.cluster in clusters:
                raise TemplateError(
                    f"TaskSettings.slack_routes routes cluster {route.cluster!r} twice; "
                    "give each cluster one route")
            clusters.add(route.cluster)

    def _check_notifier_posts(self) -> None:
        value = self.group_above
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise TemplateError(
                f"TaskSettings.group_above must be a whole number of alerts, 1 or more, got "
                f"{value!r}")
        check_silences(self.silences, "TaskSettings.silences")
        check_links(self.alert_links, "TaskSettings.alert_links")
        if self.heartbeat_secret_key != "":
            check_name(self.heartbeat_secret_key, "TaskSettings.heartbeat_secret_key")
