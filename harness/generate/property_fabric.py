"""Hypothesis strategy for valid NetBox fabric intent, built from the mapping contracts' model.

A :class:`Fabric` is the raw NetBox side of one fabric site as plain data: one list of records
per model (the field names of the mappings' NetBox model: devices with roles and custom fields,
cables grouped into connections by ``hh_connection``, VLAN groups, prefixes, VRFs, ...). It also
carries what a correct renderer must produce from it (the (kind, name) of every object), so the
properties can check the whole mapping, not only the shape of the output. Names are drawn as DNS
labels and then written the way people write them in NetBox (upper case, spaces, underscores),
because ``name.normalise: dns_label`` must map them back. A binding turns a Fabric into the
system's own snapshot type; nothing here imports the system under test.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

Record = dict[str, Any]
MODELS = ("devices", "device_types", "virtual_chassis", "interfaces", "cables", "vlan_groups", "vrfs", "prefixes")
MODELS_ALL = (*MODELS, "ip_addresses")
SWITCH, SERVER = "hedgehog-switch", "hedgehog-server"
LEAF_ROLES = ("server-leaf", "border-leaf", "mixed-leaf")


@dataclass
class Fabric:
    """Raw NetBox records of one site and the objects the mappings say they become."""

    site: Record
    records: dict[str, list[Record]] = field(default_factory=lambda: {m: [] for m in MODELS_ALL})
    expected: set[tuple[str, str]] = field(default_factory=set)
    # handles the invalid-input variants use: connection name -> (kind, cable ids), VPC subnet prefix ids
    connections: dict[str, tuple[str, list[int]]] = field(default_factory=dict)
    subnet_prefixes: list[int] = field(default_factory=list)
    port_style: str = "E1/"
    port_counts: dict[int, int] = field(default_factory=dict)
    next_id: int = 1000

    def new_id(self) -> int:
        """A record id unused in this fabric (ids are unique across models, as a test aid only)."""
        self.next_id += 1
        return self.next_id

    def add(self, model: str, **values: Any) -> Record:
        """Append a record with a fresh id to ``model`` and return it."""
        record = {"id": self.new_id(), **values}
        self.records[model].append(record)
        return record

    def by_id(self, model: str, record_id: int) -> Record:
        """The record of ``model`` with ``record_id`` (KeyError when there is none)."""
        for record in self.records[model]:
            if record["id"] == record_id:
                return record
        raise KeyError(f"{model} {record_id}")

    def new_port(self, device: Record) -> int:
        """A new interface on ``device`` (names unique per device), returning its id."""
        n = self.port_counts[device["id"]] = self.port_counts.get(device["id"], 0) + 1
        name = f"enp2s{n}" if device["role"] == SERVER else f"{self.port_style}{n}"
        return int(self.add("interfaces", device_id=device["id"], name=name)["id"])

    def copy(self) -> Fabric:
        """A deep copy, so an invalid variant never changes the fabric it was derived from."""
        return copy.deepcopy(self)


def label_words() -> st.SearchStrategy[str]:
    """Short DNS-label words; a counter makes each name unique."""
    return st.from_regex(r"\A[a-z][a-z0-9]{0,5}\Z")


def raw_name(draw: st.DrawFn, label: str) -> str:
    """``label`` as a person might type it into NetBox; ``dns_label`` of the result is ``label``."""
    style = draw(st.sampled_from(("same", "upper", "title", "spaced", "underscored", "padded")))
    if style == "upper":
        return label.upper()
    if style == "title":
        return label[:1].upper() + label[1:]
    if style == "spaced":
        return label.replace("-", " ")
    if style == "underscored":
        return label.replace("-", "_")
    if style == "padded":
        return f" _{label}. "
    return label


@dataclass
class _Names:
    """Unique DNS labels per kind: ``<word>-<n>``."""

    words: dict[str, str]
    counters: dict[str, int] = field(default_factory=dict)

    def next(self, kind: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return f"{self.words[kind]}-{self.counters[kind]}"


def _device(draw: st.DrawFn, fab: Fabric, names: _Names, role: str, index: int, **extra: Any) -> Record:
    name = names.next("device")
    device = fab.add(
        "devices",
        name=raw_name(draw, name),
        role=role,
        device_type_id=extra.pop("device_type_id"),
        description=draw(st.sampled_from(("", f"rack {index}", "Hedgehog node: ünïcode"))),
        **extra,
    )
    fab.expected.add(("Switch" if role == SWITCH else "Server", name))
    device["_label"] = name
    return device


def _switch(draw: st.DrawFn, fab: Fabric, names: _Names, switch_role: str, *, index: int, type_id: int) -> Record:
    optional = draw(st.booleans())
    return _device(
        draw,
        fab,
        names,
        SWITCH,
        index,
        device_type_id=type_id,
        switch_role=switch_role,
        serial=f"SN-{index:04d}" if optional else "",
        primary_ip4=f"172.30.1.{index}/24" if draw(st.booleans()) else None,
        asn=draw(st.integers(1, 2147483647)) if optional else None,
        protocol_ip=f"172.30.8.{index}/32" if draw(st.booleans()) else None,
        vtep_ip=f"172.30.12.{index}/32" if switch_role != "spine" and optional else None,
    )


def _cable(fab: Fabric, a: Record, b: Record, **custom: Any) -> int:
    ends = [[{"object_type": "dcim.interface", "object_id": fab.new_port(end)}] for end in (a, b)]
    return int(fab.add("cables", a=ends[0], b=ends[1], **custom)["id"])


def _connection(
    draw: st.DrawFn, fab: Fabric, names: _Names, kind: str, links: list[tuple[Record, Record, dict[str, Any]]]
) -> str:
    """Cables sharing one hh_connection value; returns the connection's expected name."""
    name = names.next("connection")
    raw = raw_name(draw, name)
    ids = [_cable(fab, a, b, connection=raw, kind=kind, **extra) for a, b, extra in links]
    fab.connections[name] = (kind, ids)
    fab.expected.add(("Connection", name))
    return name


