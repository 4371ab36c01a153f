"""InfluxQL as Chronograf asks it: influxd's v1 `/query` endpoint, with `db`, `rp` and `q`.

Chronograf (and any InfluxQL client) reaches a v2 bucket only through a DBRP mapping: `db` names
the mapping's database, `rp` its retention policy (the default mapping when `rp` is left out).
The org is the token's own (influxd takes it from the authorization, there is no org parameter),
so the client queries with a token of the org, as Chronograf is set up with one.
The answers are read into plain Python (series as lists of row dicts), and an InfluxQL error is
raised, never returned as an empty answer: a query that fails must not read as "no data".
"""

from __future__ import annotations

import requests

from testbed.influx.server import InfluxServer


class InfluxQLFailed(Exception):
    """`/query` answered with an error status or an error in a statement's result."""


def query(server: InfluxServer, token: str, q: str, *, db: str | None = None,
          rp: str | None = None) -> list[dict]:
    """The series of the one statement `q` (each `{"name", "tags"?, "rows": [dict]}`); raise
    `InfluxQLFailed` when the server or the statement reports an error."""
    params = {"q": q, **({"db": db} if db is not None else {}), **({"rp": rp} if rp else {})}
    response = requests.get(server.url + "/query", params=params, timeout=30,
                            headers={"Authorization": f"Token {token}"})
    if response.status_code != 200:
        raise InfluxQLFailed(f"{q!r} on db={db!r} rp={rp!r}: {response.status_code} "
                             f"{response.text[:300]}")
    [result] = response.json()["results"]
    if "error" in result:
        raise InfluxQLFailed(f"{q!r} on db={db!r} rp={rp!r}: {result['error']}")
    return [{**series, "rows": [dict(zip(series["columns"], row, strict=True))
                                for row in series.get("values", [])]}
            for series in result.get("series", [])]


def identifier(name: str) -> str:
    """`name` as an InfluxQL double-quoted identifier (a database or retention policy)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def databases(server: InfluxServer, token: str) -> set[str]:
    """What `SHOW DATABASES` lists."""
    return {row["name"] for series in query(server, token, "SHOW DATABASES")
            for row in series["rows"]}


def retention_policies(server: InfluxServer, token: str, db: str) -> dict[str, bool]:
    """What `SHOW RETENTION POLICIES ON <db>` lists: each policy's name and whether it is the
    default."""
    return {row["name"]: row["default"]
            for series in query(server, token, f"SHOW RETENTION POLICIES ON {identifier(db)}")
            for row in series["rows"]}
