"""A fabric's NetBox intent read back as the raw records a :class:`harness.adapter.Renderer` takes.

The records are the NetBox model of ``contracts/mappings/README.md`` in the shape the property
suites generate (``harness.generate.property_fabric``): one list per model, custom fields under
the names the mappings read them by (``hh_switch_role`` -> ``switch_role``), relations as ids. With
the implementation's own pure renderer this gives "the render of the current NetBox intent" that
the render invariants compare the target branch with, read by the harness's own client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.world.netbox_api import NetBoxApi

Record = dict[str, Any]


def _cf(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    return raw.get("custom_fields") or {}


def _id(value: Any) -> int | None:
    """The id of a nested object (``{"id": 3, ...}``) or of a plain id; None for none."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return int(value) if value is not None else None


def _choice(value: Any) -> Any:
    """A choice field's value (``{"value": ..., "label": ...}``), or the value itself."""
    return value.get("value") if isinstance(value, Mapping) else value


def _tags(raw: Mapping[str, Any]) -> list[str]:
    return sorted(str(t["slug"]) for t in raw.get("tags") or [])


def _device(raw: Mapping[str, Any]) -> Record:
    cf = _cf(raw)
    primary = raw.get("primary_ip4")
    return {
        "id": int(raw["id"]), "name": str(raw.get("name") or ""), "role": str(raw["role"]["slug"]),
        "device_type_id": _id(raw["device_type"]), "description": str(raw.get("description") or ""),
        "serial": str(raw.get("serial") or ""),
        "primary_ip4": str(primary["address"]) if isinstance(primary, Mapping) else None,
        "virtual_chassis_id": _id(raw.get("virtual_chassis")), "switch_role": _choice(cf.get("hh_switch_role")),
        "asn": cf.get("hh_asn"), "protocol_ip": cf.get("hh_protocol_ip"), "vtep_ip": cf.get("hh_vtep_ip"),
    }  # fmt: skip


def _cable(raw: Mapping[str, Any]) -> Record:
    cf = _cf(raw)
    ends = {side: [{"object_type": str(t["object_type"]), "object_id": int(t["object_id"])}
                   for t in raw.get(f"{side}_terminations") or []] for side in ("a", "b")}  # fmt: skip
    return {
        "id": int(raw["id"]), **ends, "connection": cf.get("hh_connection") or None,
        "kind": _choice(cf.get("hh_connection_kind")), "mclag_link": _choice(cf.get("hh_mclag_link")),
        "mtu": cf.get("hh_mtu"), "fallback": cf.get("hh_fallback"),
        "vpc_subnets": [_id(p) for p in cf.get("hh_vpc_subnets") or []],
        "native_vlan_subnet": _id(cf.get("hh_native_vlan_subnet")),
    }  # fmt: skip


def _prefix(raw: Mapping[str, Any]) -> Record:
    cf = _cf(raw)
    vlan = raw.get("vlan")
    return {
        "id": int(raw["id"]), "prefix": str(raw["prefix"]), "status": _choice(raw["status"]),
        "vrf_id": _id(raw.get("vrf")), "vlan_vid": int(vlan["vid"]) if isinstance(vlan, Mapping) else None,
        "ipv4_namespace": cf.get("hh_ipv4_namespace") or None, "vpc_subnet": cf.get("hh_vpc_subnet") or None,
        "gateway": cf.get("hh_gateway") or None, "dhcp": cf.get("hh_dhcp"),
        "dhcp_start": cf.get("hh_dhcp_start") or None, "dhcp_end": cf.get("hh_dhcp_end") or None,
        "scope_type": raw.get("scope_type"), "scope_id": _id(raw.get("scope_id")),
    }  # fmt: skip


def read_intent(api: NetBoxApi, slug: str) -> tuple[Record, dict[str, list[Record]]]:
    """The site ``slug`` and the records of everything the mappings read for it: its devices (their
    types, chassis, interfaces, the switches' IP addresses), its cables, the VLAN groups scoped to it,
    the VPC VRFs, the IPv4 namespace containers and the VRFs' prefixes. NetBox VRFs carry no site:
    every VRF tagged hh-vpc is read (the harness's worlds hold one fabric per NetBox)."""
    site_raw = next(iter(api.list_all("dcim.sites", slug=slug)), None)
    if site_raw is None:
        raise LookupError(f"NetBox has no site {slug!r}")
    site_id = int(site_raw["id"])
    site = {"id": site_id, "name": str(site_raw["name"]), "slug": slug, "tags": _tags(site_raw),
            "custom_fields": dict(_cf(site_raw))}  # fmt: skip
    devices = [_device(r) for r in api.list_all("dcim.devices", site_id=site_id)]
    type_ids = {d["device_type_id"] for d in devices}
    chassis_ids = {d["virtual_chassis_id"] for d in devices if d["virtual_chassis_id"] is not None}
    switches = {d["id"] for d in devices if d["role"] == "hedgehog-switch"}
    vrfs = [{"id": int(r["id"]), "name": str(r["name"]), "tags": _tags(r),
             "ipv4_namespace": _cf(r).get("hh_ipv4_namespace"), "vlan_namespace": _cf(r).get("hh_vlan_namespace")}
            for r in api.list_all("ipam.vrfs", tag="hh-vpc")]  # fmt: skip
    vrf_ids = {v["id"] for v in vrfs}
    prefixes = [_prefix(r) for r in api.list_all("ipam.prefixes")]
    records: dict[str, list[Record]] = {
        "devices": devices,
        "device_types": [{"id": int(r["id"]), "slug": str(r["slug"]), "switch_profile": _cf(r).get("hh_switch_profile")}
                         for r in api.list_all("dcim.device_types") if int(r["id"]) in type_ids],
        "virtual_chassis": [{"id": int(r["id"]), "name": str(r["name"]),
                             "redundancy_type": _choice(_cf(r).get("hh_redundancy_type"))}
                            for r in api.list_all("dcim.virtual_chassis") if int(r["id"]) in chassis_ids],
        "interfaces": [{"id": int(r["id"]), "device_id": _id(r["device"]), "name": str(r["name"])}
                       for r in api.list_all("dcim.interfaces", site_id=site_id)],
        "cables": [_cable(r) for r in api.list_all("dcim.cables", site_id=site_id)],
        "vlan_groups": [{"id": int(r["id"]), "name": str(r["name"]), "slug": str(r["slug"]),
                         "vid_ranges": [[int(lo), int(hi)] for lo, hi in r.get("vid_ranges") or []], "tags": _tags(r),
                         "scope_type": r.get("scope_type"), "scope_id": _id(r.get("scope_id"))}
                        for r in api.list_all("ipam.vlan_groups")
                        if r.get("scope_type") == "dcim.site" and _id(r.get("scope_id")) == site_id],
        "vrfs": vrfs,
        "prefixes": [p for p in prefixes if (p["status"] == "container" and p["scope_id"] in (None, site_id))
                     or p["vrf_id"] in vrf_ids],
        "ip_addresses": [{"id": int(r["id"]), "address": str(r["address"]),
                          "interface_id": _id(r.get("assigned_object_id"))
                          if r.get("assigned_object_type") == "dcim.interface" else None}
                         for r in (api.list_all("ipam.ip_addresses", device_id=sorted(switches)) if switches else [])],
    }  # fmt: skip
    return site, {model: sorted(rs, key=lambda r: r["id"]) for model, rs in records.items()}