def _namespaces(
    draw: st.DrawFn, fab: Fabric, names: _Names
) -> tuple[list[tuple[str, int, int]], list[tuple[str, int]]]:
    """VLAN namespaces (name, low, high of the first range) and IPv4 namespaces (name, second
    octet of their first /16 container)."""
    vlan: list[tuple[str, int, int]] = []
    for _ in range(draw(st.integers(1, 2))):
        name = names.next("vlan")
        low = draw(st.integers(1, 4000))
        high = draw(st.integers(low, min(low + 200, 4094)))
        ranges = [(low, high)] + ([(4094, 4094)] if draw(st.booleans()) else [])
        tags = ["hh-vlan-namespace"]
        fab.add("vlan_groups", name=name, slug=raw_name(draw, name), vid_ranges=ranges, tags=tags,
                scope_type="dcim.site", scope_id=fab.site["id"])  # fmt: skip
        fab.expected.add(("VLANNamespace", name))
        vlan.append((name, low, high))
    # VLAN groups the mapping must ignore: untagged, or tagged but scoped to another site
    fab.add("vlan_groups", name="other", slug="___", vid_ranges=[], tags=[], scope_type="dcim.site", scope_id=1)
    fab.add("vlan_groups", name="elsewhere", slug="___", vid_ranges=[], tags=["hh-vlan-namespace"],
            scope_type="dcim.site", scope_id=fab.site["id"] + 1)  # fmt: skip
    ipv4: list[tuple[str, int]] = []
    octet = 10
    for _ in range(draw(st.integers(1, 2))):
        name = names.next("ipv4")
        raw = raw_name(draw, name)
        ipv4.append((name, octet + 1))
        for _container in range(draw(st.integers(1, 2))):
            octet += 1
            fab.add("prefixes", prefix=f"10.{octet}.0.0/16", status="container", ipv4_namespace=raw)
        fab.expected.add(("IPv4Namespace", name))
    return vlan, ipv4


