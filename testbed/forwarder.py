"""A TCP forwarder on a free loopback port: a second address for a server, that can be closed.

Tests use it to move InfluxDB: the stack is deployed through the forwarder's URL, then the
forwarder closes, and the server is only reachable at its own URL. Told to `hold` the requests
that start with some bytes (`b"POST /api/v2/tasks"`), it never forwards them, as a server that
never answers them: a run is stopped at a known point, with everything before it done.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit


class Forwarder:
    """Forwards every connection made to `url` to the server at `target_url` until closed (but
    the requests starting with `hold`, which are held until then)."""

    def __init__(self, target_url: str, hold: bytes | None = None) -> None:
        target = urlsplit(target_url)
        self._target = (target.hostname, target.port)
        self._hold = hold
        self._closed = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed.set()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(self._target)
            threading.Thread(target=self._pipe, args=(client, server, self._hold),
                             daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, None), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, hold: bytes | None) -> None:
        with source, sink:
            try:
                while data := source.recv(65536):
                    if hold and data.startswith(hold):
                        self._closed.wait()  # never answered while the forwarder is open
                        return
                    sink.sendall(data)
            except OSError:
                pass
