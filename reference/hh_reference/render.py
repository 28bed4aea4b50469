"""NetBox fabric -> Hedgehog custom resources, exactly as ``contracts/mappings/*.yaml`` say.

:func:`render_fabric` is pure: the same snapshot always gives the same objects in the same order,
with the served apiVersion, normalised names and sorted lists. Input a mapping rejects raises the
catalog code that mapping's ``rejects`` names (HH-VAL-001..008, 012) and renders nothing.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from hh_reference.errors import raise_condition
from hh_reference.naming import KINDS, dns_label
from hh_reference.snapshot import (
    ROLE_SERVER,
    ROLE_SWITCH,
    TAG_VLAN_NAMESPACE,
    TAG_VPC,
    Cable,
    Device,
    FabricSnapshot,
    Interface,
    Prefix,
)

SWITCH_ROLES = ("spine", "server-leaf", "border-leaf", "mixed-leaf", "virtual-edge")
REDUNDANCY_TYPES = ("mclag", "eslag")
SERVER_KINDS = ("unbundled", "bundled", "mclag", "eslag")
CONNECTION_KINDS = (*SERVER_KINDS, "fabric", "mclagDomain")
NAMESPACE = "default"
_PORT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./_-]*$")
_ORDER = ("SwitchGroup", "VLANNamespace", "IPv4Namespace", "Switch", "Server", "Connection", "VPC", "VPCAttachment")


def _obj(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": KINDS[kind].api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": spec,
    }


class _Index:
    """Lookups by id built once per render, so every cable end, member and address is found in
    constant time; where NetBox could hold a duplicate id the first record wins, as a scan would."""

    def __init__(self, snap: FabricSnapshot) -> None:
        self.snap = snap
        self.interfaces: dict[int, Interface] = {}
        for iface in snap.interfaces:
            self.interfaces.setdefault(iface.id, iface)
        self.devices: dict[int, Device] = {}
        self.members: dict[int, set[int]] = defaultdict(set)  # virtual chassis id -> its switches
        self.non_switch_member: dict[int, Device] = {}  # virtual chassis id -> its first other member
        for device in snap.devices:
            self.devices.setdefault(device.id, device)
            if device.virtual_chassis_id is not None:
                if device.role == ROLE_SWITCH:
                    self.members[device.virtual_chassis_id].add(device.id)
                else:
                    self.non_switch_member.setdefault(device.virtual_chassis_id, device)
        self.profiles: dict[int, str | None] = {}
        for device_type in snap.device_types:
            self.profiles.setdefault(device_type.id, device_type.switch_profile)
        self.ipv4: dict[int, list[str]] = defaultdict(list)  # interface id -> its IPv4 addresses
        for address in snap.ip_addresses:
            if address.interface_id is not None and ":" not in address.address:
                self.ipv4[address.interface_id].append(address.address)
        self.vpc_prefixes: dict[int, list[Prefix]] = defaultdict(list)  # VRF id -> its VPC subnet prefixes
        for prefix in snap.prefixes:
            if prefix.vrf_id is not None and prefix.vpc_subnet:
                self.vpc_prefixes[prefix.vrf_id].append(prefix)

    def members_of(self, vc_id: int | None) -> set[int]:
        """The switches of virtual chassis ``vc_id`` (none for no chassis)."""
        return self.members.get(vc_id, set()) if vc_id is not None else set()


def _unique(names: Iterable[tuple[str, str]], what: str) -> None:
    """(raw, normalised) pairs: two different raw names with one normalised name is HH-VAL-008."""
    seen: dict[str, str] = {}
    for raw, name in names:
        if name in seen and seen[name] != raw:
            raise_condition("normalised_name_collision", kind=what, name=name, first=seen[name], second=raw)
        seen[name] = raw


def _iface(value: str, where: str) -> ipaddress.IPv4Interface:
    """An IPv4 address with its prefix length (``10.0.0.1/24``), or HH-VAL-004."""
    if "/" not in value:
        raise_condition("cidr_or_gateway_invalid", field=where, value=value)
    try:
        return ipaddress.IPv4Interface(value)
    except ValueError:
        raise_condition("cidr_or_gateway_invalid", field=where, value=value)


def _host32(value: str, where: str) -> str:
    iface = _iface(value, where)
    if iface.network.prefixlen != 32:
        raise_condition("cidr_or_gateway_invalid", field=where, value=value, expected="an IPv4 /32")
    return str(iface)


def _network(value: str, where: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise_condition("cidr_or_gateway_invalid", field=where, value=value, expected="an IPv4 CIDR")


def _host_in(value: str, net: ipaddress.IPv4Network, where: str) -> str:
    """An IPv4 address inside ``net`` that is neither its network nor its broadcast address."""
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        raise_condition("cidr_or_gateway_invalid", field=where, value=value)
    if address not in net or (net.prefixlen < 31 and address in (net.network_address, net.broadcast_address)):
        raise_condition("cidr_or_gateway_invalid", field=where, value=value, subnet=str(net))
    return str(address)


def _vlan_namespaces(snap: FabricSnapshot) -> dict[str, list[dict[str, int]]]:
    """Normalised name -> sorted ranges of the site's VLAN groups tagged hh-vlan-namespace."""
    groups = [
        g
        for g in snap.vlan_groups
        if TAG_VLAN_NAMESPACE in g.tags and g.scope_type == "dcim.site" and g.scope_id == snap.site.id
    ]
    named = [(g, dns_label(g.slug, source=f"ipam.vlangroup {g.id} slug")) for g in groups]
    _unique(((g.slug, n) for g, n in named), "VLANNamespace")
    out: dict[str, list[dict[str, int]]] = {}
    for group, name in named:
        if not group.vid_ranges:
            raise_condition("required_custom_field_empty", object=f"ipam.vlangroup {group.name}", field="vid_ranges")
        for low, high in group.vid_ranges:
            if not (1 <= low <= high <= 4094):
                raise_condition("vlan_out_of_range", object=f"ipam.vlangroup {group.name}", range=f"{low}-{high}")
        out[name] = [{"from": low, "to": high} for low, high in sorted(group.vid_ranges)]
    return out


