"""The one interface every target implements, live or local.

A generated test asks a target for its endpoint and credentials and never needs
to know whether it is the real provider or the local stand-in.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class TargetError(RuntimeError):
    """A target could not be started, reached or reset. The message says what to do."""


@dataclass(frozen=True)
class Endpoint:
    """Where a target answers and how to authenticate. ``secret`` is never printed by repr."""

    url: str
    secret: str | None = field(default=None, repr=False)
    extra: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Target(Protocol):
    """Start, stop, reset between examples, and a health check."""

    name: str

    def start(self) -> Endpoint: ...

    def stop(self) -> None: ...

    def reset(self) -> None: ...

    def healthy(self) -> bool: ...


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.05) -> None:
    """Poll ``condition`` until it holds; raise TargetError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            raise TargetError(f"timed out after {timeout_s:g}s waiting for {what}")
        time.sleep(interval_s)


def ensure_port_free(host: str, port: int, what: str) -> None:
    """Raise a TargetError that says what to do when ``port`` is already taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise TargetError(
                f"cannot start {what}: {host}:{port} is already in use ({exc.strerror}); "
                f"stop whatever listens there or pass another --port"
            ) from exc


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free on loopback now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_for_session[T: Target](target: T) -> Iterator[T]:
    """``target`` started; stopped at the end only if it was not already running (a NetBox someone
    started before the session is left as it was)."""
    already_running = target.healthy()
    target.start()
    try:
        yield target
    finally:
        if not already_running:
            target.stop()
