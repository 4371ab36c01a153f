"""The fake Kubernetes's HTTP plumbing and test controls: an API server and a kubelet on loopback
ports of their own, answering from the same pods.

Both ask for the bearer token Telegraf reads from its token file (401 without it, as a cluster
answers); every request is logged; `fail(path, status)` makes a path answer an error, to prove a
Telegraf run that could not read its source fails visibly.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from testbed.kubernetes import api, kubelet
from testbed.kubernetes.pods import Pod

Route = Callable[[list[Pod]], dict]


@dataclass(frozen=True)
class Request:
    """One request as the fake received it: which server, method, path (with its query)."""

    server: str
    method: str
    path: str


class FakeKubernetes:
    """Start with `FakeKubernetes()`; set `pods`; give Telegraf `api_url`, `kubelet_url` and a
    file holding `token`; read `requests`; `clear()` between tests; `stop()` closes both ports."""

    def __init__(self) -> None:
        self.pods: list[Pod] = []
        self.token = secrets.token_urlsafe(24)
        self.requests: list[Request] = []
        self._failures: dict[str, int] = {}
        self._lock = threading.Lock()
        self._servers = {name: self._serve(name, routes)
                         for name, routes in (("api", api.ROUTES), ("kubelet", kubelet.ROUTES))}

    @property
    def api_url(self) -> str:
        return self._url("api")

    @property
    def kubelet_url(self) -> str:
        return self._url("kubelet")

    def fail(self, path: str, status: int) -> None:
        """Answer `status` to every request for `path` (on either server) until `clear()`."""
        with self._lock:
            self._failures[path] = status

    def clear(self) -> None:
        """No pods, no failures, an empty request log."""
        with self._lock:
            self.pods, self._failures = [], {}
            self.requests.clear()

    def stop(self) -> None:
        for server, _ in self._servers.values():
            server.shutdown()
            server.server_close()

    def answer(self, server: str, routes: dict[str, Route], path: str,
               authorization: str) -> tuple[int, dict]:
        """The status and JSON body for a GET of `path` on `server`, logged."""
        route = urlsplit(path).path
        with self._lock:
            self.requests.append(Request(server, "GET", path))
            pods, failure = list(self.pods), self._failures.get(route)
        if authorization != f"Bearer {self.token}":
            return 401, _status_body(401, "Unauthorized")
        if failure:
            return failure, _status_body(failure, "injected by the test")
        if route not in routes:
            return 404, _status_body(404, f"the fake {server} does not serve {route}")
        return 200, routes[route](pods)

    def _url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._servers[name][0].server_port}"

    def _serve(self, name: str, routes: dict[str, Route]) -> tuple[ThreadingHTTPServer,
                                                                   threading.Thread]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, name, routes))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        return server, thread


def _status_body(code: int, message: str) -> dict:
    """A Kubernetes `Status` object, the body of its error answers."""
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
            "code": code}


def _handler(fake: FakeKubernetes, name: str,
             routes: dict[str, Route]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = fake.answer(name, routes, self.path,
                                       self.headers.get("Authorization", ""))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            pass  # the request log is `fake.requests`

    return Handler
