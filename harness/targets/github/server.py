"""Run the twin on a threaded werkzeug server, in-process (tests) or as ``harness serve github``."""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from harness.targets.base import TargetError, ensure_port_free
from harness.targets.github.admin import SECRET_ENV
from harness.targets.github.app import Twin

TOKEN_ENV = "HARNESS_GITHUB_TOKEN"
LOOPBACK = ("127.0.0.1", "localhost")
KEEP_ALIVE_S = 30


class _KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 keep-alive like GitHub, and no per-request log lines on stderr.

    werkzeug's own ``run_wsgi`` answers ``Connection: close`` to every request (it cannot drain a request
    body it did not read). This one reads the whole request body before calling the app and answers with a
    Content-Length, so the connection stays usable for the next request unless the client asks to close it.
    """

    protocol_version = "HTTP/1.1"
    timeout = KEEP_ALIVE_S  # an idle kept-alive connection releases its thread after this long
    # headers and body leave in one send: two small sends on a kept-alive connection meet Nagle's
    # algorithm and the client's delayed ACK, 40 ms on every answer
    wbufsize = io.DEFAULT_BUFFER_SIZE

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def run_wsgi(self) -> None:
        environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(self._request_body(environ))
        environ["CONTENT_LENGTH"] = str(len(environ["wsgi.input"].getvalue()))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ.pop("wsgi.input_terminated", None)
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return chunks.append

        try:
            result = self.server.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except Exception:
            logging.getLogger(__name__).exception("github twin: %s %s failed", self.command, self.path)
            started[:] = ["500 Internal Server Error", [("Content-Type", "text/plain")]]
            chunks[:] = [b"Internal Server Error\n"]
        self._respond(started[0], started[1], b"".join(chunks))

    def _request_body(self, environ: dict[str, Any]) -> bytes:
        stream = environ["wsgi.input"]
        if environ.get("wsgi.input_terminated"):  # chunked: werkzeug's DechunkedInput ends at the last chunk
            return bytes(stream.read())
        length = int(environ.get("CONTENT_LENGTH") or 0)
        return bytes(stream.read(length)) if length > 0 else b""

    def _respond(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        code_text, _, reason = status.partition(" ")
        code = int(code_text)
        self.send_response(code, reason)
        bodiless = code in {204, 304} or 100 <= code < 200
        for name, value in headers:
            lowered = name.lower()
            if lowered in {"content-length", "transfer-encoding"}:
                continue
            if lowered == "connection" and value.lower() == "close":
                self.close_connection = True
            self.send_header(name, value)
        if not bodiless:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not bodiless and self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class TwinServer:
    """A twin listening on loopback, served by a thread per connection."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, data_dir: Path | None = None,
                 owner: str = "hedgehog", token: str | None = None,
                 webhook_url: str | None = None) -> None:  # fmt: skip
        if host not in LOOPBACK:
            raise TargetError(f"the GitHub twin listens on loopback only; --host {host!r} is not one of {LOOPBACK}")
        if webhook_url is not None and not webhook_url.startswith(("http://", "https://")):
            raise TargetError(f"--webhook-url {webhook_url!r} is not an http(s) URL")
        if port:
            ensure_port_free(host, port, "the GitHub twin")
        self._tmp = None if data_dir else tempfile.mkdtemp(prefix="gh-twin-")
        root = data_dir or Path(self._tmp or "")
        self.token = token or os.environ.get(TOKEN_ENV) or "ghp_" + secrets.token_hex(18)
        try:
            self.twin = Twin(root, owner, self.token, webhook_url, os.environ.get(SECRET_ENV))
        except OSError as exc:
            raise TargetError(f"cannot keep repositories in --data-dir {root}: {exc.strerror}; "
                              "pass a writable directory") from exc  # fmt: skip
        try:
            self._server: BaseWSGIServer = make_server(host, port, self.twin, threaded=True,
                                                       request_handler=_KeepAliveHandler)  # fmt: skip
        except OSError as exc:  # lost a race for the port after the check above
            raise TargetError(f"cannot start the GitHub twin on {host}:{port}: {exc.strerror}; "
                              "pass another --port") from exc  # fmt: skip
        self.url = f"http://{host}:{self._server.port}"
        self.twin.public_url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, name="github-twin", daemon=True)

    def start(self) -> TwinServer:
        """Begin serving in a background thread."""
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, stop webhook delivery, remove a temporary data directory."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.twin.close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)


def serve_main(args: argparse.Namespace) -> int:
    """``harness serve github``: print {"url", "git_url", "token"} once ready; run until SIGINT/SIGTERM."""
    data_dir = Path(args.data_dir) if args.data_dir else None
    try:
        server = TwinServer(
            args.host, args.port, data_dir=data_dir, owner=args.owner, webhook_url=args.webhook_url
        ).start()
    except TargetError as exc:
        print(f"harness serve github: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    ready: dict[str, Any] = {"url": server.url, "git_url": f"{server.url}/{args.owner}/REPO.git",
                             "token": server.token}  # fmt: skip
    print(json.dumps(ready), flush=True)
    stop.wait()
    server.stop()
    return 0
