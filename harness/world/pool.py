"""The live worlds of a session, one at a time: every world resets the one NetBox, so asking for a
world of another kind closes the current one first. Items are ordered by world kind (see the
plugin), so each kind is built once per session.

Kinds:

- ``direct``: the implementation behind a contract proxy at each boundary, GitOps mode direct,
  a first sync done (the baseline the fault recipes start from);
- ``pull_request``: the same in pull-request mode with auto-merge and one required check
  (``REQUIRED_CHECK``), settled in_sync;
- ``model``: a direct world of its own for the crash and world items (each twin has GitHub's
  hourly request budget, and those items spend much of it).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import Any

from harness.adapter import Adapter
from harness.spec.models import SpecSet
from harness.targets.base import Endpoint, Target, TargetError
from harness.world.bad_input import REQUIRED_CHECK
from harness.world.live import World, make_world

KINDS = ("direct", "model", "pull_request")
# > the 10 s slow controller of HH-K8S-007's recipe: a watch outlives the catalog's attempts
READY_TIMEOUT_S = "14"
SETTINGS: Mapping[str, Mapping[str, str]] = {
    "direct": {"ready_timeout_s": READY_TIMEOUT_S},
    "pull_request": {"ready_timeout_s": READY_TIMEOUT_S, "auto_merge": "true", "required_checks": REQUIRED_CHECK},
    "model": {"ready_timeout_s": READY_TIMEOUT_S},
}
MODES = {"direct": "direct", "pull_request": "pull_request", "model": "direct"}


class WorldPool:
    """Hands out the world of a kind, building it (and closing any other) on first use."""

    def __init__(
        self,
        adapter: Adapter,
        specs: SpecSet,
        netbox_target: Target,
        netbox: Endpoint,
        *,
        crds_dir: Path,
        spec_root: Path,
        workdir: Callable[[str], Path],
        baseline: Callable[[str, World], None],
    ) -> None:
        self._args = (adapter, specs, netbox_target, netbox)
        self._crds_dir, self._spec_root, self._workdir, self._baseline = crds_dir, spec_root, workdir, baseline
        self._kind: str | None = None
        self._world: World | None = None
        self._gen: Generator[World] | None = None

    def get(self, kind: str) -> World:
        if kind not in KINDS:
            raise ValueError(f"no live world of kind {kind!r} (kinds: {', '.join(KINDS)})")
        if self._kind == kind and self._world is not None:
            return self._world
        self.close()
        gen = make_world(*self._args, crds_dir=self._crds_dir, workdir=self._workdir(kind), spec_root=self._spec_root,
                         mode=MODES[kind], proxied=True,
                         settings={**SETTINGS[kind], "webhook_secret": secrets.token_hex(16)})  # fmt: skip
        world = next(gen)
        self._gen, self._world, self._kind = gen, world, kind
        try:
            self._baseline(kind, world)
        except BaseException:
            self.close()
            raise
        return world

    def close(self) -> None:
        gen, self._gen, self._world, self._kind = self._gen, None, None, None
        if gen is not None:
            gen.close()


def never_synced(world: World, specs: SpecSet, recorder: Any, files: Mapping[str, str]) -> None:
    """Before the first sync of a fresh world, the fabric still planned (hh_fabric_status): a sync
    must be refused (no run starts before the fabric goes into service), and the invariants of the
    states the implementation then reports (fabric_status planned, fabric_sync never_synced) are
    evaluated on the systems. Then the fabric is active again. A broken expectation is the world's
    error: every item in it would start from a wrong baseline."""
    from harness.world.invariants import check_invariants  # noqa: PLC0415 - imports the adapter's renderer

    world.set_fabric_status("planned")
    try:
        refused = world.act("sync")
        problems = [] if refused.returncode != 0 else ["a sync of a planned fabric exited 0: no run may start"]
        seen = world.observe()
        fabric = seen.get("fabric") or {}
        for machine, want in (("fabric_status", "planned"), ("fabric_sync", "never_synced")):
            got = (fabric.get(machine) or {}).get("state")
            if got != want:
                problems.append(f"{machine} is {got!r} after a refused sync of a planned fabric, not {want!r}")
        problems += check_invariants(world, specs, recorder, files, seen)
    finally:
        world.set_fabric_status("active")
    require(problems, "before its first sync")


def awaiting_merge(world: World, specs: SpecSet, recorder: Any, files: Mapping[str, str]) -> None:
    """After the first sync of the pull-request world, its pull request open and its required check
    not reported yet: the invariants of the states the implementation reports (fabric_sync
    awaiting_merge, the pull request's state), evaluated on NetBox and GitHub."""
    from harness.world.invariants import check_invariants  # noqa: PLC0415

    require(check_invariants(world, specs, recorder, files), "with its first sync pull request open")


def require(problems: list[str], when: str) -> None:
    """A baseline that breaks is the world's error: every item in it would start from a wrong one."""
    if problems:
        raise TargetError(f"{when} the implementation's world breaks: " + "; ".join(problems))


def first_sync(world: World) -> None:
    """The baseline: one clean sync of the fabric."""
    first = world.act("sync")
    if first.returncode != 0:
        raise TargetError(f"the implementation's first sync of the world failed: {first.stderr[-1000:]}")
