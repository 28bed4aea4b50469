"""The render implements contracts/mappings/*.yaml: every kind, every Connection variant, determinism,
contract and CRD validity of the output, and each mapping's reject code."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hh_reference.errors import IntegrationError
from hh_reference.importer import import_manifests, load_manifests
from hh_reference.manifests import to_files
from hh_reference.netbox import NetBox
from hh_reference.render import render_fabric
from hh_reference.snapshot import (
    Cable,
    Device,
    DeviceType,
    FabricSnapshot,
    Interface,
    IpAddress,
    Prefix,
    Site,
    Termination,
    VirtualChassis,
    VlanGroup,
    Vrf,
)
from hh_reference.specs import load_catalog

from harness.kube.admission import check_manifest_object
from harness.kube.crds import CrdRegistry

SW, SRV = "hedgehog-switch", "hedgehog-server"


class Fabric:
    """Builds a FabricSnapshot the way NetBox would hold the fabric."""

    def __init__(self) -> None:
        self.snap = FabricSnapshot(
            site=Site(1, "Fab", "fab", frozenset({"hh-fabric"})),
            device_types=(DeviceType(1, "ds3000", "Celestica DS3000"), DeviceType(2, "srv")),
            virtual_chassis=(VirtualChassis(10, "MCLAG 1", "mclag"), VirtualChassis(11, "eslag-1", "eslag")),
            vlan_groups=(
                VlanGroup(
                    20, "VLANs", "vlans", ((1000, 1999), (100, 199)), frozenset({"hh-vlan-namespace"}), "dcim.site", 1
                ),
            ),
            vrfs=(Vrf(30, "VPC-1", frozenset({"hh-vpc"}), "default", "vlans"),),
            prefixes=(
                Prefix(40, "10.1.0.0/16", "container", ipv4_namespace="default"),
                Prefix(41, "10.0.0.0/16", "container", ipv4_namespace="default"),
                Prefix(
                    42,
                    "10.0.1.0/24",
                    "active",
                    vrf_id=30,
                    vlan_vid=1001,
                    vpc_subnet="web",
                    gateway="10.0.1.1",
                    dhcp=True,
                    dhcp_start="10.0.1.10",
                    dhcp_end="10.0.1.20",
                ),
                Prefix(43, "10.1.2.0/24", "active", vrf_id=30, vlan_vid=150, vpc_subnet="db"),
            ),
        )
        self.ids = iter(range(1000, 100000))
        for index, name in enumerate(("spine-01", "leaf-01", "leaf-02", "leaf-03", "leaf-04"), start=1):
            vc = {"leaf-01": 10, "leaf-02": 10, "leaf-03": 11, "leaf-04": 11}.get(name)
            role = "spine" if name.startswith("spine") else "server-leaf"
            self.device(
                name,
                SW,
                switch_role=role,
                virtual_chassis_id=vc,
                asn=65000 + index,
                serial=f"S{index}",
                primary_ip4=f"172.30.1.{index}/24",
                protocol_ip=f"172.30.8.{index}/32",
            )
        for name in ("server-01", "server-02"):
            self.device(name, SRV, device_type_id=2, description=f"{name} of rack 1")

    def device(self, name: str, role: str, **fields: Any) -> None:
        fields.setdefault("device_type_id", 1)
        self.snap = replace(self.snap, devices=(*self.snap.devices, Device(next(self.ids), name, role, **fields)))

    def port(self, ref: str) -> int:
        device, name = ref.split("/", 1)
        dev = next(d for d in self.snap.devices if d.name == device)
        for iface in self.snap.interfaces:
            if iface.device_id == dev.id and iface.name == name:
                return iface.id
        iface = Interface(next(self.ids), dev.id, name)
        self.snap = replace(self.snap, interfaces=(*self.snap.interfaces, iface))
        return iface.id

    def cable(self, a: str, b: str, connection: str | None, kind: str | None, **fields: Any) -> None:
        ends = [(Termination("dcim.interface", self.port(ref)),) for ref in (a, b)]
        cable = Cable(next(self.ids), ends[0], ends[1], connection, kind, **fields)
        self.snap = replace(self.snap, cables=(*self.snap.cables, cable))

    def ip(self, ref: str, address: str) -> None:
        self.snap = replace(
            self.snap, ip_addresses=(*self.snap.ip_addresses, IpAddress(next(self.ids), address, self.port(ref)))
        )

    def full(self) -> FabricSnapshot:
        """One connection of every kind, and VPC attachments."""
        self.cable(
            "server-01/eth0",
            "leaf-01/E1/1",
            "server-01--unbundled",
            "unbundled",
            mtu=9000,
            vpc_subnets=(42,),
            native_vlan_subnet=42,
        )
        self.cable("server-02/eth1", "leaf-02/E1/2", "server-02--bundled", "bundled", fallback=True)
        self.cable("server-02/eth0", "leaf-02/E1/1", "server-02--bundled", "bundled", fallback=True)
        self.cable("leaf-02/E1/5", "server-02/eth2", "Server-02 MCLAG", "mclag", vpc_subnets=(42, 43))
        self.cable("server-02/eth3", "leaf-01/E1/5", "Server-02 MCLAG", "mclag", vpc_subnets=(42, 43))
        self.cable("server-01/eth2", "leaf-03/E1/5", "server-01--eslag", "eslag", mtu=1500)
        self.cable("server-01/eth3", "leaf-04/E1/5", "server-01--eslag", "eslag", mtu=1500)
        self.cable("leaf-02/E1/10", "leaf-01/E1/10", "mclag-domain", "mclagDomain", mclag_link="peer")
        self.cable("leaf-01/E1/11", "leaf-02/E1/11", "mclag-domain", "mclagDomain", mclag_link="session")
        self.cable("leaf-03/E1/49", "spine-01/E1/1", "spine-01--leaf-03", "fabric")
        self.ip("spine-01/E1/1", "172.30.128.0/31")
        self.ip("leaf-03/E1/49", "172.30.128.1/31")
        return self.snap


def by_name(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


@pytest.fixture
def rendered() -> list[dict[str, Any]]:
    return render_fabric(Fabric().full())


CONNECTIONS = {
    "server-01--unbundled": {
        "unbundled": {"link": {"server": {"port": "server-01/eth0"}, "switch": {"port": "leaf-01/E1/1"}}, "mtu": 9000}
    },
    "server-02--bundled": {
        "bundled": {
            "links": [
                {"server": {"port": "server-02/eth0"}, "switch": {"port": "leaf-02/E1/1"}},
                {"server": {"port": "server-02/eth1"}, "switch": {"port": "leaf-02/E1/2"}},
            ],
            "fallback": True,
        }
    },
    "server-02-mclag": {
        "mclag": {
            "links": [
                {"server": {"port": "server-02/eth2"}, "switch": {"port": "leaf-02/E1/5"}},
                {"server": {"port": "server-02/eth3"}, "switch": {"port": "leaf-01/E1/5"}},
            ]
        }
    },
    "server-01--eslag": {
        "eslag": {
            "links": [
                {"server": {"port": "server-01/eth2"}, "switch": {"port": "leaf-03/E1/5"}},
                {"server": {"port": "server-01/eth3"}, "switch": {"port": "leaf-04/E1/5"}},
            ],
            "mtu": 1500,
        }
    },
    "mclag-domain": {
        "mclagDomain": {
            "peerLinks": [{"switch1": {"port": "leaf-01/E1/10"}, "switch2": {"port": "leaf-02/E1/10"}}],
            "sessionLinks": [{"switch1": {"port": "leaf-01/E1/11"}, "switch2": {"port": "leaf-02/E1/11"}}],
        }
    },
    "spine-01--leaf-03": {
        "fabric": {
            "links": [
                {
                    "spine": {"port": "spine-01/E1/1", "ip": "172.30.128.0/31"},
                    "leaf": {"port": "leaf-03/E1/49", "ip": "172.30.128.1/31"},
                }
            ]
        }
    },
}


@pytest.mark.parametrize("name", sorted(CONNECTIONS))
def test_every_connection_kind_renders_its_links_sorted(rendered: list[dict[str, Any]], name: str) -> None:
    obj = by_name(rendered, "Connection", name)
    assert obj["apiVersion"] == "wiring.githedgehog.com/v1beta1"
    assert obj["spec"] == CONNECTIONS[name]


def test_switch_fields_follow_the_switch_mapping(rendered: list[dict[str, Any]]) -> None:
    assert by_name(rendered, "Switch", "leaf-01")["spec"] == {
        "role": "server-leaf",
        "profile": "celestica-ds3000",
        "asn": 65002,
        "ip": "172.30.1.2/24",
        "protocolIP": "172.30.8.2/32",
        "groups": ["mclag-1"],
        "redundancy": {"group": "mclag-1", "type": "mclag"},
        "vlanNamespaces": ["vlans"],
        "boot": {"serial": "S2"},
    }
    assert "redundancy" not in by_name(rendered, "Switch", "spine-01")["spec"]


def test_servers_groups_and_namespaces(rendered: list[dict[str, Any]]) -> None:
    assert by_name(rendered, "Server", "server-01")["spec"] == {"description": "server-01 of rack 1"}
    assert [o["metadata"]["name"] for o in rendered if o["kind"] == "SwitchGroup"] == ["eslag-1", "mclag-1"]
    assert by_name(rendered, "SwitchGroup", "mclag-1")["spec"] == {}
    assert by_name(rendered, "VLANNamespace", "vlans")["spec"] == {
        "ranges": [{"from": 100, "to": 199}, {"from": 1000, "to": 1999}]
    }
    assert by_name(rendered, "IPv4Namespace", "default")["spec"] == {"subnets": ["10.0.0.0/16", "10.1.0.0/16"]}


def test_vpc_and_attachments(rendered: list[dict[str, Any]]) -> None:
    vpc = by_name(rendered, "VPC", "vpc-1")
    assert vpc["apiVersion"] == "vpc.githedgehog.com/v1beta1"
    assert vpc["spec"] == {
        "ipv4Namespace": "default",
        "vlanNamespace": "vlans",
        "subnets": {
            "db": {"subnet": "10.1.2.0/24", "vlan": 150},
            "web": {
                "subnet": "10.0.1.0/24",
                "vlan": 1001,
                "gateway": "10.0.1.1",
                "dhcp": {"enable": True, "range": {"start": "10.0.1.10", "end": "10.0.1.20"}},
            },
        },
    }
    attachments = {o["metadata"]["name"]: o["spec"] for o in rendered if o["kind"] == "VPCAttachment"}
    assert attachments == {
        "server-01--unbundled--vpc-1--web": {
            "connection": "server-01--unbundled",
            "subnet": "vpc-1/web",
            "nativeVLAN": True,
        },
        "server-02-mclag--vpc-1--db": {"connection": "server-02-mclag", "subnet": "vpc-1/db"},
        "server-02-mclag--vpc-1--web": {"connection": "server-02-mclag", "subnet": "vpc-1/web"},
    }


def test_render_is_deterministic_whatever_the_read_order() -> None:
    snap = Fabric().full()
    shuffled = random.Random(7)
    fields = ("devices", "interfaces", "cables", "prefixes", "ip_addresses", "virtual_chassis")
    mixed = replace(snap, **{f: tuple(shuffled.sample(getattr(snap, f), len(getattr(snap, f)))) for f in fields})
    assert to_files("fabrics", "fab", render_fabric(mixed)) == to_files("fabrics", "fab", render_fabric(snap))


def test_output_satisfies_the_kubernetes_contracts_and_the_real_crds(
    rendered: list[dict[str, Any]], project_root: Path, crds_dir: Path
) -> None:
    schemas = {}
    for path in sorted((project_root / "contracts" / "kubernetes").glob("*.yaml")):
        for resource in yaml.safe_load(path.read_text())["resources"]:
            schemas[resource["kind"]] = resource["schema"]
    registry = CrdRegistry()
    registry.load_paths([crds_dir])
    assert {o["kind"] for o in rendered} == {
        "Switch",
        "Server",
        "Connection",
        "SwitchGroup",
        "VLANNamespace",
        "IPv4Namespace",
        "VPC",
        "VPCAttachment",
    }
    for obj in rendered:
        jsonschema.validate(obj, schemas[obj["kind"]], cls=jsonschema.Draft202012Validator)
        report = check_manifest_object(registry, obj, obj["metadata"]["name"])
        assert report.ok, report.errors


def _mutate(build: Callable[[Fabric], None]) -> FabricSnapshot:
    fabric = Fabric()
    build(fabric)
    return fabric.snap


def _device(fabric: Fabric, device: str, /, **changes: Any) -> None:
    devices = tuple(replace(d, **changes) if d.name == device else d for d in fabric.snap.devices)
    fabric.snap = replace(fabric.snap, devices=devices)


def _front_port_cable(fabric: Fabric) -> None:
    fabric.cable("server-01/eth0", "leaf-01/E1/1", "c", "unbundled")
    fabric.snap = replace(fabric.snap, cables=(replace(fabric.snap.cables[0], a=(Termination("dcim.frontport", 5),)),))


def _vlan_ranges(fabric: Fabric, ranges: tuple[tuple[int, int], ...]) -> None:
    fabric.snap = replace(fabric.snap, vlan_groups=(replace(fabric.snap.vlan_groups[0], vid_ranges=ranges),))


def _vrf(fabric: Fabric, **changes: Any) -> None:
    fabric.snap = replace(fabric.snap, vrfs=(replace(fabric.snap.vrfs[0], **changes),))


def _fabric_attachment(fabric: Fabric) -> None:
    fabric.cable("spine-01/E1/1", "leaf-03/E1/49", "c", "fabric", vpc_subnets=(42,))
    fabric.ip("spine-01/E1/1", "172.30.128.0/31")
    fabric.ip("leaf-03/E1/49", "172.30.128.1/31")


def _prefix(fabric: Fabric, prefix_id: int, **changes: Any) -> None:
    fabric.snap = replace(
        fabric.snap, prefixes=tuple(replace(p, **changes) if p.id == prefix_id else p for p in fabric.snap.prefixes)
    )


REJECTS: dict[str, tuple[Callable[[Fabric], None], str]] = {
    "switch name not a dns label": (lambda f: _device(f, "leaf-04", name="___"), "HH-VAL-001"),
    "vpc subnet key not a dns label": (lambda f: _prefix(f, 43, vpc_subnet="!!"), "HH-VAL-001"),
    "attachment name too long": (
        lambda f: f.cable("server-01/eth9", "leaf-01/E1/9", "x" * 55, "unbundled", vpc_subnets=(42,)),
        "HH-VAL-001",
    ),
    "termination not an interface": (_front_port_cable, "HH-VAL-002"),
    "port name with a space": (lambda f: f.cable("server-01/eth 0", "leaf-01/E1/1", "c", "unbundled"), "HH-VAL-002"),
    "vlan range beyond 4094": (lambda f: _vlan_ranges(f, ((1, 4095),)), "HH-VAL-003"),
    "subnet vlan outside the namespace": (lambda f: _prefix(f, 43, vlan_vid=500), "HH-VAL-003"),
    "gateway outside its subnet": (lambda f: _prefix(f, 42, gateway="10.0.2.1"), "HH-VAL-004"),
    "protocol ip not /32": (lambda f: _device(f, "leaf-01", protocol_ip="172.30.8.1/24"), "HH-VAL-004"),
    "ipv6 namespace prefix": (lambda f: _prefix(f, 40, prefix="2001:db8::/32"), "HH-VAL-004"),
    "unknown switch role": (lambda f: _device(f, "leaf-01", switch_role="super-spine"), "HH-VAL-005"),
    "unbundled with two cables": (
        lambda f: [f.cable(f"server-01/eth{i}", f"leaf-01/E1/{i}", "c", "unbundled") for i in (1, 2)],
        "HH-VAL-006",
    ),
    "bundled to two switches": (
        lambda f: [f.cable(f"server-01/eth{i}", f"leaf-0{i}/E1/1", "c", "bundled") for i in (1, 2)],
        "HH-VAL-006",
    ),
    "mclag across groups": (
        lambda f: [f.cable(f"server-01/eth{i}", f"leaf-0{i + 1}/E1/1", "c", "mclag") for i in (1, 2)],
        "HH-VAL-006",
    ),
    "eslag to one switch": (
        lambda f: [f.cable(f"server-01/eth{i}", f"leaf-03/E1/{i}", "c", "eslag") for i in (1, 2)],
        "HH-VAL-006",
    ),
    "fabric between two leaves": (lambda f: f.cable("leaf-01/E1/49", "leaf-03/E1/49", "c", "fabric"), "HH-VAL-006"),
    "mclagDomain without session links": (
        lambda f: f.cable("leaf-01/E1/10", "leaf-02/E1/10", "c", "mclagDomain", mclag_link="peer"),
        "HH-VAL-006",
    ),
    "unsupported kind": (lambda f: f.cable("server-01/eth0", "leaf-01/E1/1", "c", "vpcLoopback"), "HH-VAL-006"),
    "attachment on a fabric connection": (_fabric_attachment, "HH-VAL-006"),
    "cable without a kind": (lambda f: f.cable("server-01/eth0", "leaf-01/E1/1", "c", None), "HH-VAL-007"),
    "switch role empty": (lambda f: _device(f, "leaf-01", switch_role=None), "HH-VAL-007"),
    "fabric link without an ip": (lambda f: f.cable("spine-01/E1/1", "leaf-03/E1/49", "c", "fabric"), "HH-VAL-007"),
    "mclag link role missing": (lambda f: f.cable("leaf-01/E1/10", "leaf-02/E1/10", "c", "mclagDomain"), "HH-VAL-007"),
    "vpc without a vlan namespace": (lambda f: _vrf(f, vlan_namespace=None), "HH-VAL-007"),
    "subnet without a vlan": (lambda f: _prefix(f, 42, vlan_vid=None), "HH-VAL-007"),
    "native subnet not attached": (
        lambda f: f.cable("server-01/eth0", "leaf-01/E1/1", "c", "unbundled", vpc_subnets=(42,), native_vlan_subnet=43),
        "HH-VAL-007",
    ),
    "switch and server collide": (lambda f: f.device("Leaf 01", SRV), "HH-VAL-008"),
    "connections collide": (
        lambda f: [
            f.cable(f"server-0{i}/eth0", f"leaf-01/E1/{i}", n, "unbundled") for i, n in ((1, "a b"), (2, "A-B"))
        ],
        "HH-VAL-008",
    ),
    "subnet outside the ipv4 namespace": (lambda f: _prefix(f, 43, prefix="192.168.0.0/24"), "HH-VAL-012"),
}


@pytest.mark.parametrize("case", sorted(REJECTS))
def test_each_mapping_reject_raises_its_catalog_code(case: str) -> None:
    build, code = REJECTS[case]
    with pytest.raises(IntegrationError) as caught:
        render_fabric(_mutate(build))
    assert caught.value.code == code, caught.value.message


# Import is the render's inverse: what it cannot hold is reported with its code and file, never dropped.

SWITCH_DOC = (
    "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata: {name: leaf-01}\nspec: {role: server-leaf}\n"
)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_import_reads_many_objects_per_file(tmp_path: Path) -> None:
    server = "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Server\nmetadata: {name: server-01}\nspec: {}\n"
    objects, problems = load_manifests(_tree(tmp_path, {"all.yaml": SWITCH_DOC + "---\n" + server}))
    assert problems == []
    assert [(where, obj["kind"]) for where, obj in objects] == [("all.yaml#0", "Switch"), ("all.yaml#1", "Server")]


@pytest.mark.parametrize(
    ("text", "code", "mention"),
    [
        (SWITCH_DOC.replace("v1beta1", "v1alpha2"), "HH-VAL-009", "v1alpha2"),
        (SWITCH_DOC.replace("kind: Switch", "kind: SwitchProfile"), "HH-VAL-010", "SwitchProfile"),
        (SWITCH_DOC.replace("server-leaf", "super-spine"), "HH-VAL-011", "spec/role"),
        ("kind: [unclosed\n", "HH-VAL-011", "not valid YAML"),
    ],
)
def test_import_reports_each_bad_document_with_code_and_file(
    tmp_path: Path, text: str, code: str, mention: str
) -> None:
    objects, problems = load_manifests(_tree(tmp_path, {"switches/leaf-01.yaml": SWITCH_DOC, "bad/x.yaml": text}))
    assert [o["metadata"]["name"] for _, o in objects] == ["leaf-01"]
    assert [(p.code, p.file.split("#")[0]) for p in problems] == [(code, "bad/x.yaml")]
    assert mention in problems[0].message


def test_import_creates_nothing_when_a_field_has_no_netbox_home(tmp_path: Path, project_root: Path) -> None:
    server = "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Server\nmetadata: {name: s1}\nspec: {profile: big}\n"
    # a closed port: any write attempt would fail with a network error instead of a report
    unreachable = NetBox.connect("http://127.0.0.1:9", "nbt_x.y", load_catalog(project_root))
    report = import_manifests(unreachable, "fab", _tree(tmp_path, {"s1.yaml": server}))
    assert not report.ok
    assert [(p.code, p.file) for p in report.problems] == [("HH-VAL-011", "s1.yaml#0")]
    assert "spec.profile" in report.problems[0].message
    assert report.imported == {}
