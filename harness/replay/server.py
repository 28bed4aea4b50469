"""A replay server: a recorded cassette served back to the implementation as if it were the provider.

A request is answered with the next recorded answer to the same method, path and query (query
parameters compared as a multiset, in any order); once the recorded answers to a request are used
up the last one is repeated (a re-read). A request the recording has no answer for is answered
``501`` with a JSON ``detail`` naming it, and listed in :attr:`ReplayServer.unmatched`: the
implementation asked something it did not ask when the cassette was recorded. The recorded
provider's base URL inside answers (NetBox's ``url`` and ``next`` fields) is rewritten to the
server's own, so links the implementation follows come back here.

Every request received is kept (:attr:`ReplayServer.received`) so a suite can compare what the
implementation wrote with what it wrote when the cassette was recorded.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from harness.proxy.exchange import Exchange
from harness.replay.cassette import Cassette

Key = tuple[str, str, tuple[tuple[str, str], ...]]
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "date", "server"}


def request_key(method: str, path: str, query: str) -> Key:
    return method.upper(), path, tuple(sorted(parse_qsl(query, keep_blank_values=True)))


class ReplayServer:
    """Serves ``cassette`` on a free loopback port (a context manager)."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette
        self._answers: dict[Key, deque[Exchange]] = defaultdict(deque)
        for exchange in cassette.exchanges:
            if exchange.status is not None:
                self._answers[request_key(exchange.method, exchange.path, exchange.query)].append(exchange)
        self._last: dict[Key, Exchange] = {}
        self._lock = threading.Lock()
        self.received: list[Exchange] = []
        self.unmatched: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the replay server is not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> ReplayServer:
        handler = type("Handler", (_Handler,), {"replay": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="replay-server", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, exchange: Exchange) -> Exchange | None:
        key = request_key(exchange.method, exchange.path, exchange.query)
        with self._lock:
            self.received.append(exchange)
            queue = self._answers.get(key)
            if queue:
                self._last[key] = queue.popleft()
            recorded = self._last.get(key)
            if recorded is None:
                self.unmatched.append(
                    f"{exchange.method} {exchange.path}{'?' + exchange.query if exchange.query else ''}"
                )
            return recorded


class _Handler(BaseHTTPRequestHandler):
    replay: ReplayServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        exchange = Exchange(self.command, split.path, split.query, list(self.headers.items()), body,
                            self.replay.cassette.upstream)  # fmt: skip
        recorded = self.replay.answer(exchange)
        if recorded is None:
            status, headers = 501, [("Content-Type", "application/json")]
            payload = json.dumps({"detail": f"the recording has no answer to {self.command} {self.path}"}).encode()
        else:
            status = recorded.status or 200
            headers = [(k, v) for k, v in recorded.response_headers if k.lower() not in _HOP]
            payload = recorded.response_body
            if self.replay.cassette.upstream:
                payload = payload.replace(self.replay.cassette.upstream.encode(), self.replay.url.encode())
        exchange.status, exchange.response_body = status, payload
        self.send_response_only(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        return None  # request lines can carry tokens; what was received is in ``received``