def _vpcs(
    draw: st.DrawFn, fab: Fabric, names: _Names, vlan: list[tuple[str, int, int]], ipv4: list[tuple[str, int]]
) -> None:
    for _ in range(draw(st.integers(1, 2))):
        name = names.next("vpc")
        v_name, low, high = draw(st.sampled_from(vlan))
        ns, base = draw(st.sampled_from(ipv4))
        vrf = fab.add("vrfs", name=raw_name(draw, name), tags=["hh-vpc"], ipv4_namespace=raw_name(draw, ns),
                      vlan_namespace=raw_name(draw, v_name))  # fmt: skip
        fab.expected.add(("VPC", name))
        for index in range(draw(st.integers(1, 3))):
            key = names.next("subnet")
            third = len(fab.subnet_prefixes) + 1
            net = f"10.{base}.{third}"
            dhcp = draw(st.sampled_from((None, True, False)))
            ranged = draw(st.booleans())
            prefix = fab.add(
                "prefixes", prefix=f"{net}.0/24", status="active", vrf_id=vrf["id"],
                vlan_vid=low + index % (high - low + 1), vpc_subnet=raw_name(draw, key),
                gateway=f"{net}.1" if draw(st.booleans()) else None, dhcp=dhcp,
                dhcp_start=f"{net}.10" if ranged else None, dhcp_end=f"{net}.99" if ranged else None,
            )  # fmt: skip
            prefix["_ref"] = f"{name}/{key}"
            fab.subnet_prefixes.append(int(prefix["id"]))
        # a prefix of the VRF that is not a VPC subnet: the mapping must leave it out
        fab.add("prefixes", prefix=f"192.0.2.{len(fab.subnet_prefixes) * 4}/30", status="active", vrf_id=vrf["id"])


def _server_connections(
    draw: st.DrawFn, fab: Fabric, names: _Names, groups: dict[str, list[Record]], free: list[Record], *, full: bool
) -> None:
    kinds = ["unbundled", "bundled", *(k for k in ("mclag", "eslag") if groups.get(k))]
    count = len(kinds) if full else draw(st.integers(1, 4))
    type_id = fab.records["device_types"][-1]["id"]
    leaves = free + [leaf for members in groups.values() for leaf in members]
    for index in range(count):
        kind = kinds[index] if full else draw(st.sampled_from(kinds))
        server = _device(draw, fab, names, SERVER, index + 1, device_type_id=type_id)
        if kind == "unbundled":
            targets = [draw(st.sampled_from(leaves))]
        elif kind == "bundled":
            targets = [draw(st.sampled_from(leaves))] * draw(st.integers(1, 3))
        elif kind == "mclag":
            targets = list(groups["mclag"])
        else:
            members = groups["eslag"]
            picked = draw(st.lists(st.sampled_from(range(len(members))), min_size=2, max_size=3, unique=True))
            targets = [members[i] for i in picked]
        mtu = draw(st.one_of(st.none(), st.integers(1500, 9216)))
        fallback = draw(st.one_of(st.none(), st.booleans()))
        subnets = draw(st.lists(st.sampled_from(fab.subnet_prefixes), max_size=2, unique=True))
        native = draw(st.sampled_from([None, *subnets]))
        links = []
        for number, leaf in enumerate(targets):
            extra: dict[str, Any] = {"mtu": mtu, "fallback": fallback}
            # the attachments are the union over the cables: put them on the first cable only
            extra |= {"vpc_subnets": subnets if number == 0 else [], "native_vlan_subnet": native}
            links.append((server, leaf, extra))
        conn = _connection(draw, fab, names, kind, links)
        for prefix_id in subnets:
            ref = fab.by_id("prefixes", prefix_id)["_ref"]
            fab.expected.add(("VPCAttachment", f"{conn}--{ref.replace('/', '--')}"))


