"""An InfluxDB 2.7 emulator: a real HTTP server on loopback for the routes this project uses.

    python -m testbed.influxdb_emulator --port PORT --admin-token TOKEN --org ORG
                                      [--bucket NAME] [--user NAME] [--hashed-tokens]

starts already onboarded as `influx setup` leaves a server (the user, the org with its system
buckets `_monitoring` and `_tasks`, the bucket if given, and TOKEN as the operator token: read
and write on every resource type but `instance`), prints its base URL (`http://127.0.0.1:PORT`)
as the first line of stdout and serves until killed. `--port 0` picks a free port. Without
`--org` it starts not set up, so that `POST /api/v2/setup` can onboard it. `--hashed-tokens`
behaves like InfluxDB 2.9: a token's value is only in the answer to its creation.

Behaviour follows the InfluxDB Go source where the OpenAPI contract disagrees with it; the
rules are in the modules (orgs, buckets, dbrps, authorizations, tasks, secrets, setup).

Test controls, without authentication and for loopback clients only:
- `GET /_emulator/requests`: `[{"method", "path", "query", "status", "authorization"}]` (the ID
  of the token the request carried, never its value) of every API request
  since the last `DELETE /_emulator/requests` (status 0 when the connection was dropped);
- `POST /_emulator/faults` with `{"count", "method"?, "path_prefix"?, "status"?, "delay_s"?,
  "drop"?, "after_commit"?, "retry_after"?}`: the next `count` matching requests fail (see
  `controls.Fault`); `GET` lists the pending faults, `DELETE /_emulator/faults` clears them.
"""
