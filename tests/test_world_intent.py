"""The harness reads a fabric's NetBox intent back into the records a Renderer takes: what NetBox's
REST API answers (nested objects, choice fields, custom fields) becomes the flat records the property
suites generate, scoped to the fabric's site. NetBox's answers are given here as it shapes them (the
client is a seam this test is not about); the live world items read a real NetBox."""

from __future__ import annotations

from typing import Any, cast

from harness.world.intent import read_intent
from harness.world.netbox_api import NetBoxApi

SITE = {"id": 7, "name": "Fabric One", "slug": "fabric-one", "tags": [{"slug": "hh-fabric"}], "custom_fields": {}}
ANSWERS: dict[str, list[dict[str, Any]]] = {
    "dcim.sites": [SITE],
    "dcim.devices": [
        {"id": 1, "name": "Leaf 01", "role": {"slug": "hedgehog-switch"}, "device_type": {"id": 3},
         "primary_ip4": {"id": 9, "address": "172.30.1.1/24"}, "virtual_chassis": {"id": 4}, "serial": None,
         "custom_fields": {"hh_switch_role": "server-leaf", "hh_asn": 65101, "hh_protocol_ip": None}},
        {"id": 2, "name": "server-01", "role": {"slug": "hedgehog-server"}, "device_type": {"id": 5},
         "custom_fields": {}},
    ],
    "dcim.device_types": [{"id": 3, "slug": "ds3000", "custom_fields": {"hh_switch_profile": "celestica-ds3000"}},
                          {"id": 5, "slug": "server", "custom_fields": {}}, {"id": 6, "slug": "unused"}],
    "dcim.virtual_chassis": [{"id": 4, "name": "mclag-1", "custom_fields": {"hh_redundancy_type": "mclag"}},
                             {"id": 8, "name": "elsewhere", "custom_fields": {}}],
    "dcim.interfaces": [{"id": 11, "device": {"id": 1}, "name": "E1/1"},
                        {"id": 12, "device": {"id": 2}, "name": "enp2s1"}],
    "dcim.cables": [{"id": 20, "a_terminations": [{"object_type": "dcim.interface", "object_id": 12}],
                     "b_terminations": [{"object_type": "dcim.interface", "object_id": 11}],
                     "custom_fields": {"hh_connection": "server-01--unbundled--leaf-01",
                                       "hh_connection_kind": "unbundled", "hh_vpc_subnets": [{"id": 31}],
                                       "hh_native_vlan_subnet": None}}],
    "ipam.vlan_groups": [
        {"id": 40, "name": "default", "slug": "default-vlans", "vid_ranges": [[1000, 1999]],
         "tags": [{"slug": "hh-vlan-namespace"}], "scope_type": "dcim.site", "scope_id": 7},
        {"id": 41, "name": "other", "slug": "other", "vid_ranges": [], "tags": [], "scope_type": "dcim.site",
         "scope_id": 99},
    ],
    "ipam.vrfs": [{"id": 30, "name": "vpc-1", "tags": [{"slug": "hh-vpc"}],
                   "custom_fields": {"hh_ipv4_namespace": "default", "hh_vlan_namespace": "default-vlans"}}],
    "ipam.prefixes": [
        {"id": 31, "prefix": "10.0.1.0/24", "status": {"value": "active", "label": "Active"}, "vrf": {"id": 30},
         "vlan": {"id": 50, "vid": 1001}, "custom_fields": {"hh_vpc_subnet": "subnet-1", "hh_dhcp": True}},
        {"id": 32, "prefix": "10.0.0.0/16", "status": {"value": "container"}, "vrf": None, "scope_id": None,
         "custom_fields": {"hh_ipv4_namespace": "default"}},
        {"id": 33, "prefix": "10.9.0.0/16", "status": {"value": "container"}, "scope_id": 99, "custom_fields": {}},
        {"id": 34, "prefix": "192.0.2.0/24", "status": {"value": "active"}, "vrf": None, "custom_fields": {}},
    ],
    "ipam.ip_addresses": [{"id": 60, "address": "172.31.0.0/31", "assigned_object_type": "dcim.interface",
                           "assigned_object_id": 11}],
}  # fmt: skip


class _Answers:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def list_all(self, model: str, **params: Any) -> list[dict[str, Any]]:
        self.calls.append((model, params))
        return ANSWERS.get(model, [])


def test_netbox_answers_become_the_renderer_records_of_the_site() -> None:
    api = _Answers()
    site, records = read_intent(cast(NetBoxApi, api), "fabric-one")
    assert site["id"] == 7 and site["tags"] == ["hh-fabric"]
    leaf = records["devices"][0]
    assert leaf == {"id": 1, "name": "Leaf 01", "role": "hedgehog-switch", "device_type_id": 3, "description": "",
                    "serial": "", "primary_ip4": "172.30.1.1/24", "virtual_chassis_id": 4,
                    "switch_role": "server-leaf", "asn": 65101, "protocol_ip": None, "vtep_ip": None}  # fmt: skip
    assert [t["id"] for t in records["device_types"]] == [3, 5]  # the types of the site's devices only
    assert records["virtual_chassis"] == [{"id": 4, "name": "mclag-1", "redundancy_type": "mclag"}]
    cable = records["cables"][0]
    assert cable["a"] == [{"object_type": "dcim.interface", "object_id": 12}]
    assert (cable["kind"], cable["vpc_subnets"], cable["native_vlan_subnet"]) == ("unbundled", [31], None)
    assert [g["id"] for g in records["vlan_groups"]] == [40]  # scoped to the site
    assert [p["id"] for p in records["prefixes"]] == [31, 32]  # the VPC's and the unscoped container
    subnet = records["prefixes"][0]
    assert (subnet["status"], subnet["vlan_vid"], subnet["vpc_subnet"]) == ("active", 1001, "subnet-1")
    assert records["ip_addresses"] == [{"id": 60, "address": "172.31.0.0/31", "interface_id": 11}]
    assert ("ipam.ip_addresses", {"device_id": [1]}) in api.calls  # one read for the switches' addresses