def _ipv4_namespaces(snap: FabricSnapshot) -> dict[str, list[ipaddress.IPv4Network]]:
    by_value: dict[str, list[Prefix]] = defaultdict(list)
    for prefix in snap.prefixes:
        if prefix.status == "container" and prefix.ipv4_namespace:
            by_value[prefix.ipv4_namespace].append(prefix)
    named = {value: dns_label(value, source="custom_fields.hh_ipv4_namespace") for value in by_value}
    _unique(named.items(), "IPv4Namespace")
    return {
        named[value]: sorted(_network(p.prefix, f"ipam.prefix {p.id} prefix") for p in prefixes)
        for value, prefixes in by_value.items()
    }


def _devices(snap: FabricSnapshot) -> dict[int, str]:
    """Device id -> normalised name for every switch and server; one name space for both (HH-VAL-008)."""
    pairs = [
        (d, dns_label(d.name, source=f"dcim.device {d.id} name"))
        for d in snap.devices
        if d.role in (ROLE_SWITCH, ROLE_SERVER)
    ]
    _unique(((d.name, n) for d, n in pairs), "Switch/Server")
    return {d.id: n for d, n in pairs}


def _switch_groups(index: _Index) -> dict[int, tuple[str, str]]:
    """Virtual chassis id -> (normalised name, redundancy type) of every Hedgehog switch group."""
    groups = [vc for vc in index.snap.virtual_chassis if vc.redundancy_type]
    named = [(vc, dns_label(vc.name, source=f"dcim.virtualchassis {vc.id} name")) for vc in groups]
    _unique(((vc.name, n) for vc, n in named), "SwitchGroup")
    out: dict[int, tuple[str, str]] = {}
    for vc, name in named:
        if vc.redundancy_type not in REDUNDANCY_TYPES:
            raise_condition(
                "required_custom_field_empty", object=f"dcim.virtualchassis {vc.name}", field="hh_redundancy_type"
            )
        member = index.non_switch_member.get(vc.id)
        if member is not None:
            raise_condition(
                "connection_shape_invalid",
                group=vc.name,
                member=member.name,
                reason="member is not a hedgehog-switch",
            )
        out[vc.id] = (name, str(vc.redundancy_type))
    return out


