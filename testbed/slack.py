"""A fake Slack incoming webhook on loopback: records every POST and answers what it is told.

The tasks read the webhook URL from an InfluxDB secret; the tests store this server's URL there,
so the real influxd's Flux `slack` package posts here. Each post is kept with its JSON body.
It also stands for an outside monitor's heartbeat URL (`heartbeat_url`): it counts the calls
there apart from the posts.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Post:
    """One message as Slack would receive it."""

    channel: str
    text: str
    color: str

    @classmethod
    def from_body(cls, body: dict) -> Post:
        attachment = body["attachments"][0]
        return cls(channel=body["channel"], text=attachment["text"], color=attachment["color"])


class FakeSlack:
    """Start with `FakeSlack()`, point a secret at `url`, read `posts`; `answer` sets the status
    of the next answers (the posts are recorded whatever the status); `posts_allowed`, when set,
    is how many more posts get `answer`: the rest get 429, as Slack limits a webhook's rate;
    `stop()` closes the port."""

    HEARTBEAT_PATH = "/ping/3f9a"

    def __init__(self) -> None:
        self.answer = 200
        self.posts_allowed: int | None = None
        self.bodies: list[dict] = []
        self.answers: list[int] = []  # the status each of `bodies` was answered with
        self.heartbeats = 0  # calls to heartbeat_url
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/services/T000/B000/fake"

    @property
    def heartbeat_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{self.HEARTBEAT_PATH}"

    @property
    def posts(self) -> list[Post]:
        """Every post received so far, those answered with an error included."""
        with self._lock:
            return [Post.from_body(body) for body in self.bodies]

    @property
    def accepted(self) -> list[Post]:
        """The posts answered with a 2xx status: those Slack would show."""
        with self._lock:
            return [Post.from_body(body) for body, status in zip(self.bodies, self.answers,
                                                                  strict=True)
                    if 200 <= status < 300]

    def clear(self) -> None:
        with self._lock:
            self.bodies.clear()
            self.answers.clear()
            self.heartbeats = 0

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        slack = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with slack._lock:
                    if self.path == slack.HEARTBEAT_PATH:
                        slack.heartbeats += 1
                        status = 200
                    else:
                        slack.bodies.append(json.loads(body))
                        status = slack._status_of_post()
                        slack.answers.append(status)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"internal_error")

            def log_message(self, *_args: object) -> None:
                pass  # the tests read the posts, not a log

        return Handler

    def _status_of_post(self) -> int:
        """The answer to a post (the lock held): `answer`, or 429 once no post is allowed."""
        if self.posts_allowed is None:
            return self.answer
        if self.posts_allowed <= 0:
            return 429
        self.posts_allowed -= 1
        return self.answer
