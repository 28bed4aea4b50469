"""What the invariant checks take from the systems: as the branch's desired objects, every manifest
under the fabric's tree and nothing else (a fixture may leave a broken or non-manifest file there);
as a resource's NetBox source, what its mapping contract selects and names."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, schema_dir
from harness.world.invariants import CHECKS, Systems
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


def _systems_reading(netbox: dict[str, list[dict[str, Any]]]) -> Systems:
    """Systems over the repository's specs whose NetBox reads answer ``netbox`` (as the harness's
    NetBox client would have listed it; the world is not what is tested)."""
    root = Path(__file__).resolve().parents[1]
    specs = load_specs(default_spec_paths(root), schema_dir(root), root).specs
    systems = Systems(world=cast(World, SimpleNamespace(specs=specs)), observation={}, codes=frozenset())
    systems.__dict__["_netbox"] = netbox
    return systems


def test_netbox_source_absent_follows_the_mapping_contracts_select_and_name_rule() -> None:
    absent = CHECKS["resource_lifecycle"]["netbox_source_absent"]
    devices = [
        {"id": 1, "name": "Leaf 01", "role": {"slug": "hedgehog-switch"}},
        {"id": 2, "name": "server_07", "role": {"slug": "hedgehog-server"}},
        {"id": 3, "name": "leaf-02", "role": {"slug": "patch-panel"}},  # another role: renders nothing
    ]
    vrfs = [{"id": 4, "name": "VPC One", "tags": [{"slug": "hh-vpc"}]}, {"id": 5, "name": "vpc-2", "tags": []}]
    systems = _systems_reading({"dcim.devices": devices, "ipam.vrfs": vrfs})
    assert absent(systems, "switches/leaf-01")[0] is False  # "Leaf 01" normalises to leaf-01
    assert absent(systems, "servers/server-07")[0] is False
    assert absent(systems, "switches/server-07")[0] is True  # a server is no switch
    assert absent(systems, "switches/leaf-02")[0] is True
    assert absent(systems, "vpcs/vpc-one")[0] is False
    assert absent(systems, "vpcs/vpc-2")[0] is True  # not tagged hh-vpc
    # a VPCAttachment is named through a relation the contract defines in prose: not evaluated
    assert absent(systems, "vpcattachments/a--b")[0] is None