def _switch(
    device: Device, name: str, index: _Index, groups: dict[int, tuple[str, str]], vlan_ns: list[str]
) -> dict[str, Any]:
    where = f"dcim.device {device.name}"
    if not device.switch_role:
        raise_condition("required_custom_field_empty", object=where, field="hh_switch_role")
    if device.switch_role not in SWITCH_ROLES:
        raise_condition("switch_role_unknown", object=where, role=device.switch_role)
    spec: dict[str, Any] = {"role": device.switch_role}
    if device.description:
        spec["description"] = device.description
    profile = index.profiles.get(device.device_type_id)
    if profile:
        spec["profile"] = dns_label(profile, source=f"{where} device type hh_switch_profile")
    if device.asn is not None:
        spec["asn"] = int(device.asn)
    if device.primary_ip4:
        spec["ip"] = str(_iface(device.primary_ip4, f"{where} primary_ip4"))
    if device.protocol_ip:
        spec["protocolIP"] = _host32(device.protocol_ip, f"{where} hh_protocol_ip")
    if device.vtep_ip:
        spec["vtepIP"] = _host32(device.vtep_ip, f"{where} hh_vtep_ip")
    if device.virtual_chassis_id is not None:
        if device.virtual_chassis_id not in groups:
            raise_condition("required_custom_field_empty", object=where, field="virtual chassis hh_redundancy_type")
        group, kind = groups[device.virtual_chassis_id]
        spec["groups"] = [group]
        spec["redundancy"] = {"group": group, "type": kind}
    if vlan_ns:
        spec["vlanNamespaces"] = vlan_ns
    if device.serial:
        spec["boot"] = {"serial": device.serial}
    return _obj("Switch", name, spec)


