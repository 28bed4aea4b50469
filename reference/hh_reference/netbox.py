"""The NetBox client of the integration: paginated typed reads of a fabric and the few writes it may do.

Every request names its operation in ``contracts/netbox/*.yaml``; only those operations are used.
Reads return a :class:`~hh_reference.snapshot.FabricSnapshot`; writes are the site status patch,
journal entries and the creates that setup and import need.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hh_reference.http import ApiClient
from hh_reference.snapshot import (
    ROLE_SWITCH,
    TAG_FABRIC,
    TAG_VLAN_NAMESPACE,
    TAG_VPC,
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
from hh_reference.specs import ErrorCatalog

PAGE_SIZE = 500

# model -> collection path; the operation id is netbox.<app>.<model>.<verb>.
PATHS: dict[str, str] = {
    "dcim.sites": "/api/dcim/sites/",
    "dcim.manufacturers": "/api/dcim/manufacturers/",
    "dcim.device_types": "/api/dcim/device-types/",
    "dcim.device_roles": "/api/dcim/device-roles/",
    "dcim.devices": "/api/dcim/devices/",
    "dcim.interfaces": "/api/dcim/interfaces/",
    "dcim.cables": "/api/dcim/cables/",
    "dcim.virtual_chassis": "/api/dcim/virtual-chassis/",
    "ipam.vrfs": "/api/ipam/vrfs/",
    "ipam.prefixes": "/api/ipam/prefixes/",
    "ipam.ip_addresses": "/api/ipam/ip-addresses/",
    "ipam.vlan_groups": "/api/ipam/vlan-groups/",
    "ipam.vlans": "/api/ipam/vlans/",
    "extras.custom_fields": "/api/extras/custom-fields/",
    "extras.custom_field_choice_sets": "/api/extras/custom-field-choice-sets/",
    "extras.tags": "/api/extras/tags/",
    "extras.journal_entries": "/api/extras/journal-entries/",
}


class FabricNotFound(LookupError):
    """No site with the given slug is tagged hh-fabric; the message lists the fabrics there are."""


def _tags(raw: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(str(t["slug"]) for t in raw.get("tags") or [])


def _cf(raw: Mapping[str, Any]) -> dict[str, Any]:
    return dict(raw.get("custom_fields") or {})


def _id(value: Any) -> int | None:
    """The id of a nested brief object (or None)."""
    return int(value["id"]) if isinstance(value, Mapping) else None


def _select(value: Any) -> str | None:
    """A select custom field: NetBox 4.7 answers ``{"value", "label"}``, older ones the bare value."""
    if isinstance(value, Mapping):
        return str(value["value"]) if value.get("value") is not None else None
    return str(value) if value not in (None, "") else None


def _value(choice: Any) -> str:
    """A choice field (``{"value": ..., "label": ...}``) or a plain string, as its value."""
    return str(choice["value"]) if isinstance(choice, Mapping) else str(choice)


class NetBox:
    """The integration's NetBox API: one :class:`ApiClient` bound to the NetBox contract."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    @classmethod
    def connect(cls, url: str, token: str, catalog: ErrorCatalog) -> NetBox:
        """A client for ``url``; v2 tokens (``nbt_...``) go as Bearer, legacy v1 tokens as Token."""
        scheme = "Bearer" if token.startswith("nbt_") else "Token"
        return cls(ApiClient(boundary="netbox", base_url=url, token=token, catalog=catalog, auth_scheme=scheme))

    def close(self) -> None:
        self.client.close()

    def version(self) -> str:
        """The NetBox version from /api/status/."""
        body = self.client.json("netbox.status.get", "GET", "/api/status/")
        return str(body.get("netbox-version", ""))

    def iter_all(self, model: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every object of ``model`` matching ``params``, page by page (limit/offset)."""
        offset = 0
        while True:
            query = {**params, "limit": PAGE_SIZE, "offset": offset}
            page = self.client.json(f"netbox.{model}.list", "GET", PATHS[model], params=query)
            results = page.get("results") or []
            yield from results
            offset += len(results)
            if not results or page.get("next") is None or offset >= int(page.get("count", 0)):
                return

    def list_all(self, model: str, **params: Any) -> list[dict[str, Any]]:
        """``iter_all`` collected into a list."""
        return list(self.iter_all(model, **params))

    def create(self, model: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST one object; NetBox's answer (with its id) is returned."""
        result: dict[str, Any] = self.client.json(f"netbox.{model}.create", "POST", PATHS[model], json=dict(body))
        return result

    def update(self, model: str, object_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH one object (sites and devices only: the contract has no other update)."""
        path = f"{PATHS[model]}{object_id}/"
        result: dict[str, Any] = self.client.json(f"netbox.{model}.update", "PATCH", path, json=dict(body))
        return result

    def update_site_status(self, site_id: int, custom_fields: Mapping[str, Any]) -> dict[str, Any]:
        """Write the fabric's hh_* status custom fields on its site."""
        return self.update("dcim.sites", site_id, {"custom_fields": dict(custom_fields)})

    def journal(self, object_type: str, object_id: int, kind: str, comments: str) -> dict[str, Any]:
        """Record a sync result or drift as a journal entry on a NetBox object."""
        body = {
            "assigned_object_type": object_type,
            "assigned_object_id": object_id,
            "kind": kind,
            "comments": comments,
        }
        return self.create("extras.journal_entries", body)

    def fabrics(self) -> list[Site]:
        """Every site tagged hh-fabric."""
        return [self._site(raw) for raw in self.list_all("dcim.sites", tag=TAG_FABRIC)]

    def fabric(self, slug: str) -> Site:
        """The fabric site with ``slug``; FabricNotFound naming the fabrics that exist otherwise."""
        for raw in self.list_all("dcim.sites", slug=slug):
            site = self._site(raw)
            if TAG_FABRIC in site.tags:
                return site
        known = ", ".join(sorted(s.slug for s in self.fabrics())) or "none"
        raise FabricNotFound(f"NetBox has no site '{slug}' tagged {TAG_FABRIC}; fabrics there: {known}")

    def read_fabric(self, slug: str) -> FabricSnapshot:
        """Everything the mappings read for the fabric site ``slug``, as one unit: a retryable failure
        of any call restarts the whole read (per the catalog's policy), so the snapshot is one pass."""
        snapshot: FabricSnapshot = self.client.retrying(lambda: self._read_fabric(slug))
        return snapshot

    def _read_fabric(self, slug: str) -> FabricSnapshot:
        site = self.fabric(slug)
        devices = [self._device(raw) for raw in self.list_all("dcim.devices", site_id=site.id)]
        type_ids = {d.device_type_id for d in devices}
        device_types = [
            DeviceType(int(raw["id"]), str(raw["slug"]), _cf(raw).get("hh_switch_profile"))
            for raw in self.list_all("dcim.device_types")
            if int(raw["id"]) in type_ids
        ]
        chassis = [
            VirtualChassis(int(raw["id"]), str(raw["name"]), _select(_cf(raw).get("hh_redundancy_type")))
            # the site_id filter follows a chassis's master, which is often unset: select by member
            for raw in self.list_all("dcim.virtual_chassis")
            if int(raw["id"]) in {d.virtual_chassis_id for d in devices}
        ]
        interfaces = [
            Interface(int(raw["id"]), int(raw["device"]["id"]), str(raw["name"]))
            for raw in self.list_all("dcim.interfaces", site_id=site.id)
        ]
        cables = [self._cable(raw) for raw in self.list_all("dcim.cables", site_id=site.id)]
        vlan_groups = [self._vlan_group(raw) for raw in self.list_all("ipam.vlan_groups")]
        site_groups = [g for g in vlan_groups if g.scope_type == "dcim.site" and g.scope_id == site.id]
        vrfs = self._fabric_vrfs(site, vlan_groups)
        prefixes = {
            p.id: p
            for p in (self._prefix(raw) for raw in self.list_all("ipam.prefixes", status="container"))
            if p.scope_id in (None, site.id)
        }
        for vrf in vrfs:
            prefixes.update(
                (p.id, p) for p in (self._prefix(raw) for raw in self.list_all("ipam.prefixes", vrf_id=vrf.id))
            )
        addresses = [
            IpAddress(int(raw["id"]), str(raw["address"]), self._assigned_interface(raw))
            for device in devices
            if device.role == ROLE_SWITCH
            for raw in self.list_all("ipam.ip_addresses", device_id=device.id)
        ]
        # The lists above are read one after the other; a site deleted meanwhile leaves a partial
        # snapshot whose render would prune the fabric. Read the site last: a 404 is HH-NB-003.
        self.client.json("netbox.dcim.sites.get", "GET", f"{PATHS['dcim.sites']}{site.id}/")
        return FabricSnapshot(
            site=site,
            devices=tuple(sorted(devices, key=lambda d: d.id)),
            device_types=tuple(sorted(device_types, key=lambda t: t.id)),
            virtual_chassis=tuple(sorted(chassis, key=lambda c: c.id)),
            interfaces=tuple(sorted(interfaces, key=lambda i: i.id)),
            cables=tuple(sorted(cables, key=lambda c: c.id)),
            vlan_groups=tuple(sorted(site_groups, key=lambda g: g.id)),
            vrfs=tuple(sorted(vrfs, key=lambda v: v.id)),
            prefixes=tuple(sorted(prefixes.values(), key=lambda p: p.id)),
            ip_addresses=tuple(sorted(addresses, key=lambda a: a.id)),
        )

    def _fabric_vrfs(self, site: Site, vlan_groups: list[VlanGroup]) -> list[Vrf]:
        """VRFs tagged hh-vpc that belong to this fabric.

        NetBox VRFs have no site, so a VPC belongs to the fabric whose VLAN namespace it names. A VRF
        whose hh_vlan_namespace is empty or names no fabric's namespace is kept, so the render rejects
        it with its catalog code instead of dropping it silently."""
        tagged = [g for g in vlan_groups if TAG_VLAN_NAMESPACE in g.tags and g.scope_type == "dcim.site"]
        ours = {g.slug for g in tagged if g.scope_id == site.id}
        others = {g.slug for g in tagged if g.scope_id != site.id} - ours
        vrfs = [self._vrf(raw) for raw in self.list_all("ipam.vrfs", tag=TAG_VPC)]
        return [v for v in vrfs if not v.vlan_namespace or v.vlan_namespace not in others]

    @staticmethod
    def _site(raw: Mapping[str, Any]) -> Site:
        return Site(int(raw["id"]), str(raw["name"]), str(raw["slug"]), _tags(raw), _cf(raw))

    @staticmethod
    def _device(raw: Mapping[str, Any]) -> Device:
        cf = _cf(raw)
        primary = raw.get("primary_ip4")
        return Device(
            id=int(raw["id"]),
            name=str(raw.get("name") or ""),
            role=str(raw["role"]["slug"]),
            device_type_id=int(raw["device_type"]["id"]),
            description=str(raw.get("description") or ""),
            serial=str(raw.get("serial") or ""),
            primary_ip4=str(primary["address"]) if isinstance(primary, Mapping) else None,
            virtual_chassis_id=_id(raw.get("virtual_chassis")),
            switch_role=_select(cf.get("hh_switch_role")),
            asn=cf.get("hh_asn"),
            protocol_ip=cf.get("hh_protocol_ip"),
            vtep_ip=cf.get("hh_vtep_ip"),
        )

    @staticmethod
    def _cable(raw: Mapping[str, Any]) -> Cable:
        cf = _cf(raw)

        def ends(side: str) -> tuple[Termination, ...]:
            return tuple(Termination(str(t["object_type"]), int(t["object_id"])) for t in raw.get(side) or [])

        return Cable(
            id=int(raw["id"]),
            a=ends("a_terminations"),
            b=ends("b_terminations"),
            connection=cf.get("hh_connection") or None,
            kind=_select(cf.get("hh_connection_kind")),
            mclag_link=_select(cf.get("hh_mclag_link")),
            mtu=cf.get("hh_mtu"),
            fallback=cf.get("hh_fallback"),
            vpc_subnets=tuple(int(p["id"]) for p in cf.get("hh_vpc_subnets") or []),
            native_vlan_subnet=_id(cf.get("hh_native_vlan_subnet")),
        )

    @staticmethod
    def _vlan_group(raw: Mapping[str, Any]) -> VlanGroup:
        ranges = tuple((int(low), int(high)) for low, high in raw.get("vid_ranges") or [])
        scope_id = raw.get("scope_id")
        return VlanGroup(
            int(raw["id"]),
            str(raw["name"]),
            str(raw["slug"]),
            ranges,
            _tags(raw),
            raw.get("scope_type"),
            int(scope_id) if scope_id is not None else None,
        )

    @staticmethod
    def _vrf(raw: Mapping[str, Any]) -> Vrf:
        cf = _cf(raw)
        return Vrf(
            int(raw["id"]), str(raw["name"]), _tags(raw), cf.get("hh_ipv4_namespace"), cf.get("hh_vlan_namespace")
        )

    @staticmethod
    def _prefix(raw: Mapping[str, Any]) -> Prefix:
        cf = _cf(raw)
        vlan = raw.get("vlan")
        scope_id = raw.get("scope_id")
        return Prefix(
            id=int(raw["id"]),
            prefix=str(raw["prefix"]),
            status=_value(raw["status"]),
            vrf_id=_id(raw.get("vrf")),
            vlan_vid=int(vlan["vid"]) if isinstance(vlan, Mapping) else None,
            ipv4_namespace=cf.get("hh_ipv4_namespace") or None,
            vpc_subnet=cf.get("hh_vpc_subnet") or None,
            gateway=cf.get("hh_gateway") or None,
            dhcp=cf.get("hh_dhcp"),
            dhcp_start=cf.get("hh_dhcp_start") or None,
            dhcp_end=cf.get("hh_dhcp_end") or None,
            scope_type=raw.get("scope_type"),
            scope_id=int(scope_id) if scope_id is not None else None,
        )

    @staticmethod
    def _assigned_interface(raw: Mapping[str, Any]) -> int | None:
        if raw.get("assigned_object_type") != "dcim.interface" or raw.get("assigned_object_id") is None:
            return None
        return int(raw["assigned_object_id"])
