"""What the invariant checks take as the branch's desired objects: every manifest under the fabric's
tree, and nothing else (a fixture may leave a broken or non-manifest file there)."""

from __future__ import annotations

from typing import Any, cast

from harness.world.invariants import Systems
from harness.world.live import World


def test_files_that_are_not_manifests_are_no_desired_objects() -> None:
    systems = Systems(world=cast(World, None), observation={}, codes=frozenset())
    # what the branch holds, as World.repo_files would have read it (the world is not what is tested)
    systems.__dict__["files"] = {
        "fabrics/f/switch-leaf-01.yaml": b"apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\n"
        b"metadata:\n  name: leaf-01\nspec: {}\n",
        "fabrics/f/empty.yaml": b"",
        "fabrics/f/broken.yaml": b"kind: [unclosed\n",
        "fabrics/f/list.yaml": b"- a\n- b\n",
        "fabrics/f/nameless.yaml": b"kind: Switch\nmetadata: {}\n",
    }
    desired: dict[str, Any] = systems.desired
    assert list(desired) == ["Switch/leaf-01"]
