"""Invalid NetBox intent: one variant per ``rejects`` entry of the mapping contracts.

Each variant takes a valid full fabric (every optional part present) and breaks exactly what the
reject's ``when`` describes, drawing among the ways to break it. The property is that the
renderer refuses the result with exactly the reject's catalog code. A reject of the specs
without a variant here is reported by :func:`missing_variants`, never silently skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import strategies as st

from harness.generate.property_fabric import SERVER, SWITCH, Fabric, Record, fabrics
from harness.spec.models import Mapping

Mutation = Callable[[st.DrawFn, Fabric], None]
VARIANTS: dict[tuple[str, str], Mutation] = {}
NOT_LABELS = ("", "___", " -- ", "é", "a" * 64)


def variant(mapping: str, *rejects: str) -> Callable[[Mutation], Mutation]:
    def register(fn: Mutation) -> Mutation:
        for reject in rejects:
            VARIANTS[mapping, reject] = fn
        return fn

    return register


def invalid_fabrics(mapping: str, reject: str) -> st.SearchStrategy[Fabric]:
    """Valid full fabrics broken the way ``mapping``'s reject ``reject`` describes."""
    mutate = VARIANTS[mapping, reject]

    @st.composite
    def build(draw: st.DrawFn) -> Fabric:
        fab = draw(fabrics(full=True)).copy()
        mutate(draw, fab)
        return fab

    return build()


def missing_variants(mappings: Iterable[Mapping]) -> list[str]:
    """``<mapping>:<reject>`` of every reject in the specs that no variant covers."""
    return [f"{m.id}:{r}" for m in mappings for r, _ in m.rejects if (m.id, r) not in VARIANTS]


def _devices(fab: Fabric, role: str, switch_role: str | None = None) -> list[Record]:
    return [d for d in fab.records["devices"] if d["role"] == role and switch_role in (None, d.get("switch_role"))]


def _pick(draw: st.DrawFn, items: list[Any]) -> Any:
    return draw(st.sampled_from(items))


def _colliding(label: str) -> str:
    """A raw name different from any ``raw_name`` output that still normalises to ``label``."""
    return f" {label.upper()}!"


def _conn(draw: st.DrawFn, fab: Fabric, *kinds: str) -> tuple[str, list[Record]]:
    names = sorted(n for n, (k, _) in fab.connections.items() if k in kinds)
    name = _pick(draw, names)
    return name, [fab.by_id("cables", i) for i in fab.connections[name][1]]


def _extra_cable(fab: Fabric, like: Record, a: Record, b: Record) -> None:
    """One more cable of ``like``'s connection, between ``a`` and ``b``."""
    custom = {k: like.get(k) for k in ("connection", "kind", "mtu", "fallback", "mclag_link")}
    ends = [[{"object_type": "dcim.interface", "object_id": fab.new_port(end)}] for end in (a, b)]
    fab.add("cables", a=ends[0], b=ends[1], **custom)


def _device_of(fab: Fabric, cable: Record, end: str) -> Record:
    iface = fab.by_id("interfaces", cable[end][0]["object_id"])
    return fab.by_id("devices", iface["device_id"])


@variant("switch", "name_not_dns_label")
def _switch_name(draw: st.DrawFn, fab: Fabric) -> None:
    _pick(draw, _devices(fab, SWITCH))["name"] = _pick(draw, list(NOT_LABELS))


@variant("server", "name_not_dns_label")
def _server_name(draw: st.DrawFn, fab: Fabric) -> None:
    _pick(draw, _devices(fab, SERVER))["name"] = _pick(draw, list(NOT_LABELS))


@variant("switch", "name_collision")
@variant("server", "name_collision")
def _device_collision(draw: st.DrawFn, fab: Fabric) -> None:
    other = _pick(draw, _devices(fab, SWITCH) + _devices(fab, SERVER))
    role = draw(st.sampled_from((SWITCH, SERVER)))
    fab.add("devices", name=_colliding(other["_label"]), role=role, device_type_id=other["device_type_id"],
            switch_role="spine" if role == SWITCH else None)  # fmt: skip


@variant("switch", "switch_role_missing")
def _role_missing(draw: st.DrawFn, fab: Fabric) -> None:
    _pick(draw, _devices(fab, SWITCH))["switch_role"] = draw(st.sampled_from((None, "")))


@variant("switch", "switch_role_unknown")
def _role_unknown(draw: st.DrawFn, fab: Fabric) -> None:
    _pick(draw, _devices(fab, SWITCH))["switch_role"] = draw(st.sampled_from(("leaf", "Spine", "server_leaf", "edge")))


