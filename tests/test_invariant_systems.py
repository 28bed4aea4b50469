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


def _rendering(objects: list[dict[str, Any]] | None, *, intent_seen: bool = True) -> Systems:
    """Systems over the repository's specs whose render of the current intent is ``objects`` (what
    the adapter's renderer would have made of NetBox; neither is what is tested)."""
    systems = _systems_reading({})
    systems.intent_seen = intent_seen
    systems.__dict__["rendered_objects"] = (objects, "the renderer refuses the current intent: x")
    return systems


def test_render_passes_contract_validates_the_current_render_of_the_object() -> None:
    passes = CHECKS["resource_lifecycle"]["render_passes_contract"]
    leaf = {"apiVersion": "wiring.githedgehog.com/v1beta1", "kind": "Switch",
            "metadata": {"name": "leaf-01", "namespace": "default"}, "spec": {"role": "server-leaf"}}  # fmt: skip
    assert passes(_rendering([leaf]), "switches/leaf-01")[0] is True
    bad = {**leaf, "spec": {"role": "server-leaf", "asn": "65100"}}
    holds, detail = passes(_rendering([bad]), "switches/leaf-01")
    assert holds is False and "asn" in detail
    assert passes(_rendering([leaf]), "switches/leaf-02")[0] is False  # the run read this intent: no such source
    assert passes(_rendering([leaf], intent_seen=False), "switches/leaf-02")[0] is None  # NetBox may have changed
    assert passes(_rendering(None), "switches/leaf-01") == (None, "the renderer refuses the current intent: x")