def _fabric_links(draw: st.DrawFn, fab: Fabric, names: _Names, spines: list[Record], leaves: list[Record]) -> None:
    pairs = [(s, lf) for s in spines for lf in leaves]
    chosen = draw(st.lists(st.sampled_from(range(len(pairs))), min_size=1, max_size=len(pairs), unique=True))
    for spine, leaf in (pairs[i] for i in chosen):
        cables = draw(st.integers(1, 2))
        name = _connection(draw, fab, names, "fabric", [(spine, leaf, {})] * cables)
        for cable_id in fab.connections[name][1]:
            cable = fab.by_id("cables", cable_id)
            subnet = len(fab.records["ip_addresses"])
            for offset, end in enumerate((cable["a"][0], cable["b"][0])):
                fab.add("ip_addresses", address=f"172.31.{subnet}.{offset}/31", interface_id=end["object_id"])
            # an IPv6 address on the same interface: the mapping reads IPv4 only
            fab.add("ip_addresses", address=f"2001:db8::{subnet}/127", interface_id=cable["a"][0]["object_id"])


@st.composite
def fabrics(draw: st.DrawFn, full: bool = False) -> Fabric:
    """A valid fabric. ``full`` forces every optional part (both switch groups, every
    connection kind, an mclagDomain), which the invalid variants need to have something to break."""
    kinds = ("device", "vc", "connection", "vlan", "ipv4", "vpc", "subnet")
    names = _Names({kind: draw(label_words()) for kind in kinds})
    fab = Fabric(site={"id": 7, "name": "Fabric One", "slug": "fabric-one", "tags": ["hh-fabric"]})
    profile = names.next("vc") if draw(st.booleans()) else None
    switch_type = fab.add("device_types", slug="ds3000", switch_profile=raw_name(draw, profile) if profile else None)
    fab.add("device_types", slug="server", switch_profile=None)
    fab.port_style = draw(st.sampled_from(("E1/", "Ethernet", "swp", "eth1.")))
    vlan, ipv4 = _namespaces(draw, fab, names)
    _vpcs(draw, fab, names, vlan, ipv4)
    index = iter(range(1, 200))
    spines = [
        _switch(draw, fab, names, "spine", index=next(index), type_id=switch_type["id"])
        for _ in range(draw(st.integers(1, 2)))
    ]
    groups: dict[str, list[Record]] = {}
    for kind in ("mclag", "eslag"):
        if full or draw(st.booleans()):
            name = names.next("vc")
            vc = fab.add("virtual_chassis", name=raw_name(draw, name), redundancy_type=kind)
            vc["_label"] = name
            fab.expected.add(("SwitchGroup", name))
            size = 2 if kind == "mclag" else draw(st.integers(2, 3))
            groups[kind] = [
                _switch(
                    draw, fab, names, draw(st.sampled_from(LEAF_ROLES)), index=next(index), type_id=switch_type["id"]
                )
                for _ in range(size)
            ]
            for member in groups[kind]:
                member["virtual_chassis_id"] = vc["id"]
    free = [
        _switch(draw, fab, names, draw(st.sampled_from(LEAF_ROLES)), index=next(index), type_id=switch_type["id"])
        for _ in range(draw(st.integers(0 if groups else 1, 2)))
    ]
    # a virtual chassis without hh_redundancy_type is no switch group
    fab.add("virtual_chassis", name="___", redundancy_type=None)
    _server_connections(draw, fab, names, groups, free, full=full)
    _fabric_links(draw, fab, names, spines, free + [m for members in groups.values() for m in members])
    if "mclag" in groups and (full or draw(st.booleans())):
        one, two = groups["mclag"]
        links = [(one, two, {"mclag_link": "peer"})] * draw(st.integers(1, 2))
        links += [(one, two, {"mclag_link": "session"})] * draw(st.integers(1, 2))
        _connection(draw, fab, names, "mclagDomain", links)
    # a device of another role with a name no DNS label can hold: the mappings must not select it
    fab.add("devices", name="__", role="patch-panel", device_type_id=switch_type["id"])
    return fab