@variant("switch", "redundancy_type_missing")
def _redundancy_missing(draw: st.DrawFn, fab: Fabric) -> None:
    vc = fab.add("virtual_chassis", name="chassis-x", redundancy_type=draw(st.sampled_from((None, ""))))
    _pick(draw, _devices(fab, SWITCH, "spine"))["virtual_chassis_id"] = vc["id"]


@variant("switch", "address_invalid")
def _address_invalid(draw: st.DrawFn, fab: Fabric) -> None:
    device = _pick(draw, _devices(fab, SWITCH))
    key = draw(st.sampled_from(("primary_ip4", "protocol_ip", "vtep_ip")))
    bad = ["172.30.9.9", "300.1.1.1/24", "not-an-ip/32", "2001:db8::1/128"]
    device[key] = _pick(draw, [*bad, "172.30.9.9/24"] if key != "primary_ip4" else [*bad, "172.30.9.9/33"])


def _groups(fab: Fabric) -> list[Record]:
    return [vc for vc in fab.records["virtual_chassis"] if vc.get("redundancy_type")]


@variant("switch_group", "name_not_dns_label")
def _group_name(draw: st.DrawFn, fab: Fabric) -> None:
    _pick(draw, _groups(fab))["name"] = _pick(draw, list(NOT_LABELS))


@variant("switch_group", "name_collision")
def _group_collision(draw: st.DrawFn, fab: Fabric) -> None:
    vc = _pick(draw, _groups(fab))
    fab.add("virtual_chassis", name=_colliding(vc["_label"]), redundancy_type="eslag")


@variant("switch_group", "members_not_switches")
def _group_members(draw: st.DrawFn, fab: Fabric) -> None:
    _pick(draw, _devices(fab, SERVER))["virtual_chassis_id"] = _pick(draw, _groups(fab))["id"]


def _vlan_groups(fab: Fabric) -> list[Record]:
    return [g for g in fab.records["vlan_groups"] if "hh-vlan-namespace" in g["tags"] and g["scope_id"] == 7]


@variant("vlan_namespace", "name_not_dns_label")
def _vlan_name(draw: st.DrawFn, fab: Fabric) -> None:
    _pick(draw, _vlan_groups(fab))["slug"] = _pick(draw, list(NOT_LABELS))


@variant("vlan_namespace", "no_ranges")
def _vlan_no_ranges(draw: st.DrawFn, fab: Fabric) -> None:
    _pick(draw, _vlan_groups(fab))["vid_ranges"] = []


@variant("vlan_namespace", "range_outside_vlan_space")
def _vlan_range(draw: st.DrawFn, fab: Fabric) -> None:
    group = _pick(draw, _vlan_groups(fab))
    group["vid_ranges"] = [*group["vid_ranges"], _pick(draw, [(0, 10), (4000, 4095), (20, 10), (5000, 5001)])]


@variant("vlan_namespace", "name_collision")
def _vlan_collision(draw: st.DrawFn, fab: Fabric) -> None:
    group = _pick(draw, _vlan_groups(fab))
    fab.add("vlan_groups", name="copy", slug=_colliding(group["name"]), vid_ranges=[(1, 2)],
            tags=["hh-vlan-namespace"], scope_type="dcim.site", scope_id=7)  # fmt: skip


def _containers(fab: Fabric) -> list[Record]:
    return [p for p in fab.records["prefixes"] if p["status"] == "container"]


@variant("ipv4_namespace", "name_not_dns_label")
def _ipv4_name(draw: st.DrawFn, fab: Fabric) -> None:
    _pick(draw, _containers(fab))["ipv4_namespace"] = _pick(draw, [n for n in NOT_LABELS if n])


@variant("ipv4_namespace", "prefix_not_ipv4")
def _ipv4_prefix(draw: st.DrawFn, fab: Fabric) -> None:
    _pick(draw, _containers(fab))["prefix"] = _pick(draw, ["2001:db8::/32", "10.99.0.1/16", "10.99.0.0/33", "x/8"])


def _subnets(fab: Fabric) -> list[Record]:
    return [fab.by_id("prefixes", i) for i in fab.subnet_prefixes]


@variant("vpc", "name_not_dns_label")
def _vpc_name(draw: st.DrawFn, fab: Fabric) -> None:
    bad = _pick(draw, [n for n in NOT_LABELS if n])
    if draw(st.booleans()):
        _pick(draw, fab.records["vrfs"])["name"] = bad
    else:
        _pick(draw, _subnets(fab))["vpc_subnet"] = bad