def _vpcs(
    index: _Index, ipv4_ns: dict[str, list[ipaddress.IPv4Network]], vlan_ns: dict[str, list[dict[str, int]]]
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The VPC objects, and prefix id -> ``<vpc>/<subnet>`` for every VPC subnet prefix."""
    vrfs = [v for v in index.snap.vrfs if TAG_VPC in v.tags]
    named = [(v, dns_label(v.name, source=f"ipam.vrf {v.id} name")) for v in vrfs]
    _unique(((v.name, n) for v, n in named), "VPC")
    objects: list[dict[str, Any]] = []
    subnet_refs: dict[int, str] = {}
    for vrf, name in named:
        where = f"ipam.vrf {vrf.name}"
        if not vrf.ipv4_namespace or not vrf.vlan_namespace:
            field = "hh_ipv4_namespace" if not vrf.ipv4_namespace else "hh_vlan_namespace"
            raise_condition("required_custom_field_empty", object=where, field=field)
        ipv4 = dns_label(vrf.ipv4_namespace, source=f"{where} hh_ipv4_namespace")
        vlan = dns_label(vrf.vlan_namespace, source=f"{where} hh_vlan_namespace")
        prefixes = index.vpc_prefixes.get(vrf.id, [])
        if not prefixes:
            raise_condition("required_custom_field_empty", object=where, field="a prefix with hh_vpc_subnet")
        keyed = [(p, dns_label(str(p.vpc_subnet), source=f"ipam.prefix {p.id} hh_vpc_subnet")) for p in prefixes]
        _unique(((str(p.vpc_subnet), k) for p, k in keyed), f"subnet of VPC {name}")
        subnets: dict[str, Any] = {}
        for prefix, key in keyed:
            subnets[key] = _subnet(prefix, ipv4_ns.get(ipv4, []), vlan_ns.get(vlan, []))
            subnet_refs[prefix.id] = f"{name}/{key}"
        spec = {"ipv4Namespace": ipv4, "vlanNamespace": vlan, "subnets": dict(sorted(subnets.items()))}
        objects.append(_obj("VPC", name, spec))
    return objects, subnet_refs


def _subnet(prefix: Prefix, namespace: list[ipaddress.IPv4Network], ranges: list[dict[str, int]]) -> dict[str, Any]:
    where = f"ipam.prefix {prefix.prefix}"
    net = _network(prefix.prefix, where)
    if prefix.vlan_vid is None:
        raise_condition("required_custom_field_empty", object=where, field="vlan")
    vid = int(prefix.vlan_vid)
    if not any(r["from"] <= vid <= r["to"] for r in ranges):
        raise_condition("vlan_out_of_range", object=where, vlan=vid, ranges=ranges)
    if not any(net.subnet_of(outer) for outer in namespace):
        raise_condition("vpc_subnet_outside_namespace", object=where, namespace=[str(n) for n in namespace])
    subnet: dict[str, Any] = {"subnet": str(net), "vlan": vid}
    if prefix.gateway:
        subnet["gateway"] = _host_in(prefix.gateway, net, f"{where} hh_gateway")
    dhcp: dict[str, Any] = {}
    if prefix.dhcp is not None:
        dhcp["enable"] = bool(prefix.dhcp)
    bounds = {k: v for k, v in (("start", prefix.dhcp_start), ("end", prefix.dhcp_end)) if v}
    if bounds:
        dhcp["range"] = {k: _host_in(v, net, f"{where} hh_dhcp_{k}") for k, v in bounds.items()}
    if dhcp:
        subnet["dhcp"] = dhcp
    return subnet


def _attachments(conns: dict[str, tuple[str, list[Cable]]], subnet_refs: dict[int, str]) -> list[dict[str, Any]]:
    """One VPCAttachment per (connection, subnet prefix) pair over the connection's cables."""
    objects: list[dict[str, Any]] = []
    for name, (kind, cables) in conns.items():
        prefixes = sorted({p for c in cables for p in c.vpc_subnets})
        if not prefixes:
            continue
        if kind not in SERVER_KINDS:
            raise_condition(
                "connection_shape_invalid",
                connection=name,
                kind=kind,
                reason="VPC attachments need a server connection",
            )
        natives = {c.native_vlan_subnet for c in cables if c.native_vlan_subnet is not None}
        if not natives <= set(prefixes):
            raise_condition(
                "required_custom_field_empty", connection=name, field="hh_native_vlan_subnet in hh_vpc_subnets"
            )
        for prefix_id in prefixes:
            if prefix_id not in subnet_refs:
                raise_condition(
                    "required_custom_field_empty",
                    connection=name,
                    prefix=prefix_id,
                    field="hh_vpc_subnet on a prefix of an hh-vpc VRF",
                )
            ref = subnet_refs[prefix_id]
            composed = f"{name}--{ref.replace('/', '--')}"
            spec: dict[str, Any] = {"connection": name, "subnet": ref}
            if prefix_id in natives:
                spec["nativeVLAN"] = True
            objects.append(_obj("VPCAttachment", dns_label(composed, source="VPCAttachment name"), spec))
    return objects


class _End:
    """One cable end: the device, its role and the port reference ``<device>/<interface>``."""

    def __init__(self, device: Device, interface_id: int, port: str) -> None:
        self.device = device
        self.interface_id = interface_id
        self.port = port


def _ends(cable: Cable, index: _Index, names: dict[int, str], conn: str) -> tuple[_End, _End]:
    if len(cable.a) != 1 or len(cable.b) != 1:
        raise_condition(
            "connection_shape_invalid",
            connection=conn,
            cable=cable.id,
            reason="a cable must join one interface to one interface",
        )
    ends = []
    for term in (cable.a[0], cable.b[0]):
        iface = index.interfaces.get(term.object_id)
        if term.object_type != "dcim.interface" or iface is None:
            raise_condition(
                "port_reference_invalid",
                connection=conn,
                cable=cable.id,
                termination=f"{term.object_type} {term.object_id}",
            )
        device = index.devices.get(iface.device_id)
        if device is None or device.id not in names:
            raise_condition(
                "connection_shape_invalid",
                connection=conn,
                cable=cable.id,
                reason="an end is not on a hedgehog-switch or hedgehog-server device",
            )
        if not _PORT.match(iface.name):
            raise_condition("port_reference_invalid", connection=conn, port=f"{names[device.id]}/{iface.name}")
        ends.append(_End(device, iface.id, f"{names[device.id]}/{iface.name}"))
    return ends[0], ends[1]


def _shape(ok: bool, conn: str, kind: str, reason: str) -> None:
    if not ok:
        raise_condition("connection_shape_invalid", connection=conn, kind=kind, reason=reason)


def _server_links(
    conn: str, kind: str, pairs: list[tuple[_End, _End]], index: _Index, groups: dict[int, tuple[str, str]]
) -> list[dict[str, Any]]:
    """Links of a server connection; ``pairs`` are (first, second) ends of each cable."""
    links: list[tuple[_End, _End]] = []
    for first, second in pairs:
        roles = {first.device.role, second.device.role}
        _shape(
            roles == {ROLE_SERVER, ROLE_SWITCH},
            conn,
            kind,
            "each cable needs exactly one server end and one switch end",
        )
        links.append((first, second) if first.device.role == ROLE_SERVER else (second, first))
    servers = {s.device.id for s, _ in links}
    switches = {w.device.id for _, w in links}
    _shape(len(servers) == 1, conn, kind, "all cables must come from one server")
    vcs = {w.device.virtual_chassis_id for _, w in links}
    vc = next(iter(vcs)) if len(vcs) == 1 else None
    if kind == "unbundled":
        _shape(len(links) == 1, conn, kind, "unbundled is exactly one cable")
    elif kind == "bundled":
        _shape(len(switches) == 1, conn, kind, "bundled goes to exactly one switch")
    elif kind == "mclag":
        fits = vc in groups and groups[vc][1] == "mclag" and switches == index.members_of(vc) and len(switches) == 2
        _shape(fits, conn, kind, "mclag goes to exactly the two switches of one mclag group")
    else:
        fits = vc in groups and groups[vc][1] == "eslag" and len(switches) >= 2
        _shape(fits, conn, kind, "eslag goes to two or more switches of one eslag group")
    rows = sorted((s.port, w.port) for s, w in links)
    return [{"server": {"port": s}, "switch": {"port": w}} for s, w in rows]


def _fabric_links(conn: str, pairs: list[tuple[_End, _End]], index: _Index) -> list[dict[str, Any]]:
    def ip(end: _End) -> str:
        addresses = index.ipv4.get(end.interface_id)
        if not addresses:
            raise_condition(
                "required_custom_field_empty", connection=conn, port=end.port, field="IPv4 address on the interface"
            )
        return str(_iface(min(addresses), f"ip address of {end.port}"))

    rows = []
    for first, second in pairs:
        spines = [e for e in (first, second) if e.device.role == ROLE_SWITCH and e.device.switch_role == "spine"]
        leaves = [
            e for e in (first, second) if e.device.role == ROLE_SWITCH and e.device.switch_role not in (None, "spine")
        ]
        _shape(len(spines) == 1 and len(leaves) == 1, conn, "fabric", "fabric cables join a spine and a leaf")
        rows.append((spines[0], leaves[0]))
    _shape(
        len({(s.device.id, lf.device.id) for s, lf in rows}) == 1, conn, "fabric", "fabric joins one spine and one leaf"
    )
    links = sorted((s.port, ip(s), lf.port, ip(lf)) for s, lf in rows)
    return [{"spine": {"port": sp, "ip": si}, "leaf": {"port": lp, "ip": li}} for sp, si, lp, li in links]


def _mclag_domain(
    conn: str,
    cables: list[Cable],
    pairs: list[tuple[_End, _End]],
    index: _Index,
    groups: dict[int, tuple[str, str]],
) -> dict[str, Any]:
    peer: list[tuple[str, str]] = []
    session: list[tuple[str, str]] = []
    devices = {frozenset((a.device.id, b.device.id)) for a, b in pairs}
    _shape(len(devices) == 1, conn, "mclagDomain", "all cables join the same two switches")
    for cable, (first, second) in zip(cables, pairs, strict=True):
        _shape(
            first.device.role == second.device.role == ROLE_SWITCH, conn, "mclagDomain", "both ends must be switches"
        )
        vc = first.device.virtual_chassis_id
        fits = vc in groups and groups[vc][1] == "mclag" and index.members_of(vc) == {first.device.id, second.device.id}
        _shape(fits, conn, "mclagDomain", "the ends are the two switches of one mclag group")
        if cable.mclag_link not in ("peer", "session"):
            raise_condition("required_custom_field_empty", connection=conn, cable=cable.id, field="hh_mclag_link")
        one, two = sorted((first, second), key=lambda e: e.port.split("/", 1)[0])
        (peer if cable.mclag_link == "peer" else session).append((one.port, two.port))
    _shape(bool(peer) and bool(session), conn, "mclagDomain", "an mclagDomain needs peer and session links")
    return {
        "peerLinks": [{"switch1": {"port": a}, "switch2": {"port": b}} for a, b in sorted(peer)],
        "sessionLinks": [{"switch1": {"port": a}, "switch2": {"port": b}} for a, b in sorted(session)],
    }


def _connections(
    index: _Index, names: dict[int, str], groups: dict[int, tuple[str, str]]
) -> tuple[list[dict[str, Any]], dict[str, tuple[str, list[Cable]]]]:
    """The Connection objects, and name -> (kind, cables) for the attachment mapping."""
    by_value: dict[str, list[Cable]] = defaultdict(list)
    for cable in index.snap.cables:
        if cable.connection:
            by_value[cable.connection].append(cable)
    named = {value: dns_label(value, source="dcim.cable custom_fields.hh_connection") for value in by_value}
    _unique(named.items(), "Connection")
    objects: list[dict[str, Any]] = []
    conns: dict[str, tuple[str, list[Cable]]] = {}
    for value, unsorted in sorted(by_value.items()):
        name = named[value]
        cables = sorted(unsorted, key=lambda c: c.id)
        kinds = {c.kind for c in cables}
        if len(kinds) != 1 or None in kinds:
            raise_condition(
                "required_custom_field_empty", connection=name, field="hh_connection_kind (one value on every cable)"
            )
        kind = str(next(iter(kinds)))
        _shape(kind in CONNECTION_KINDS, name, kind, f"this mapping produces only {', '.join(CONNECTION_KINDS)}")
        pairs = [_ends(c, index, names, name) for c in cables]
        body: dict[str, Any]
        if kind in SERVER_KINDS:
            links = _server_links(name, kind, pairs, index, groups)
            body = {"link": links[0]} if kind == "unbundled" else {"links": links}
            for key, values in (("mtu", {c.mtu for c in cables}), ("fallback", {c.fallback for c in cables})):
                _shape(len(values) == 1, name, kind, f"the cables disagree on hh_{key}")
                value_set = next(iter(values))
                if value_set is not None and not (key == "fallback" and kind == "unbundled"):
                    body[key] = int(value_set) if key == "mtu" else bool(value_set)
        elif kind == "fabric":
            body = {"links": _fabric_links(name, pairs, index)}
        else:
            body = _mclag_domain(name, cables, pairs, index, groups)
        objects.append(_obj("Connection", name, {kind: body}))
        conns[name] = (kind, cables)
    return objects, conns


def render_fabric(snap: FabricSnapshot) -> list[dict[str, Any]]:
    """Every Hedgehog object the fabric's NetBox intent maps to, sorted by kind then name."""
    vlan_ns = _vlan_namespaces(snap)
    ipv4_ns = _ipv4_namespaces(snap)
    index = _Index(snap)
    names = _devices(snap)
    groups = _switch_groups(index)
    objects: list[dict[str, Any]] = [_obj("SwitchGroup", name, {}) for name, _ in groups.values()]
    objects += [_obj("VLANNamespace", name, {"ranges": ranges}) for name, ranges in vlan_ns.items()]
    objects += [_obj("IPv4Namespace", name, {"subnets": [str(n) for n in nets]}) for name, nets in ipv4_ns.items()]
    vlan_names = sorted(vlan_ns)
    for device in snap.devices:
        if device.role == ROLE_SWITCH:
            objects.append(_switch(device, names[device.id], index, groups, vlan_names))
        elif device.role == ROLE_SERVER:
            spec = {"description": device.description} if device.description else {}
            objects.append(_obj("Server", names[device.id], spec))
    connection_objects, conns = _connections(index, names, groups)
    objects += connection_objects
    vpcs, subnet_refs = _vpcs(index, ipv4_ns, vlan_ns)
    objects += vpcs
    objects += _attachments(conns, subnet_refs)
    counts = Counter((o["kind"], o["metadata"]["name"]) for o in objects)
    for kind, name in (key for key, seen in counts.items() if seen > 1):
        raise_condition("normalised_name_collision", kind=kind, name=name)
    order = {kind: rank for rank, kind in enumerate(_ORDER)}
    return sorted(objects, key=lambda o: (order[o["kind"]], o["metadata"]["name"]))
