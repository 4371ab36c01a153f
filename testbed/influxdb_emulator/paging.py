"""Generic paging of buckets and orgs (influxdb.DecodeFindOptions and NewPagingLinks)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from testbed.influxdb_emulator.api import Call, parse_bool
from testbed.influxdb_emulator.errors import INVALID, ApiError
from testbed.influxdb_emulator.ids import parse_id

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class FindOptions:
    limit: int = DEFAULT_PAGE_SIZE
    offset: int = 0
    after: str | None = None
    descending: bool = False

    def query_params(self) -> dict[str, str]:
        params = {"descending": str(self.descending).lower(), "offset": str(self.offset),
                  "limit": str(self.limit)}
        if self.after:
            params["after"] = self.after
        return params


def find_options(call: Call) -> FindOptions:
    offset = _integer(call.arg("offset"), "offset is invalid", 0)
    after = parse_id(call.arg("after")) if call.arg("after") else None
    limit = _integer(call.arg("limit"), "limit is invalid", DEFAULT_PAGE_SIZE)
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ApiError(INVALID, f"limit must be between 1 and {MAX_PAGE_SIZE}")
    try:
        descending = parse_bool(call.arg("descending")) if call.arg("descending") else False
    except ValueError:
        raise ApiError(INVALID, "descending is invalid") from None
    return FindOptions(limit, offset, after, descending)


def _integer(text: str, failure: str, default: int) -> int:
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ApiError(INVALID, failure) from None


def paging_links(base: str, filters: dict[str, str], options: FindOptions,
                 count: int) -> dict[str, str]:
    """`next` only when the (permission-filtered) page is full, `prev` after an offset."""
    values = {**{k: v for k, v in filters.items() if v}, **options.query_params()}
    links = {"self": _url(base, values)}
    if count >= options.limit:
        links["next"] = _url(base, {**values, "offset": str(options.offset + options.limit)})
    if options.offset > 0:
        previous = max(options.offset - options.limit, 0)
        links["prev"] = _url(base, {**values, "offset": str(previous)})
    return links


def _url(base: str, values: dict[str, str]) -> str:
    return f"{base}?{urlencode(sorted(values.items()))}"
