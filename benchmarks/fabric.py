"""Fabrics of any size for the renderer, built as the reference's own snapshot type.

``switches`` switches: one spine per eight switches (at least one), the rest leaves in pairs, the
pairs alternately an MCLAG group (with an mclagDomain) and an ESLAG group. Every leaf is cabled to
two spines with IPv4 addresses on both ends; every pair carries three servers (an mclag or eslag,
an unbundled and a bundled connection); every ten pairs share a VPC of three subnets that the
server connections attach to. Every mapping the renderer has is exercised, and every count grows
linearly with ``switches``.
"""

from __future__ import annotations

import ipaddress
from itertools import count

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

SW, SRV = "hedgehog-switch", "hedgehog-server"
_LINK_BASE = int(ipaddress.IPv4Address("172.16.0.0"))


class _Builder:
    def __init__(self) -> None:
        self.ids = count(100)
        self.devices: list[Device] = []
        self.interfaces: list[Interface] = []
        self.cables: list[Cable] = []
        self.ips: list[IpAddress] = []
        self.ports: dict[int, int] = {}

    def device(self, name: str, role: str, **fields: object) -> Device:
        device = Device(next(self.ids), name, role, **fields)
        self.devices.append(device)
        return device

    def port(self, device: Device) -> Interface:
        number = self.ports[device.id] = self.ports.get(device.id, 0) + 1
        name = f"enp2s{number}" if device.role == SRV else f"E1/{number}"
        iface = Interface(next(self.ids), device.id, name)
        self.interfaces.append(iface)
        return iface

    def cable(self, a: Device, b: Device, connection: str, kind: str, **fields: object) -> tuple[int, int]:
        one, two = self.port(a), self.port(b)
        ends = (Termination("dcim.interface", one.id),), (Termination("dcim.interface", two.id),)
        self.cables.append(Cable(next(self.ids), *ends, connection, kind, **fields))
        return one.id, two.id


def build(switches: int) -> FabricSnapshot:
    """A valid fabric with ``switches`` switches (at least 3)."""
    b = _Builder()
    spines = [
        b.device(
            f"spine-{i:04d}",
            SW,
            device_type_id=1,
            switch_role="spine",
            asn=65000,
            serial=f"SP{i}",
            protocol_ip=f"172.30.8.{i % 250 + 1}/32",
        )
        for i in range(max(1, switches // 8))
    ]
    pairs = (switches - len(spines)) // 2
    chassis = [VirtualChassis(next(b.ids), f"group-{p:04d}", "mclag" if p % 2 == 0 else "eslag") for p in range(pairs)]
    vrfs = [Vrf(next(b.ids), f"vpc-{v:03d}", frozenset({"hh-vpc"}), "default", "vlans") for v in range(pairs // 10 + 1)]
    prefixes = [Prefix(next(b.ids), "10.0.0.0/8", "container", ipv4_namespace="default")]
    for v, vrf in enumerate(vrfs):
        for s in range(3):
            net = f"10.{v // 250}.{(v % 250) * 3 + s}"
            vid = 1000 + (v * 3 + s) % 2000
            prefixes.append(Prefix(next(b.ids), f"{net}.0/24", "active", vrf_id=vrf.id, vlan_vid=vid,
                                   vpc_subnet=f"subnet-{s}", gateway=f"{net}.1", dhcp=s == 0,
                                   dhcp_start=f"{net}.10", dhcp_end=f"{net}.99"))  # fmt: skip
    links = count()
    for p, vc in enumerate(chassis):
        leaves = [
            b.device(
                f"leaf-{p:04d}-{n}",
                SW,
                device_type_id=1,
                switch_role="server-leaf",
                virtual_chassis_id=vc.id,
                asn=65100 + p,
                primary_ip4=f"172.29.{p // 250}.{p % 250 + 1}/16",
                serial=f"L{p}-{n}",
            )
            for n in (1, 2)
        ]
        for n, leaf in enumerate(leaves):
            for spine in {spines[(2 * p + n) % len(spines)], spines[(2 * p + n + 1) % len(spines)]}:
                ends = b.cable(spine, leaf, f"{spine.name}--{leaf.name}", "fabric")
                base = _LINK_BASE + 2 * next(links)
                b.ips += [
                    IpAddress(next(b.ids), f"{ipaddress.IPv4Address(base + k)}/31", e) for k, e in enumerate(ends)
                ]
        if vc.redundancy_type == "mclag":
            for link in ("peer", "session"):
                b.cable(leaves[0], leaves[1], f"domain-{p:04d}", "mclagDomain", mclag_link=link)
        vpc = [pr.id for pr in prefixes if pr.vrf_id == vrfs[p // 10].id]
        kind = str(vc.redundancy_type)
        servers = [b.device(f"server-{p:04d}-{n}", SRV, device_type_id=2, description=f"rack {p}") for n in range(3)]
        for leaf in leaves:
            b.cable(servers[0], leaf, f"{servers[0].name}--{kind}", kind, vpc_subnets=tuple(vpc[:2]),
                    native_vlan_subnet=vpc[0])  # fmt: skip
        b.cable(servers[1], leaves[0], f"{servers[1].name}--unbundled", "unbundled", mtu=9000, vpc_subnets=(vpc[2],))
        for _ in range(2):
            b.cable(servers[2], leaves[1], f"{servers[2].name}--bundled", "bundled", fallback=True)
    return FabricSnapshot(
        site=Site(1, "Bench", "bench", frozenset({"hh-fabric"})),
        devices=tuple(b.devices),
        device_types=(DeviceType(1, "ds3000", "Celestica DS3000"), DeviceType(2, "srv")),
        virtual_chassis=tuple(chassis),
        interfaces=tuple(b.interfaces),
        cables=tuple(b.cables),
        vlan_groups=(
            VlanGroup(2, "VLANs", "vlans", ((1000, 2999),), frozenset({"hh-vlan-namespace"}), "dcim.site", 1),
        ),
        vrfs=tuple(vrfs),
        prefixes=tuple(prefixes),
        ip_addresses=tuple(b.ips),
    )