@variant("vpc", "namespace_missing")
def _vpc_namespace(draw: st.DrawFn, fab: Fabric) -> None:
    vrf = _pick(draw, fab.records["vrfs"])
    vrf[draw(st.sampled_from(("ipv4_namespace", "vlan_namespace")))] = draw(st.sampled_from((None, "")))


@variant("vpc", "no_subnets")
def _vpc_no_subnets(draw: st.DrawFn, fab: Fabric) -> None:
    vrf = _pick(draw, fab.records["vrfs"])
    fab.add("vrfs", name="vpc-empty", tags=["hh-vpc"], ipv4_namespace=vrf["ipv4_namespace"],
            vlan_namespace=vrf["vlan_namespace"])  # fmt: skip


@variant("vpc", "subnet_vlan_missing")
def _vpc_vlan_missing(draw: st.DrawFn, fab: Fabric) -> None:
    _pick(draw, _subnets(fab))["vlan_vid"] = None


@variant("vpc", "subnet_vlan_out_of_range")
def _vpc_vlan_range(draw: st.DrawFn, fab: Fabric) -> None:
    _pick(draw, _subnets(fab))["vlan_vid"] = _pick(draw, [0, 4095, 5000, -3])


@variant("vpc", "gateway_outside_subnet")
def _vpc_gateway(draw: st.DrawFn, fab: Fabric) -> None:
    prefix = _pick(draw, _subnets(fab))
    network = prefix["prefix"].split("/")[0]
    key = draw(st.sampled_from(("gateway", "dhcp_start", "dhcp_end", "prefix")))
    values = {"prefix": ["10.11.1.5/24", "10.11.1.0/40", "fd00::/64"]}.get(key, ["198.51.100.7", network, "bad"])
    prefix[key] = _pick(draw, values)


@variant("vpc", "subnet_outside_namespace")
def _vpc_outside(draw: st.DrawFn, fab: Fabric) -> None:
    prefix = _pick(draw, _subnets(fab))
    prefix.update(prefix="192.168.77.0/24", gateway=None, dhcp_start=None, dhcp_end=None)


@variant("vpc", "name_collision")
def _vpc_collision(draw: st.DrawFn, fab: Fabric) -> None:
    prefix = _pick(draw, _subnets(fab))
    vpc, key = prefix["_ref"].split("/")
    if draw(st.booleans()):
        vrf = fab.by_id("vrfs", prefix["vrf_id"])
        fab.add("vrfs", name=_colliding(vpc), tags=["hh-vpc"], ipv4_namespace=vrf["ipv4_namespace"],
                vlan_namespace=vrf["vlan_namespace"])  # fmt: skip
    else:
        fab.add("prefixes", **{k: v for k, v in prefix.items() if k not in ("id", "_ref", "prefix")},
                prefix="10.11.250.0/24" if prefix["prefix"].startswith("10.11.") else "10.12.250.0/24")  # fmt: skip
        fab.records["prefixes"][-1]["vpc_subnet"] = _colliding(key)


def _attach(fab: Fabric, cables: list[Record], prefix_id: int) -> None:
    cables[0]["vpc_subnets"] = sorted({*cables[0].get("vpc_subnets", []), prefix_id})


@variant("vpc_attachment", "name_too_long")
def _attachment_long(draw: st.DrawFn, fab: Fabric) -> None:
    prefix = _pick(draw, _subnets(fab))
    fab.by_id("vrfs", prefix["vrf_id"])["name"] = "v" * 40
    prefix["vpc_subnet"] = "s" * 20
    _attach(fab, _conn(draw, fab, "unbundled", "bundled", "mclag", "eslag")[1], prefix["id"])


@variant("vpc_attachment", "not_a_vpc_subnet")
def _attachment_not_subnet(draw: st.DrawFn, fab: Fabric) -> None:
    others = [p["id"] for p in fab.records["prefixes"] if not p.get("vpc_subnet")]
    _attach(fab, _conn(draw, fab, "unbundled", "bundled", "mclag", "eslag")[1], _pick(draw, others))


@variant("vpc_attachment", "not_a_server_connection")
def _attachment_not_server(draw: st.DrawFn, fab: Fabric) -> None:
    _attach(fab, _conn(draw, fab, "fabric", "mclagDomain")[1], _pick(draw, fab.subnet_prefixes))


