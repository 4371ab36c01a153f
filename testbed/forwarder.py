"""A TCP forwarder on a free loopback port: a second address for a server, that can be closed.

Tests use it to move InfluxDB: the stack is deployed through the forwarder's URL, then the
forwarder closes, and the server is only reachable at its own URL.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit


class Forwarder:
    """Forwards every connection made to `url` to the server at `target_url` until closed."""

    def __init__(self, target_url: str) -> None:
        target = urlsplit(target_url)
        self._target = (target.hostname, target.port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(self._target)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with source, sink:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
