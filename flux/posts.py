"""What shapes the notifiers' Slack posts beyond the findings: silences and links.

Both are rendered into the notifiers' Flux. Nothing of them reaches Flux but through
`silence_regex`, `flux_time` and `link_expression`, which escape every character a setting may
hold; each is checked when TaskSettings is constructed (`check_silences`, `check_links`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flux.literals import TemplateError, check_name, flux_string

# The names a link's URL may hold, and the Flux value each stands for in a notifier's row.
LINK_FIELDS = {"cluster": "r.cluster", "app": "r.application",
               "namespace": "if exists r.namespace then r.namespace else r.application",
               "pod": "r.pod"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# A URL is one token of a post: no space, and none of what Slack reads as the link's end.
_URL = re.compile(r"https?://[^\s<>|{}]+")
# What RE2 reads as syntax in a silence's pattern, escaped; `/` ends a Flux regex literal.
_REGEX_SPECIAL = set("\\.+()[]{}^$|/")
_GLOB = {"*": ".*", "?": "."}
# Slack reads these three as markup in a post's text (https://api.slack.com/reference/surfaces/
# formatting#escaping); escaped, a name shows as written and cannot open a link or a mention.
SLACK_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))


@dataclass(frozen=True)
class Silence:
    """Alerts of the containers `match` names (`cluster/app/pod`, with `*` and `?`) are neither
    posted nor recorded until `until`; `reason` says why, for people."""

    match: str
    until: datetime.datetime  # time-zone aware
    reason: str = ""

    def ended(self, now: datetime.datetime) -> bool:
        return self.until <= now


@dataclass(frozen=True)
class AlertLink:
    """A link appended to each container alert's post; `url` may hold {cluster}, {app},
    {namespace} and {pod}, replaced by the alert's, URL-encoded."""

    text: str
    url: str


def silence_regex(silence: Silence) -> str:
    """The Flux regex literal matching `cluster/app/pod` strings the silence names (`*` matches
    any run of characters, `/` included, so `summit/*` silences a whole cluster)."""
    body = "".join(_GLOB.get(char) or (f"\\{char}" if char in _REGEX_SPECIAL else char)
                   for char in silence.match)
    return f"/^{body}$/"


def flux_time(moment: datetime.datetime) -> str:
    """A Flux time literal of the (time-zone aware) moment, in UTC to the second."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slack_text(text: str) -> str:
    """Text as Slack shows it literally: its control characters escaped."""
    for char, entity in SLACK_ESCAPES:
        text = text.replace(char, entity)
    return text


def link_expression(link: AlertLink) -> str:
    """The Flux expression of the link as Slack markup, `<url|text>`, the URL's placeholders
    replaced by the row's values through `urlValue` (URL-encoded)."""
    parts = []
    position = 0
    for placeholder in _PLACEHOLDER.finditer(link.url):
        parts.append(flux_string(link.url[position:placeholder.start()]))
        parts.append(f"urlValue(v: {LINK_FIELDS[placeholder.group(1)]})")
        position = placeholder.end()
    parts.append(flux_string(link.url[position:]))
    label = flux_string("|" + slack_text(link.text) + ">")
    return " + ".join([flux_string("<"), *(part for part in parts if part != '""'), label])


def check_silences(silences: object, what: str) -> None:
    """TemplateError naming the silence unless each is a Silence with a printable pattern and a
    time-zone aware end."""
    for where, silence in _each(silences, Silence, "a Silence", what):
        check_name(silence.match, f"{where}.match")
        if not isinstance(silence.until, datetime.datetime) or silence.until.tzinfo is None:
            raise TemplateError(f"{where}.until must be a time with its zone, such as "
                                f"2026-05-01T00:00:00Z, got {silence.until!r}")


def check_links(links: object, what: str) -> None:
    """TemplateError naming the link unless each has a printable text and an http(s) URL whose
    only placeholders are LINK_FIELDS."""
    for where, link in _each(links, AlertLink, "an AlertLink", what):
        check_name(link.text, f"{where}.text")
        unknown = {name for name in _PLACEHOLDER.findall(link.url) if name not in LINK_FIELDS}
        if unknown or not _URL.fullmatch(_PLACEHOLDER.sub("x", link.url)):
            raise TemplateError(
                f"{where}.url is {link.url!r}: it must be an http(s) URL without spaces, '<', "
                f"'>' or '|', whose only placeholders are {{{'}, {'.join(LINK_FIELDS)}}}")


def _each(items: object, kind: type, a_kind: str, what: str) -> Iterator[tuple[str, Any]]:
    """Each item of the tuple with where it is (`what[i]`); TemplateError unless `items` is a
    tuple of `kind`."""
    if not isinstance(items, tuple):
        raise TemplateError(f"{what} must be a tuple of {kind.__name__}, got {items!r}")
    for index, item in enumerate(items):
        where = f"{what}[{index}]"
        if not isinstance(item, kind):
            raise TemplateError(f"{where} is {item!r}, not {a_kind}")
        yield where, item
