"""A recording, contract-checking, fault-injecting reverse proxy in front of one provider.

Usage (the integration is configured with ``proxy.url`` instead of the provider's URL)::

    proxy = ContractProxy("http://127.0.0.1:8001", specs, "netbox").start()
    proxy.inject(entry.inject, code=entry.code)   # error-catalog recipe at its operation
    ...                                           # run the integration
    proxy.exchanges    # every Exchange: request, answer, operation id, findings, fault code
    proxy.findings     # all contract findings (unknown operations included)
    proxy.injections   # which recipe fired when, how many times
    proxy.write_cassette(path, secrets=[token])   # VCR.py cassette, redacted
    proxy.stop()

It listens on 127.0.0.1 on a free port, forwards with httpx (TLS verified for https upstreams
such as api.github.com), drops hop-by-hop headers and lets httpx set Host for the upstream.
Kubernetes watches (``?watch=1``) are relayed chunk by chunk as they arrive.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import httpx

from harness.proxy.check import ContractChecker
from harness.proxy.concurrent import ConcurrentUpdateError, concurrent_commit
from harness.proxy.exchange import Exchange, Finding
from harness.proxy.faults import (
    Canned,
    FaultPlan,
    Injection,
    http_status_answer,
    invalid_response_answer,
    kubernetes_conflict_answer,
)
from harness.proxy.match import Match, OperationMatcher
from harness.replay.cassette import write_cassette
from harness.spec.models import SpecSet

HOP_BY_HOP = frozenset(
    ("connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
     "transfer-encoding", "upgrade", "host", "content-length", "accept-encoding")
)  # fmt: skip
RECORD_LIMIT = 1 << 20  # bytes of a streamed (watch) body kept in the record


class Gate(Protocol):
    def __call__(self, operation: str) -> bool: ...
    def hold(self, max_s: float) -> None: ...


class ContractProxy:
    """Reverse proxy to ``upstream`` for one boundary (netbox | github | kubernetes | webhook)."""

    def __init__(self, upstream: str, specs: SpecSet, boundary: str, *, passthrough: list[str] | None = None,
                 verify: bool = True, timeout_s: float = 30.0, max_hold_s: float = 30.0) -> None:  # fmt: skip
        self.upstream = upstream.rstrip("/")
        self.matcher = OperationMatcher(specs, boundary, passthrough)
        self.checker = ContractChecker(specs, boundary)
        self.faults = FaultPlan(self.matcher.operations)
        self.timeout_s = timeout_s
        self.max_hold_s = max_hold_s
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._in_flight = 0  # requests being answered (a watch until its client hangs up)
        self._stopping = threading.Event()
        self._client = httpx.Client(verify=verify, follow_redirects=False)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Consulted with each request's operation id; True holds the request until ``gate.hold``
        # returns and then drops it (crash injection: harness.world.crash.StepCrash).
        self.gate: Gate | None = None

    @property
    def url(self) -> str:
        """The proxy's base URL (http://127.0.0.1:<port>)."""
        if self._server is None:
            raise RuntimeError("the proxy is not started; call start() first")
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> ContractProxy:
        """Listen on a free loopback port and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError("the proxy is already started")
        handler = type("Handler", (_Handler,), {"proxy": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="contract-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release held requests and close the upstream client."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._client.close()

    def __enter__(self) -> ContractProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject(self, recipe: dict[str, Any], *, code: str) -> Injection:
        """Arm an error-catalog ``inject`` recipe; see :mod:`harness.proxy.faults`."""
        return self.faults.arm(recipe, code=code)

    def clear_faults(self) -> None:
        """Disarm every recipe and forget the injection log."""
        self.faults.clear()

    @property
    def injections(self) -> list[Injection]:
        """Armed recipes with the times they fired."""
        return list(self.faults.injections)

    @property
    def findings(self) -> list[Finding]:
        """Every finding of every recorded exchange, in arrival order."""
        with self._lock:
            return [f for ex in self.exchanges for f in ex.findings]

    def wait_idle(self, timeout_s: float = 5.0) -> None:
        """Wait until no request is being answered (a watch the client just left is still being
        wound down and recorded); TimeoutError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                if self._in_flight == 0:
                    return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the {self.matcher.boundary} proxy still answers a request after {timeout_s} s")
            self._stopping.wait(0.05)

    def clear(self) -> None:
        """Forget the recorded exchanges."""
        with self._lock:
            self.exchanges.clear()

    def write_cassette(self, path: Path, secrets: list[str] | tuple[str, ...] = ()) -> Path:
        """Write the exchanges so far as a VCR.py cassette, redacted (see :mod:`harness.replay.cassette`)."""
        with self._lock:
            exchanges = list(self.exchanges)
        return write_cassette(path, exchanges, secrets=secrets)

    def _record(self, exchange: Exchange, match: Match, started: float) -> None:
        exchange.duration_s = time.monotonic() - started
        exchange.findings = self.checker.check(exchange, match)
        with self._lock:
            self.exchanges.append(exchange)


