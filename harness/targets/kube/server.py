"""Run the stand-in: on a background thread (LocalKube) or in the foreground (``harness serve kube``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import kmock

from harness.kube.crds import CrdError, CrdRegistry
from harness.targets.base import TargetError, ensure_port_free
from harness.targets.kube.controller import ControllerConfig
from harness.targets.kube.emulator import KubeStandIn
from harness.targets.kube.kubeconfig import write_kubeconfig

T = TypeVar("T")


def load_registry(dirs: list[Path]) -> CrdRegistry:
    """A registry with the CRDs of ``dirs``; TargetError naming the file when one is bad."""
    registry = CrdRegistry()
    missing = [d for d in dirs if not d.exists()]
    if missing:
        raise TargetError(f"CRD path not found: {missing[0]} (pass a directory of CRD YAML files to --crds)")
    try:
        registry.load_paths(dirs)
    except CrdError as exc:
        raise TargetError(f"bad CRD file: {exc}") from exc
    return registry


class ServerThread:
    """The stand-in on its own event loop in a daemon thread, listening on loopback."""

    def __init__(self, standin: KubeStandIn, host: str = "127.0.0.1", port: int = 0) -> None:
        self.standin = standin
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> str:
        """Start serving and return the URL; TargetError if it cannot listen."""
        if self.port:
            ensure_port_free(self.host, self.port, "the Kubernetes stand-in")
        self._thread = threading.Thread(target=self._run, name="kube-standin", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout_s):
            raise TargetError(f"the Kubernetes stand-in did not start within {timeout_s:g}s")
        if self._error is not None:
            raise TargetError(f"the Kubernetes stand-in failed to start: {self._error}") from self._error
        return self.url

    def call(self, fn: Callable[[], T], timeout_s: float = 10.0) -> T:
        """Run ``fn`` on the server's loop (where all state lives) and return its result."""
        if self._loop is None:
            raise TargetError("the Kubernetes stand-in is not running")

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop serving and wait for the thread to end."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._loop = self._stop = self._thread = None

    def _run(self) -> None:
        try:
            asyncio.run(serve_forever(self.standin, self.host, self.port, self._on_ready))
        except (OSError, RuntimeError) as exc:  # reported to start(); a daemon thread has nobody else to tell
            self._error = exc
            self._started.set()

    def _on_ready(self, port: int, stop: asyncio.Event) -> Awaitable[None]:
        self.port = port
        self._loop = asyncio.get_running_loop()
        self._stop = stop
        self._started.set()
        return asyncio.sleep(0)


async def serve_forever(
    standin: KubeStandIn, host: str, port: int, on_ready: Callable[[int, asyncio.Event], Awaitable[None]]
) -> None:
    """Serve ``standin`` until the event passed to ``on_ready`` is set."""
    stop = asyncio.Event()
    async with standin, kmock.Server(standin, host=host, port=port or None, user_agent="") as server:
        standin.address = f"{host}:{server.port}"
        await on_ready(server.port, stop)
        await stop.wait()
        standin.controller.cancel_all()


def serve_main(args: argparse.Namespace) -> int:
    """``harness serve kube``: print {"url", "kubeconfig"} once ready, run until SIGINT/SIGTERM."""
    try:
        if args.port:
            ensure_port_free(args.host, args.port, "the Kubernetes stand-in")
        registry = load_registry([Path(d) for d in args.crds])
    except TargetError as exc:
        print(f"harness serve kube: {exc}", file=sys.stderr)
        return 2
    if args.ready_delay < 0:
        print("harness serve kube: --ready-delay must be >= 0 seconds", file=sys.stderr)
        return 2
    standin = KubeStandIn(registry, ControllerConfig(ready_delay=args.ready_delay))

    async def on_ready(port: int, stop: asyncio.Event) -> None:
        url = f"http://{args.host}:{port}"
        kubeconfig = str(write_kubeconfig(Path(args.kubeconfig), url)) if args.kubeconfig else None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(json.dumps({"url": url, "kubeconfig": kubeconfig}), flush=True)

    try:
        asyncio.run(serve_forever(standin, args.host, args.port, on_ready))
    except OSError as exc:
        print(f"harness serve kube: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0
