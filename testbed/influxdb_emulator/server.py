"""The HTTP server: keep-alive HTTP/1.1 on loopback, the API, and the /_emulator/ controls."""

from __future__ import annotations

import gzip
import ipaddress
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from testbed.influxdb_emulator import app
from testbed.influxdb_emulator.api import Reply
from testbed.influxdb_emulator.controls import Controls, Fault
from testbed.influxdb_emulator.errors import INTERNAL, ApiError, code_for_status
from testbed.influxdb_emulator.store import Store

CONTROL_PREFIX = "/_emulator/"


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    # Go listens with the kernel's maximum backlog; socketserver's default of 5 resets a burst
    # of connections that influxd takes.
    request_queue_size = 4096

    def __init__(self, port: int, store: Store) -> None:
        super().__init__(("127.0.0.1", port), RequestHandler)
        self.store = store
        self.controls = Controls()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle's algorithm and the client's
    # delayed ACK hold every answer back for tens of milliseconds.
    disable_nagle_algorithm = True
    server: EmulatorServer

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request log is served under /_emulator/, and nothing here may leak."""

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        body = self._read_body()
        if path.startswith(CONTROL_PREFIX):
            self._send(self._control(path, body))
            return
        controls = self.server.controls
        fault = controls.take_fault(self.command, path, query)
        if fault and not fault.after_commit:
            time.sleep(fault.delay_s)
        if fault and fault.fails and not fault.after_commit:
            self._fail(fault, path, query)
            return
        header = self.headers.get("Authorization", "")
        try:
            body = self._decoded(path, body)
        except (OSError, EOFError):  # not gzip after all: influxd's handler fails as a 500
            error = ApiError(INTERNAL, "An internal error has occurred - check server logs")
            reply = Reply(500, error.body(), {"X-Platform-Error-Code": error.code})
        else:
            reply = app.handle(self.server.store, self.command, path, query, body, header)
        if fault and fault.after_commit:
            time.sleep(fault.delay_s)
        if fault and fault.fails:  # after_commit: the change is made, the answer is lost
            self._fail(fault, path, query)
            return
        controls.record(self.command, path, query, reply.status, self._authorization_id())
        self._send(reply)

    def _authorization_id(self) -> str | None:
        """Which token a request used, for tests of least privilege (its ID, not its value)."""
        _, _, token = self.headers.get("Authorization", "").partition(" ")
        with self.server.store.lock:
            auth = self.server.store.authorization_for(token) if token else None
        return auth.id if auth else None

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _decoded(self, path: str, body: bytes) -> bytes:
        """The write handler takes gzip bodies (Telegraf sends them by default)."""
        if path == "/api/v2/write" and self.headers.get("Content-Encoding") == "gzip":
            return gzip.decompress(body)
        return body

    def _fail(self, fault: Fault, path: str, query: str) -> None:
        self.server.controls.record(self.command, path, query, 0 if fault.drop else fault.status,
                                    self._authorization_id())
        if fault.drop:
            self.close_connection = True
            return
        if fault.body is not None:
            self._send(Reply(fault.status, fault.body))
            return
        error = ApiError(code_for_status(fault.status), "injected fault")
        reply = Reply(fault.status, error.body(), {"X-Platform-Error-Code": error.code})
        if fault.status == 429:
            reply.headers["Retry-After"] = fault.retry_after
        self._send(reply)

    def _control(self, path: str, body: bytes) -> Reply:
        if not ipaddress.ip_address(self.client_address[0]).is_loopback:
            return Reply(403, {"code": "forbidden", "message": "loopback clients only"})
        controls = self.server.controls
        route = (self.command, path.removeprefix(CONTROL_PREFIX).rstrip("/"))
        if route == ("GET", "requests"):
            return Reply(200, controls.requests())
        if route == ("DELETE", "requests"):
            controls.clear_requests()
            return Reply(204)
        if route == ("GET", "faults"):
            return Reply(200, controls.faults())
        if route == ("POST", "faults"):
            try:
                fault = Fault.from_json(json.loads(body or b"null"))
            except (ValueError, TypeError) as error:
                return Reply(400, {"code": "invalid", "message": str(error)})
            controls.add_fault(fault)
            return Reply(201, {"count": fault.count})
        if route == ("DELETE", "faults"):
            controls.clear_faults()
            return Reply(204)
        return Reply(404, {"code": "not found", "message": "no such control"})

    def _send(self, reply: Reply) -> None:
        # A text body is a page (an injected proxy's answer); anything else is JSON.
        page = isinstance(reply.body, str)
        payload = (b"" if reply.body is None else
                   reply.body.encode() if page else json.dumps(reply.body).encode())
        self.send_response(reply.status)
        if reply.body is not None:
            self.send_header("Content-Type", "text/html; charset=utf-8" if page
                             else "application/json; charset=utf-8")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # a client that gave up waiting
                self.close_connection = True
