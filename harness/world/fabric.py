"""The test fabric the live suites act on, built in a real NetBox through its REST API only.

The fabric: a site tagged hh-fabric; 2 spines; 4 leaves, two in an MCLAG group and two in an
ESLAG group; 8 servers with unbundled, bundled, mclag and eslag connections; spine-leaf fabric
links with IPv4 addresses on both ends; an mclagDomain; a VLAN namespace; an IPv4 namespace; and
2 VPCs with 3 subnets attached to server connections. NetBox must already hold the integration's
setup (its custom fields, tags and choices: the adapter's ``setup`` action).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class NetBox(Protocol):
    """What the builder needs of a NetBox client (:class:`harness.world.netbox_api.NetBoxApi`)."""

    def create(self, model: str, body: Mapping[str, Any]) -> dict[str, Any]: ...

    def list_all(self, model: str, **params: Any) -> list[dict[str, Any]]: ...

    def update(self, model: str, object_id: int, body: Mapping[str, Any]) -> dict[str, Any]: ...


SITE = "hh-e2e"
VLAN_NAMESPACE = "default-vlans"
IPV4_NAMESPACE = "default"
SWITCH_PROFILE = "celestica-ds3000"


@dataclass
class BuiltFabric:
    """What the builder made, by the names the rendered objects must carry."""

    site_slug: str
    site_id: int
    switches: list[str] = field(default_factory=list)
    servers: list[str] = field(default_factory=list)
    switch_groups: list[str] = field(default_factory=list)
    connections: dict[str, str] = field(default_factory=dict)  # name -> kind
    vpcs: dict[str, list[str]] = field(default_factory=dict)  # name -> subnet keys
    attachments: list[str] = field(default_factory=list)


class _Builder:
    """Creates what needs an id at once; devices, interfaces, addresses and cables are planned and
    then created with NetBox's bulk create, one POST per table, in the order one POST per object
    would have used (so every object gets the same id: recorded traffic does not change)."""

    def __init__(self, netbox: NetBox, slug: str) -> None:
        self.nb = netbox
        self.slug = slug
        self.devices: dict[str, int] = {}
        self.ports: dict[tuple[str, str], int] = {}
        self.subnets: dict[str, int] = {}  # "<vpc>/<subnet>" -> prefix id
        self.ips: list[tuple[str, str, str]] = []  # (device, port, address), in creation order
        self.cables: list[tuple[tuple[str, str], tuple[str, str], dict[str, Any]]] = []

    def create(self, endpoint: str, /, **body: Any) -> int:
        return int(self.nb.create(endpoint, body)["id"])

    def create_many(self, endpoint: str, bodies: list[dict[str, Any]]) -> list[int]:
        bulk = getattr(self.nb, "create_many", None)  # a client without bulk create: one POST each
        created = bulk(endpoint, bodies) if bulk else [self.nb.create(endpoint, b) for b in bodies]
        if len(created) != len(bodies):
            raise ValueError(f"NetBox created {len(created)} {endpoint} of {len(bodies)} asked for")
        return [int(c["id"]) for c in created]

    def cable(self, a: tuple[str, str], b: tuple[str, str], **custom_fields: Any) -> None:
        self.cables.append((a, b, custom_fields))

    def ip(self, device: str, port: str, address: str) -> None:
        self.ips.append((device, port, address))

    def finish(self) -> dict[str, int]:
        """Create the planned interfaces (in order of first use: addresses, then cable ends),
        addresses and cables; return device name -> id of its M1 address."""
        order: list[tuple[str, str]] = []
        seen: set[tuple[str, str]] = set()
        for end in [(d, p) for d, p, _ in self.ips if p == "M1"] + [
            end for a, b, _ in self.cables for end in (a, b)
        ] + [(d, p) for d, p, _ in self.ips if p != "M1"]:  # fmt: skip
            if end not in seen:
                seen.add(end)
                order.append(end)
        kinds = ["25gbase-x-sfp28" if device.startswith("server") else "100gbase-x-qsfp28" for device, _ in order]
        ids = self.create_many("dcim.interfaces", [{"device": self.devices[d], "name": n, "type": kind}
                                                   for (d, n), kind in zip(order, kinds, strict=True)])  # fmt: skip
        self.ports = dict(zip(order, ids, strict=True))
        addresses = self.create_many("ipam.ip_addresses", [
            {"address": address, "assigned_object_type": "dcim.interface", "assigned_object_id": self.ports[d, p]}
            for d, p, address in self.ips])  # fmt: skip
        self.create_many("dcim.cables", [
            {"a_terminations": [{"object_type": "dcim.interface", "object_id": self.ports[a]}],
             "b_terminations": [{"object_type": "dcim.interface", "object_id": self.ports[b]}],
             "custom_fields": cf} for a, b, cf in self.cables])  # fmt: skip
        return {d: ip for (d, p, _), ip in zip(self.ips, addresses, strict=True) if p == "M1"}


def build_fabric(netbox: NetBox, slug: str = SITE) -> BuiltFabric:
    """Create the test fabric; NetBox must not already hold a site with ``slug``."""
    b = _Builder(netbox, slug)
    site = b.create(
        "dcim.sites",
        name=f"Fabric {slug}",
        slug=slug,
        status="active",
        tags=[{"name": "Hedgehog fabric", "slug": "hh-fabric"}],
    )
    built = BuiltFabric(site_slug=slug, site_id=site)
    maker = b.create("dcim.manufacturers", name=f"Maker {slug}", slug=f"maker-{slug}")
    switch_type = b.create(
        "dcim.device_types",
        manufacturer=maker,
        model=f"DS3000 {slug}",
        slug=f"ds3000-{slug}",
        custom_fields={"hh_switch_profile": SWITCH_PROFILE},
    )
    server_type = b.create("dcim.device_types", manufacturer=maker, model=f"Server {slug}", slug=f"server-{slug}")
    roles = {raw["slug"]: int(raw["id"]) for raw in netbox.list_all("dcim.device_roles")}

    group = b.create(
        "ipam.vlan_groups",
        name=VLAN_NAMESPACE,
        slug=VLAN_NAMESPACE,
        scope_type="dcim.site",
        scope_id=site,
        vid_ranges=[[1000, 1999], [3000, 3099]],
        tags=[{"name": "Hedgehog VLAN namespace", "slug": "hh-vlan-namespace"}],
    )
    for container in ("10.10.0.0/16", "10.20.0.0/16"):
        b.create(
            "ipam.prefixes",
            prefix=container,
            status="container",
            scope_type="dcim.site",
            scope_id=site,
            custom_fields={"hh_ipv4_namespace": IPV4_NAMESPACE},
        )
    vpc_tag = [{"name": "Hedgehog VPC", "slug": "hh-vpc"}]
    vpc_subnets = {
        "vpc-1": [("default", "10.10.1.0/24", 1001, True), ("backend", "10.10.2.0/24", 1002, False)],
        "vpc-2": [("default", "10.20.1.0/24", 3001, True)],
    }
    for vpc, subnets in vpc_subnets.items():
        vrf = b.create(
            "ipam.vrfs",
            name=vpc,
            tags=vpc_tag,
            custom_fields={"hh_ipv4_namespace": IPV4_NAMESPACE, "hh_vlan_namespace": VLAN_NAMESPACE},
        )
        for key, prefix, vid, dhcp in subnets:
            vlan = b.create("ipam.vlans", vid=vid, name=f"{vpc}-{key}", group=group)
            base = prefix.rsplit(".", 1)[0]
            cf: dict[str, Any] = {"hh_vpc_subnet": key, "hh_gateway": f"{base}.1"}
            if dhcp:
                cf |= {"hh_dhcp": True, "hh_dhcp_start": f"{base}.10", "hh_dhcp_end": f"{base}.99"}
            b.subnets[f"{vpc}/{key}"] = b.create(
                "ipam.prefixes", prefix=prefix, vrf=vrf, vlan=vlan, status="active", custom_fields=cf
            )
        built.vpcs[vpc] = sorted(key for key, *_ in subnets)

    chassis = {
        "mclag-1": b.create("dcim.virtual_chassis", name="mclag-1", custom_fields={"hh_redundancy_type": "mclag"}),
        "eslag-1": b.create("dcim.virtual_chassis", name="eslag-1", custom_fields={"hh_redundancy_type": "eslag"}),
    }
    built.switch_groups = sorted(chassis)
    leaves = {"leaf-01": "mclag-1", "leaf-02": "mclag-1", "leaf-03": "eslag-1", "leaf-04": "eslag-1"}
    devices: list[dict[str, Any]] = []
    for index, name in enumerate(["spine-01", "spine-02", *leaves], start=1):
        is_spine = name.startswith("spine")
        cf = {
            "hh_switch_role": "spine" if is_spine else "server-leaf",
            "hh_asn": 65100 if is_spine else 65100 + index,
            "hh_protocol_ip": f"172.30.8.{index}/32",
        }
        if not is_spine:
            cf["hh_vtep_ip"] = f"172.30.12.{index}/32"
        body: dict[str, Any] = {
            "name": name,
            "device_type": switch_type,
            "role": roles["hedgehog-switch"],
            "site": site,
            "serial": f"SN-{index:04d}",
            "custom_fields": cf,
        }
        if name in leaves:
            body |= {"virtual_chassis": chassis[leaves[name]], "vc_position": int(name[-1])}
        devices.append(body)
        b.ip(name, "M1", f"172.30.1.{index}/24")
        built.switches.append(name)
    for index in range(1, 9):
        name = f"server-{index:02d}"
        devices.append({"name": name, "device_type": server_type, "role": roles["hedgehog-server"], "site": site,
                        "description": f"Test server {index}"})  # fmt: skip
        built.servers.append(name)
    b.devices = dict(zip((d["name"] for d in devices), b.create_many("dcim.devices", devices), strict=True))

    def server_conn(
        server: str,
        kind: str,
        links: list[tuple[str, str]],
        subnets: tuple[str, ...] = (),
        native: str | None = None,
        **extra: Any,
    ) -> None:
        switches = "--".join(sorted({leaf for leaf, _ in links}))
        name = f"{server}--{kind}--{switches}"
        cf: dict[str, Any] = {
            "hh_connection": name,
            "hh_connection_kind": kind,
            "hh_vpc_subnets": [b.subnets[s] for s in subnets],
            **extra,
        }
        if native:
            cf["hh_native_vlan_subnet"] = b.subnets[native]
        for number, (leaf, port) in enumerate(links):
            b.cable((server, f"enp2s{number}"), (leaf, port), **cf)
        built.connections[name] = kind
        built.attachments += [f"{name}--{s.replace('/', '--')}" for s in subnets]

    server_conn("server-01", "unbundled", [("leaf-01", "E1/1")], ("vpc-1/default",), hh_mtu=9000)
    server_conn("server-02", "bundled", [("leaf-02", "E1/1"), ("leaf-02", "E1/2")], hh_mtu=9036, hh_fallback=True)
    server_conn(
        "server-03",
        "mclag",
        [("leaf-01", "E1/2"), ("leaf-02", "E1/3")],
        ("vpc-1/default", "vpc-1/backend"),
        native="vpc-1/default",
    )
    server_conn("server-04", "mclag", [("leaf-01", "E1/3"), ("leaf-02", "E1/4")], hh_fallback=False)
    server_conn("server-05", "eslag", [("leaf-03", "E1/1"), ("leaf-04", "E1/1")], ("vpc-2/default",))
    server_conn("server-06", "eslag", [("leaf-03", "E1/2"), ("leaf-04", "E1/2")])
    server_conn("server-07", "unbundled", [("leaf-03", "E1/3")], ("vpc-2/default",))
    server_conn("server-08", "bundled", [("leaf-04", "E1/3"), ("leaf-04", "E1/4")])

    domain = "leaf-01--mclag-domain--leaf-02"
    for port, role in (("E1/10", "peer"), ("E1/11", "peer"), ("E1/12", "session")):
        b.cable(
            ("leaf-01", port),
            ("leaf-02", port),
            hh_connection=domain,
            hh_connection_kind="mclagDomain",
            hh_mclag_link=role,
        )
    built.connections[domain] = "mclagDomain"

    for s, spine in enumerate(("spine-01", "spine-02")):
        for n, leaf in enumerate(leaves, start=1):
            name = f"{spine}--fabric--{leaf}"
            net = 2 * (10 * s + n)
            b.ip(spine, f"E1/{n}", f"172.30.128.{net}/31")
            b.ip(leaf, f"E1/{49 + s}", f"172.30.128.{net + 1}/31")
            b.cable((spine, f"E1/{n}"), (leaf, f"E1/{49 + s}"), hh_connection=name, hh_connection_kind="fabric")
            built.connections[name] = "fabric"
    management = b.finish()
    primary = [{"id": b.devices[name], "primary_ip4": address} for name, address in management.items()]
    bulk_update = getattr(netbox, "update_many", None)
    if bulk_update is not None:
        bulk_update("dcim.devices", primary)
    else:
        for body in primary:
            netbox.update("dcim.devices", body["id"], {"primary_ip4": body["primary_ip4"]})
    return built
