"""The reference renderer on fabrics of growing size: per-switch cost at N against at 10 switches.

A linear renderer keeps the ratio near 1; a quadratic one multiplies it by the size factor.
"""

from __future__ import annotations

import time
from functools import partial

from hh_reference.render import render_fabric

from benchmarks.fabric import build
from benchmarks.sidebyside import Ratio, side_by_side

SMALL = 10


def _per_switch(switches: int, budget_s: float) -> float:
    """Seconds per switch of one render, renders repeated until ``budget_s`` (at least one)."""
    snap = build(switches)
    size = sum(1 for d in snap.devices if d.role == "hedgehog-switch")
    renders = 0
    started = time.perf_counter()
    while True:
        render_fabric(snap)
        renders += 1
        elapsed = time.perf_counter() - started
        if elapsed >= budget_s:
            return elapsed / renders / size


def run(sizes: tuple[int, ...], repetitions: int) -> list[Ratio]:
    """Per-switch render cost at each of ``sizes`` vs at 10 switches, interleaved."""
    small = partial(_per_switch, SMALL, 0.2)
    return [
        side_by_side(
            f"render {n} switches, per switch",
            partial(_per_switch, n, 0.2),
            f"render {SMALL} switches, per switch",
            small,
            repetitions,
        )
        for n in sizes
    ]
