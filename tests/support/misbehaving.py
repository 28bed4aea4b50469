"""Servers on loopback that are not the service a target expects: each answers every request the
same wrong way (resets the connection in the middle of the body, answers malformed JSON, answers
200 with an HTML login page, sends its body one byte a second, or accepts and never answers).

``serve(behave)`` runs one on a thread and yields its URL; the thread and the socket are gone
when the ``with`` block ends."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
Behaviour = Callable[[socket.socket, threading.Event], None]


def reset_mid_body(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEAD % (b"application/json", 1000) + b'{"version": "4.')
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close


def malformed_json(conn: socket.socket, stop: threading.Event) -> None:
    body = b'{"version": 4.7.3,'
    conn.sendall(HEAD % (b"application/json", len(body)) + body)


def html_login(conn: socket.socket, stop: threading.Event) -> None:
    body = b"<!DOCTYPE html><html><body><form action='/login/'>Log in</form></body></html>"
    conn.sendall(HEAD % (b"text/html; charset=utf-8", len(body)) + body)


def one_byte_a_second(conn: socket.socket, stop: threading.Event) -> None:
    body = json.dumps({"version": "4.7.3", "padding": "x" * 64}).encode()
    conn.sendall(HEAD % (b"application/json", len(body)))
    for byte in body:
        if stop.wait(1.0):
            return
        conn.sendall(bytes([byte]))


def never_answer(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(60)


def netbox_status(conn: socket.socket, stop: threading.Event) -> None:
    """A NetBox's /api/status/ answer, to every request: the NetBox a live run needs besides the
    target under test (the run stops at the misbehaving target, before any suite)."""
    body = json.dumps({"netbox-version": "4.2.0"}).encode()
    conn.sendall(HEAD % (b"application/json", len(body)) + body)


# each misbehaviour, with what the harness's message must say the server did
MISBEHAVIOURS: dict[str, tuple[Behaviour, str]] = {
    "reset-mid-body": (reset_mid_body, "closed the connection in the middle of its answer"),
    "malformed-json": (malformed_json, "answered malformed JSON"),
    "html-login-page": (html_login, "answered an HTML page (a login form?)"),
    "one-byte-a-second": (one_byte_a_second, "was cut off"),
    "never-answers": (never_answer, "did not answer within"),
}


@contextlib.contextmanager
def serve(behave: Behaviour) -> Iterator[str]:
    """Serve ``behave`` to every connection on a loopback port; yield the base URL."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)  # the request
                with contextlib.suppress(OSError):  # the client gave up first
                    behave(conn, stop)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()
