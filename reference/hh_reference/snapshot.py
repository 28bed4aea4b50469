"""The NetBox side of one fabric as typed values: what the renderer reads and nothing more.

The reader (``hh_reference.netbox``) fills a :class:`FabricSnapshot` from the NetBox REST API;
unit tests build one directly. Every field holds the raw NetBox value (custom fields included),
so the renderer, not the reader, decides what is valid and which catalog code a bad value gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLE_SWITCH = "hedgehog-switch"
ROLE_SERVER = "hedgehog-server"
TAG_FABRIC = "hh-fabric"
TAG_VPC = "hh-vpc"
TAG_VLAN_NAMESPACE = "hh-vlan-namespace"


@dataclass(frozen=True)
class Site:
    id: int
    name: str
    slug: str
    tags: frozenset[str] = frozenset()
    custom_fields: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class DeviceType:
    id: int
    slug: str
    switch_profile: str | None = None


@dataclass(frozen=True)
class Device:
    """A switch or server (or any other device of the site; the renderer selects by role)."""

    id: int
    name: str
    role: str
    device_type_id: int
    description: str = ""
    serial: str = ""
    primary_ip4: str | None = None
    virtual_chassis_id: int | None = None
    switch_role: str | None = None
    asn: int | None = None
    protocol_ip: str | None = None
    vtep_ip: str | None = None


@dataclass(frozen=True)
class VirtualChassis:
    id: int
    name: str
    redundancy_type: str | None = None


@dataclass(frozen=True)
class Interface:
    id: int
    device_id: int
    name: str


@dataclass(frozen=True)
class Termination:
    object_type: str
    object_id: int


@dataclass(frozen=True)
class Cable:
    """A cable with the hh_* custom fields that group cables into connections."""

    id: int
    a: tuple[Termination, ...]
    b: tuple[Termination, ...]
    connection: str | None = None
    kind: str | None = None
    mclag_link: str | None = None
    mtu: int | None = None
    fallback: bool | None = None
    vpc_subnets: tuple[int, ...] = ()
    native_vlan_subnet: int | None = None


@dataclass(frozen=True)
class VlanGroup:
    id: int
    name: str
    slug: str
    vid_ranges: tuple[tuple[int, int], ...]
    tags: frozenset[str] = frozenset()
    scope_type: str | None = None
    scope_id: int | None = None


@dataclass(frozen=True)
class Vrf:
    id: int
    name: str
    tags: frozenset[str] = frozenset()
    ipv4_namespace: str | None = None
    vlan_namespace: str | None = None


@dataclass(frozen=True)
class Prefix:
    id: int
    prefix: str
    status: str
    vrf_id: int | None = None
    vlan_vid: int | None = None
    ipv4_namespace: str | None = None
    vpc_subnet: str | None = None
    gateway: str | None = None
    dhcp: bool | None = None
    dhcp_start: str | None = None
    dhcp_end: str | None = None
    scope_type: str | None = None
    scope_id: int | None = None


@dataclass(frozen=True)
class IpAddress:
    id: int
    address: str
    interface_id: int | None = None


@dataclass(frozen=True)
class FabricSnapshot:
    """Everything one fabric site holds in NetBox that the mappings read."""

    site: Site
    devices: tuple[Device, ...] = ()
    device_types: tuple[DeviceType, ...] = ()
    virtual_chassis: tuple[VirtualChassis, ...] = ()
    interfaces: tuple[Interface, ...] = ()
    cables: tuple[Cable, ...] = ()
    vlan_groups: tuple[VlanGroup, ...] = ()
    vrfs: tuple[Vrf, ...] = ()
    prefixes: tuple[Prefix, ...] = ()
    ip_addresses: tuple[IpAddress, ...] = ()
