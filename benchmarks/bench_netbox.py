"""The managed NetBox's cost per API request with persistent database connections against one
connection per request (what it was configured with before): two managed instances side by side,
the same sequential GETs against each. Needs NetBox installed (warm: about a minute to start both)."""

from __future__ import annotations

import time

import httpx

from benchmarks.sidebyside import Ratio, side_by_side
from harness.targets.netbox.managed import ManagedNetBox

PORTS = {"persistent": 8797, "per-request": 8798}
PATHS = ("/api/dcim/sites/", "/api/dcim/devices/", "/api/ipam/prefixes/", "/api/ipam/ip-addresses/",
         "/api/extras/journal-entries/", "/api/dcim/interfaces/")  # fmt: skip


def _gets(url: str, token: str, requests: int) -> float:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        client.get(PATHS[0]).raise_for_status()  # a warm connection and worker
        started = time.perf_counter()
        for i in range(requests):
            client.get(PATHS[i % len(PATHS)]).raise_for_status()
        return time.perf_counter() - started


def run(requests: int, repetitions: int) -> list[Ratio]:
    instances = {
        "persistent": ManagedNetBox(port=PORTS["persistent"]),
        "per-request": ManagedNetBox(port=PORTS["per-request"], conn_max_age=0),
    }
    for netbox in instances.values():
        netbox.stop()  # one left running would keep the configuration it was started with
    try:
        endpoints = {name: netbox.start() for name, netbox in instances.items()}
        fast, slow = endpoints["persistent"], endpoints["per-request"]
        return [
            side_by_side(
                f"NetBox, {requests} GETs, persistent connections",
                lambda: _gets(fast.url, fast.secret or "", requests),
                "a database connection per request",
                lambda: _gets(slow.url, slow.secret or "", requests),
                repetitions,
            )
        ]
    finally:
        for netbox in instances.values():
            netbox.stop()