class _Handler(BaseHTTPRequestHandler):
    proxy: ContractProxy
    protocol_version = "HTTP/1.1"  # keep-alive towards the client
    # An answer leaves in one send (headers and body buffered, flushed once) with Nagle off: written
    # in two small sends, the second waited for the client's delayed ACK, 40 ms on every answer.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: object) -> None:
        return None  # request lines can carry tokens in queries; the exchanges are the log

    def _handle(self) -> None:
        with self.proxy._lock:
            self.proxy._in_flight += 1
        try:
            self._serve()
        finally:
            with self.proxy._lock:
                self.proxy._in_flight -= 1

    def _serve(self) -> None:
        started = time.monotonic()
        proxy = self.proxy
        split = urlsplit(self.path)
        headers = list(self.headers.items())
        exchange = Exchange(self.command, split.path, split.query, headers, self._read_body(), proxy.upstream,
                            started_at=started)  # fmt: skip
        match = proxy.matcher.match(self.command, split.path, parse_qs(split.query), headers)
        if match.operation is not None:
            exchange.operation_id = match.operation.id
            exchange.path_params = dict(match.path_params)
        self._pending: tuple[Exchange, Match, float] | None = (exchange, match, started)
        gate = proxy.gate
        if gate is not None and match.operation is not None and gate(match.operation.id):
            exchange.reason = "held by the harness and dropped (crash injection)"
            gate.hold(proxy.max_hold_s)
            self._abort()
            return
        injection = proxy.faults.take(match.operation.id) if match.operation is not None else None
        try:
            if injection is not None:
                exchange.fault = injection.code
                if not self._apply(injection, exchange, match):
                    return
            self._forward(exchange, match)
        finally:
            self._commit()

    def _commit(self) -> None:
        """Record the exchange once; called before the client sees the end of the answer, so a
        test that got its response can read the record without waiting."""
        if self._pending is not None:
            self.proxy._record(*self._pending)
            self._pending = None

    def _apply(self, injection: Injection, exchange: Exchange, match: Match) -> bool:
        """Execute the fault; True when the request should still be forwarded."""
        recipe, kind = injection.recipe, injection.kind
        if kind == "connection_reset":
            self._abort()
        elif kind == "timeout":
            self.proxy._stopping.wait(min(float(recipe["delay_s"]), self.proxy.max_hold_s))
            self._abort()
        elif kind == "git_concurrent_update":
            try:
                concurrent_commit(
                    self.proxy._client,
                    self.proxy.upstream,
                    request_headers=exchange.request_headers,
                    operation_id=injection.operation,
                    path_params=match.path_params,
                    request_body=exchange.request_body,
                )
            except (ConcurrentUpdateError, KeyError, ValueError) as exc:
                injection.failures.append(str(exc))
            return True
        else:
            answers = {
                "http_status": lambda: http_status_answer(recipe),
                "invalid_response": lambda: invalid_response_answer(recipe),
                "kubernetes_conflict": lambda: kubernetes_conflict_answer(match.path_params),
            }
            self._send_canned(answers[kind](), exchange)
        return False

    def _forward(self, exchange: Exchange, match: Match) -> None:
        proxy = self.proxy
        watch = match.operation is not None and match.operation.kubernetes is not None and (
            match.operation.kubernetes.verb == "watch")  # fmt: skip
        # Headers the client names in Connection are hop-by-hop too (RFC 9110 7.6.1).
        dropped = HOP_BY_HOP | {
            t.strip().lower() for k, v in exchange.request_headers if k.lower() == "connection" for t in v.split(",")
        }
        upstream_headers = [(k, v) for k, v in exchange.request_headers if k.lower() not in dropped]
        upstream_headers.append(("Accept-Encoding", "identity"))
        url = proxy.upstream + exchange.path + (f"?{exchange.query}" if exchange.query else "")
        timeout = httpx.Timeout(proxy.timeout_s, read=None if watch else proxy.timeout_s)
        request = proxy._client.build_request(self.command, url, headers=upstream_headers,
                                              content=exchange.request_body, timeout=timeout)  # fmt: skip
        try:
            response = proxy._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            # The integration should meet what it would meet without the proxy: a dropped connection.
            exchange.reason = f"upstream unreachable: {type(exc).__name__}"
            self._abort()
            return
        try:
            exchange.status, exchange.reason = response.status_code, response.reason_phrase
            if watch and response.status_code == 200:
                self._relay_stream(response, exchange)
            else:
                body = response.read()
                kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in HOP_BY_HOP]
                kept = [(k, v) for k, v in kept if k.lower() != "content-encoding"]
                self._send(response.status_code, response.reason_phrase, kept, body, exchange)
        except (httpx.HTTPError, OSError) as exc:
            exchange.reason = f"relay interrupted: {type(exc).__name__}"
            self.close_connection = True
        finally:
            response.close()

    def _relay_stream(self, response: httpx.Response, exchange: Exchange) -> None:
        exchange.response_headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in HOP_BY_HOP]
        self.send_response_only(response.status_code, response.reason_phrase)
        for k, v in exchange.response_headers:
            self.send_header(k, v)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()  # a watch client waits for the headers before the first event
        recorded = bytearray()
        done = threading.Event()
        threading.Thread(target=self._close_when_client_leaves, args=(response, done), daemon=True).start()
        try:
            for chunk in response.iter_raw():
                if len(recorded) < RECORD_LIMIT:
                    recorded += chunk
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
        finally:
            done.set()
            # A client ending its watch closes the socket mid-stream; what was relayed is still recorded.
            exchange.response_body = bytes(recorded)
            self._commit()
        self.wfile.write(b"0\r\n\r\n")

    def _close_when_client_leaves(self, response: httpx.Response, done: threading.Event) -> None:
        """End the upstream watch as soon as the client hangs up, not at the next event."""
        sock = self.connection
        while not done.is_set() and not self.proxy._stopping.is_set():
            try:
                readable, _, _ = select.select([sock], [], [], 0.2)
                # A client never sends during a streamed answer: readable means EOF or reset.
                if readable and not sock.recv(1, socket.MSG_PEEK):
                    break
            except (OSError, ValueError):
                break
        if not done.is_set():
            response.close()

    def _send_canned(self, canned: Canned, exchange: Exchange) -> None:
        exchange.status = canned.status
        self._send(canned.status, canned.reason, canned.headers, canned.body, exchange)

    def _send(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes, exchange: Exchange) -> None:
        exchange.response_headers, exchange.response_body = headers, body
        exchange.reason = exchange.reason or reason
        self._commit()
        self.send_response_only(status, reason or None)
        for k, v in headers:
            self.send_header(k, v)
        if status not in (204, 304) and status >= 200:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)
        self.wfile.flush()

    def _abort(self) -> None:
        """Close the client socket with a TCP reset and no answer."""
        self._commit()
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass  # the client went away first; nothing left to reset

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()  # the blank line after the last chunk (no trailers expected)
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""
