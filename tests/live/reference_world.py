"""The harness's live world (harness.world.live) around the reference integration, with what the
reference's own tests also use: its command line with every option,
its configuration environment and its NetBox client."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Generator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from hh_reference.netbox import NetBox
from hh_reference.specs import load_catalog

from harness.adapter import load_adapter
from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, schema_dir
from harness.targets.base import Endpoint, Target
from harness.world import live
from harness.world.live import FABRIC, REPO, WORLD_READY_DELAY_S, rendered_keys

__all__ = ["FABRIC", "REPO", "ROOT", "SPECS", "WORLD_READY_DELAY_S", "World", "make_world", "rendered_keys"]

ROOT = Path(__file__).resolve().parents[2]
SPECS = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs
ADAPTER = load_adapter("reference")


@dataclass
class World(live.World):
    nb: Any = None  # the reference's own NetBox client (hh_reference.netbox.NetBox)
    # the environment `reference` runs with: this process's, its REFERENCE_* settings those of the
    # adapter for this world; a test may change settings here (auto-merge, required checks, ...)
    env: dict[str, str] = field(default_factory=dict)

    def reference(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hh_reference.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def make_world(
    netbox_target: Target,
    netbox: Endpoint,
    crds_dir: Path,
    tmp_path: Path,
    *,
    mode: str = "direct",
    proxied: bool = False,
) -> Generator[World]:
    """The harness's world for the reference (see harness.world.live.make_world)."""
    worlds = live.make_world(ADAPTER, SPECS, netbox_target, netbox, crds_dir=crds_dir, workdir=tmp_path,
                             spec_root=ROOT, mode=mode, proxied=proxied)  # fmt: skip
    base = next(worlds)
    nb = NetBox.connect(netbox.url, netbox.secret or "", load_catalog(ROOT))
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REFERENCE_")}
        env |= base.command("sync").env
        yield World(**{f.name: getattr(base, f.name) for f in fields(base)}, nb=nb, env=env)
    finally:
        nb.close()
        worlds.close()