@variant("vpc_attachment", "native_not_attached")
def _attachment_native(draw: st.DrawFn, fab: Fabric) -> None:
    _, cables = _conn(draw, fab, "unbundled", "bundled", "mclag", "eslag")
    _attach(fab, cables, fab.subnet_prefixes[0])
    cables[0]["native_vlan_subnet"] = _pick(draw, [p["id"] for p in _containers(fab)])


@variant("connection", "name_not_dns_label")
def _conn_name(draw: st.DrawFn, fab: Fabric) -> None:
    bad = _pick(draw, [n for n in NOT_LABELS if n])
    for cable in _conn(draw, fab, "unbundled", "bundled", "mclag", "eslag", "fabric", "mclagDomain")[1]:
        cable["connection"] = bad


@variant("connection", "kind_missing")
def _conn_kind_missing(draw: st.DrawFn, fab: Fabric) -> None:
    name, cables = _conn(draw, fab, "bundled", "mclag", "eslag", "fabric", "mclagDomain", "unbundled")
    kind = fab.connections[name][0]
    others = [k for k in ("unbundled", "bundled", "fabric") if k != kind]
    _pick(draw, cables)["kind"] = _pick(draw, [None, *others] if len(cables) > 1 else [None])


@variant("connection", "mclag_link_role_missing")
def _conn_mclag_link(draw: st.DrawFn, fab: Fabric) -> None:
    _pick(draw, _conn(draw, fab, "mclagDomain")[1])["mclag_link"] = draw(st.sampled_from((None, "", "backup")))


@variant("connection", "fabric_ip_missing")
def _conn_fabric_ip(draw: st.DrawFn, fab: Fabric) -> None:
    cable = _pick(draw, _conn(draw, fab, "fabric")[1])
    iface = cable[draw(st.sampled_from(("a", "b")))][0]["object_id"]
    fab.records["ip_addresses"] = [
        a for a in fab.records["ip_addresses"] if a["interface_id"] != iface or ":" in a["address"]
    ]


@variant("connection", "not_an_interface")
def _conn_not_interface(draw: st.DrawFn, fab: Fabric) -> None:
    cable = _pick(draw, _conn(draw, fab, "unbundled", "bundled", "mclag", "eslag", "fabric", "mclagDomain")[1])
    end = cable[draw(st.sampled_from(("a", "b")))][0]
    if draw(st.booleans()):
        end["object_type"] = _pick(draw, ["dcim.frontport", "dcim.rearport", "circuits.circuittermination"])
    else:
        end["object_id"] = 999_999  # no interface has this id


@variant("connection", "endpoints_do_not_fit")
def _conn_shape(draw: st.DrawFn, fab: Fabric) -> None:
    way = draw(st.sampled_from(("unbundled", "bundled", "mclag", "eslag", "fabric", "mclagDomain")))
    name, cables = _conn(draw, fab, way)
    first = cables[0]
    server = _device_of(fab, first, "a")
    spine = _devices(fab, SWITCH, "spine")[0]
    if way == "unbundled":  # a second cable
        _extra_cable(fab, first, server, _device_of(fab, first, "b"))
    elif way in ("bundled", "mclag", "eslag"):  # a cable to a switch outside the group, or to another server
        other = _pick(draw, [spine, *(s for s in _devices(fab, SERVER) if s["id"] != server["id"])])
        _extra_cable(fab, first, server, other)
    elif way == "fabric":  # a spine-spine or leaf-leaf cable
        leaf = _device_of(fab, first, "b")
        _extra_cable(fab, first, *_pick(draw, [(spine, spine), (leaf, leaf)]))
    else:  # an mclagDomain without session (or peer) links
        role = draw(st.sampled_from(("peer", "session")))
        for cable in cables:
            if cable["mclag_link"] == role:
                cable["connection"] = None
        fab.connections[name] = ("mclagDomain", [c["id"] for c in cables if c["connection"] is not None])


@variant("connection", "unsupported_kind")
def _conn_unsupported(draw: st.DrawFn, fab: Fabric) -> None:
    kind = _pick(draw, ["vpcLoopback", "external", "staticExternal", "gateway"])
    for cable in _conn(draw, fab, "unbundled", "bundled", "mclag", "eslag", "fabric", "mclagDomain")[1]:
        cable["kind"] = kind


@variant("connection", "name_collision")
def _conn_collision(draw: st.DrawFn, fab: Fabric) -> None:
    names = sorted(fab.connections)
    keep, rename = draw(st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True))
    for cable_id in fab.connections[rename][1]:
        fab.by_id("cables", cable_id)["connection"] = _colliding(keep)
