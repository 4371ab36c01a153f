"""The server takes a burst of connections as influxd does: hundreds at once, none refused."""

from __future__ import annotations

import socket
from contextlib import ExitStack
from urllib.parse import urlsplit

BURST = 300
# Linux resends a dropped SYN after 1 s: a connect that takes longer was dropped by a full
# listen backlog (the kernel answers loopback SYNs itself, whatever the server is doing).
NOT_DROPPED_SECONDS = 0.9


def test_a_burst_of_connections_opened_at_once_is_accepted_and_answered(influxdb):
    address = urlsplit(influxdb.url)
    with ExitStack() as stack:
        # Every connection is opened before any is used: the listen backlog must hold them.
        connections = [stack.enter_context(socket.create_connection(
            (address.hostname, address.port), timeout=NOT_DROPPED_SECONDS))
            for _ in range(BURST)]
        for connection in connections:
            connection.settimeout(30)
            connection.sendall(b"GET /ping HTTP/1.1\r\nHost: influxdb\r\nConnection: close\r\n\r\n")
        status_lines = [connection.recv(64).split(b"\r\n")[0] for connection in connections]

    assert [line.split(b" ")[1] for line in status_lines] == [b"204"] * BURST
