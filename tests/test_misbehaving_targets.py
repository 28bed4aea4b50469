"""`harness run --profile live` pointed at a server that is not a working NetBox: exit 2 in bounded
time, one message naming the target URL and what it did, a partial report written, no traceback.

Each misbehaviour is a small server on loopback: it resets the connection in the middle of the
body, answers malformed JSON, answers 200 with an HTML login page, sends its body one byte a second,
or accepts the connection and never answers."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"


def _reset_mid_body(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEAD % (b"application/json", 1000) + b'{"netbox-version": "4.')
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close


def _malformed_json(conn: socket.socket, stop: threading.Event) -> None:
    body = b'{"netbox-version": 4.7.3,'
    conn.sendall(HEAD % (b"application/json", len(body)) + body)


def _html_login(conn: socket.socket, stop: threading.Event) -> None:
    body = b"<!DOCTYPE html><html><body><form action='/login/'>Log in</form></body></html>"
    conn.sendall(HEAD % (b"text/html; charset=utf-8", len(body)) + body)


def _one_byte_a_second(conn: socket.socket, stop: threading.Event) -> None:
    body = json.dumps({"netbox-version": "4.7.3", "padding": "x" * 64}).encode()
    conn.sendall(HEAD % (b"application/json", len(body)))
    for byte in body:
        if stop.wait(1.0):
            return
        conn.sendall(bytes([byte]))


def _never_answer(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(60)


MISBEHAVIOURS: dict[str, tuple[Callable[[socket.socket, threading.Event], None], str]] = {
    "reset-mid-body": (_reset_mid_body, "closed the connection in the middle of its answer"),
    "malformed-json": (_malformed_json, "answered malformed JSON"),
    "html-login-page": (_html_login, "answered an HTML page (a login form?)"),
    "one-byte-a-second": (_one_byte_a_second, "was cut off"),
    "never-answers": (_never_answer, "did not answer within"),
}


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    behave = MISBEHAVIOURS[request.param][0]
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)  # the request
                with contextlib.suppress(OSError):  # the client gave up first
                    behave(conn, stop)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    listener.close()


@pytest.mark.parametrize("server", list(MISBEHAVIOURS), indirect=True)
def test_a_misbehaving_netbox_is_exit_2_with_one_message_and_a_partial_report(
    server: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    said = MISBEHAVIOURS[request.node.callspec.params["server"]][1]
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--profile", "live", "--netbox-url", server,
         "--netbox-token", "not-a-real-token", "--report", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    target_lines = [line for line in done.stderr.splitlines() if line.startswith("harness run: target netbox:")]
    assert len(target_lines) == 1, done.stderr
    assert server in target_lines[0] and said in target_lines[0], target_lines[0]
    assert "Traceback" not in done.stderr
    assert (tmp_path / "report.json").is_file() and (tmp_path / "junit.xml").is_file()
    assert time.monotonic() - started < 60  # bounded: the probe's own deadline is 10 s
