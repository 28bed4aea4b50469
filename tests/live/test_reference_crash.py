"""Crash safety: `reference sync` killed (SIGKILL) right after each step converges, when run
again, to the end state of an uninterrupted run: one sync commit, the cluster equal to the render
with no orphan, NetBox saying in_sync, no open sync left."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.targets.base import Endpoint, Target
from tests.live.reference_world import FABRIC, World, make_world, rendered_keys

pytestmark = pytest.mark.live

CRASH_POINTS = [
    "begin_sync",
    "read_intent",
    "render",
    "create_blobs",
    "create_tree",
    "create_commit",
    "update_ref",
    "apply_object",
    "apply",
    "prune",
    "wait_ready",
    "write_status_field",
    "write_status",
]


@pytest.fixture
def world(netbox_target: Target, netbox: Endpoint, crds_dir: Path, tmp_path: Path) -> Iterator[World]:
    yield from make_world(netbox_target, netbox, crds_dir, tmp_path)


@pytest.mark.parametrize("step", CRASH_POINTS)
def test_a_sync_killed_after_a_step_converges_when_run_again(world: World, step: str) -> None:
    killed = world.reference("sync", "--fabric", FABRIC, crash_after=step)
    assert killed.returncode == -signal.SIGKILL, f"expected a kill after {step}: {killed.stderr[-500:]}"

    again = world.reference("sync", "--fabric", FABRIC)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["state"] == "in_sync"

    files = world.repo_files()
    assert len([c for c in world.commits() if "Hedgehog-Sync-Digest" in c["message"]]) == 1
    assert set(world.cluster_objects()) == rendered_keys(files)
    assert world.nb.fabric(FABRIC).custom_fields["hh_sync_status"]["value"] == "in_sync"
    status = world.reference("status", "--fabric", FABRIC)
    assert json.loads(status.stdout)[FABRIC]["fabric_sync"] == "in_sync"
