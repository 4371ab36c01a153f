"""A TCP forwarder on a free loopback port: a second address for a server, that can be closed.

Tests use it to move InfluxDB: the stack is deployed through the forwarder's URL, then the
forwarder closes, and the server is only reachable at its own URL. Two ways to stop a run at a
known point, with everything before it done:
- `hold`: the requests that start with those bytes (`b"POST /api/v2/tasks"`) are never
  forwarded while the forwarder is open, as a server that never answers them;
- `stop_at`: a server that stops answering part way: the first request that holds those bytes
  is never delivered, and every connection is dropped and refused from then on.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit


class Forwarder:
    """Forwards every connection made to `url` to the server at `target_url` until closed (but
    the requests `hold` or `stop_at` name)."""

    def __init__(self, target_url: str, *, hold: bytes | None = None,
                 stop_at: bytes | None = None) -> None:
        target = urlsplit(target_url)
        self._target = (target.hostname, target.port)
        self._hold = hold
        self._stop_at = stop_at
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.stopped = threading.Event()  # set once `stop_at` was met
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        """Refuse new connections and drop the open ones (held requests included)."""
        self._closed.set()
        self._listener.close()
        with self._lock:
            for connection in self._open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(self._target)
            with self._lock:
                self._open |= {client, server}
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False),
                             daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, requests: bool) -> None:
        with source, sink:
            try:
                while data := source.recv(65536):
                    if requests and self._hold and data.startswith(self._hold):
                        self._closed.wait()  # never answered while the forwarder is open
                        return
                    if requests and self._stop_at is not None and self._stop_at in data:
                        self.stopped.set()
                        self.close()
                        return
                    sink.sendall(data)
            except OSError:
                pass
