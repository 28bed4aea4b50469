"""The contract proxy against direct access: the same GETs, one keep-alive client, A B A B.

Two upstreams: a bare local HTTP server (what the proxy itself costs) and the GitHub twin (what
a test that goes through the proxy pays on a realistic provider).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from benchmarks.sidebyside import Ratio, side_by_side
from harness.proxy.server import ContractProxy
from harness.spec.loader import load_specs
from harness.spec.models import SpecSet
from harness.targets.github import GitHubTwin

ROOT = Path(__file__).resolve().parents[1]
_RATE = {"limit": 5000, "remaining": 4999, "reset": 1700000000, "used": 1}
_BODY = json.dumps({"resources": {"core": _RATE}, "rate": _RATE}).encode()


class _Bare(BaseHTTPRequestHandler):
    """Answers every GET with one fixed JSON body, in one send, keeping the connection open."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(_BODY)}\r\n\r\n"
        self.wfile.write(head.encode() + _BODY)

    def log_message(self, format: str, *args: object) -> None:
        return None


@contextmanager
def bare_server() -> Iterator[str]:
    """A tiny keep-alive HTTP server on a free loopback port; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bare)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _gets(base_url: str, path: str, count: int, headers: dict[str, str]) -> float:
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        client.get(path).raise_for_status()  # connect outside the timing
        started = time.perf_counter()
        for _ in range(count):
            client.get(path).raise_for_status()
        return time.perf_counter() - started


def _compare(name: str, upstream: str, path: str, headers: dict[str, str], *, specs: SpecSet, count: int,
             repetitions: int) -> Ratio:  # fmt: skip
    with ContractProxy(upstream, specs, "github") as proxy:

        def through_proxy() -> float:
            elapsed = _gets(proxy.url, path, count, headers)
            proxy.clear()  # the record of one repetition must not grow into the next
            return elapsed

        return side_by_side(name, through_proxy, "direct", lambda: _gets(upstream, path, count, headers), repetitions)


def run(count: int, repetitions: int) -> list[Ratio]:
    """Proxy vs direct for ``count`` sequential GETs, against the bare server and the twin."""
    loaded = load_specs([ROOT / "contracts", ROOT / "specs" / "errors"], ROOT / "specs" / "schema", ROOT)
    specs = loaded.specs
    results = []
    with bare_server() as url:
        name = f"proxy, {count} GETs, bare server"
        results.append(_compare(name, url, "/rate_limit", {}, specs=specs, count=count, repetitions=repetitions))
    twin = GitHubTwin(owner="hedgehog")
    endpoint = twin.start()
    try:
        headers = {"Authorization": f"Bearer {endpoint.secret}", "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28"}  # fmt: skip
        httpx.post(f"{endpoint.url}/user/repos", json={"name": "fabric", "auto_init": True},
                   headers=headers, timeout=30).raise_for_status()  # fmt: skip
        # the twin keeps GitHub's hourly budget (5,000): the runs here make far more requests
        httpx.post(f"{endpoint.url}/_twin/rate_limit", json={"limit": 1 << 30}, headers=headers,
                   timeout=30).raise_for_status()  # fmt: skip
        path = "/repos/hedgehog/fabric"
        name = f"proxy, {count} GETs, GitHub twin"
        results.append(_compare(name, endpoint.url, path, headers, specs=specs, count=count, repetitions=repetitions))
    finally:
        twin.stop()
    return results
