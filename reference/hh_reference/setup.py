"""`reference init`: the choice sets, custom fields, tags and device roles of contracts/mappings/README.md.

:func:`ensure_setup` creates whatever is missing and nothing else, so a second run changes nothing;
:func:`check_setup` raises HH-NB-004 naming every missing or different item, and the sync runs it
before reading intent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hh_reference.errors import raise_condition
from hh_reference.netbox import NetBox
from hh_reference.snapshot import ROLE_SERVER, ROLE_SWITCH, TAG_FABRIC, TAG_VLAN_NAMESPACE, TAG_VPC
from hh_reference.specs import default_spec_root, load_machines

DNS_LABEL_REGEX = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_STATIC_CHOICES: dict[str, tuple[str, ...]] = {
    "hh-switch-roles": ("spine", "server-leaf", "border-leaf", "mixed-leaf", "virtual-edge"),
    "hh-redundancy-types": ("mclag", "eslag"),
    "hh-connection-kinds": ("unbundled", "bundled", "mclag", "eslag", "mclagDomain", "fabric"),
    "hh-mclag-link-roles": ("peer", "session"),
    "hh-gitops-modes": ("direct", "pull_request"),
}
# choice set -> the state machine whose states are its choices
_MACHINE_CHOICES = {
    "hh-sync-statuses": "fabric_sync",
    "hh-fabric-statuses": "fabric_status",
    "hh-connection-statuses": "connection_status",
}
TAGS: dict[str, tuple[str, tuple[str, ...]]] = {
    TAG_FABRIC: ("Hedgehog fabric", ("dcim.site",)),
    TAG_VPC: ("Hedgehog VPC", ("ipam.vrf",)),
    TAG_VLAN_NAMESPACE: ("Hedgehog VLAN namespace", ("ipam.vlangroup",)),
}
ROLES = {ROLE_SWITCH: "Hedgehog switch", ROLE_SERVER: "Hedgehog server"}


@dataclass(frozen=True)
class FieldSpec:
    """One hh_* custom field: its NetBox type, object types and, for selects and objects, the target."""

    name: str
    type: str
    object_types: tuple[str, ...]
    choice_set: str | None = None
    related: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    regex: str | None = None

    def body(self, choice_set_ids: dict[str, int]) -> dict[str, Any]:
        """The netbox.extras.custom_fields.create request. Never ``required``: it would bind every site."""
        body: dict[str, Any] = {"name": self.name, "type": self.type, "object_types": list(self.object_types)}
        if self.choice_set:
            body["choice_set"] = choice_set_ids[self.choice_set]
        if self.related:
            body["related_object_type"] = self.related
        if self.minimum is not None:
            body["validation_minimum"] = self.minimum
        if self.maximum is not None:
            body["validation_maximum"] = self.maximum
        if self.regex:
            body["validation_regex"] = self.regex
        return body


_SITE = ("dcim.site",)
_DEVICE = ("dcim.device",)
_CABLE = ("dcim.cable",)
_PREFIX = ("ipam.prefix",)
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("hh_sync_status", "select", _SITE, choice_set="hh-sync-statuses"),
    FieldSpec("hh_fabric_status", "select", _SITE, choice_set="hh-fabric-statuses"),
    FieldSpec("hh_git_connection_status", "select", _SITE, choice_set="hh-connection-statuses"),
    FieldSpec("hh_cluster_connection_status", "select", _SITE, choice_set="hh-connection-statuses"),
    FieldSpec("hh_gitops_mode", "select", _SITE, choice_set="hh-gitops-modes"),
    FieldSpec("hh_last_sync_commit", "text", _SITE, regex="^[0-9a-f]{40}$"),
    FieldSpec("hh_sync_error", "text", _SITE, regex="^HH-[A-Z0-9]{2,8}-[0-9]{3}$"),
    FieldSpec("hh_pull_request", "integer", _SITE, minimum=1),
    FieldSpec("hh_switch_role", "select", _DEVICE, choice_set="hh-switch-roles"),
    FieldSpec("hh_asn", "integer", _DEVICE, minimum=1, maximum=2147483647),
    FieldSpec("hh_protocol_ip", "text", _DEVICE),
    FieldSpec("hh_vtep_ip", "text", _DEVICE),
    FieldSpec("hh_switch_profile", "text", ("dcim.devicetype",)),
    FieldSpec("hh_redundancy_type", "select", ("dcim.virtualchassis",), choice_set="hh-redundancy-types"),
    FieldSpec("hh_connection", "text", _CABLE),
    FieldSpec("hh_connection_kind", "select", _CABLE, choice_set="hh-connection-kinds"),
    FieldSpec("hh_mclag_link", "select", _CABLE, choice_set="hh-mclag-link-roles"),
    FieldSpec("hh_mtu", "integer", _CABLE, minimum=1500, maximum=9216),
    FieldSpec("hh_fallback", "boolean", _CABLE),
    FieldSpec("hh_vpc_subnets", "multiobject", _CABLE, related="ipam.prefix"),
    FieldSpec("hh_native_vlan_subnet", "object", _CABLE, related="ipam.prefix"),
    FieldSpec("hh_ipv4_namespace", "text", ("ipam.prefix", "ipam.vrf")),
    FieldSpec("hh_vlan_namespace", "text", ("ipam.vrf",)),
    FieldSpec("hh_vpc_subnet", "text", _PREFIX, regex=DNS_LABEL_REGEX),
    FieldSpec("hh_gateway", "text", _PREFIX),
    FieldSpec("hh_dhcp", "boolean", _PREFIX),
    FieldSpec("hh_dhcp_start", "text", _PREFIX),
    FieldSpec("hh_dhcp_end", "text", _PREFIX),
)


def choice_sets(spec_root: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Every hh-* choice set and its values; the status sets are the states of their state machines."""
    machines = load_machines(spec_root or default_spec_root())
    sets = dict(_STATIC_CHOICES)
    for name, machine in _MACHINE_CHOICES.items():
        sets[name] = machines[machine].states
    return sets


def _problems(netbox: NetBox, sets: dict[str, tuple[str, ...]]) -> list[str]:
    """What NetBox lacks or holds differently, one readable line each."""
    problems: list[str] = []
    have_sets = {raw["name"]: raw for raw in netbox.list_all("extras.custom_field_choice_sets")}
    for name, values in sets.items():
        if name not in have_sets:
            problems.append(f"choice set {name} is missing")
            continue
        got = {str(pair[0]) for pair in have_sets[name].get("extra_choices") or []}
        # Extra choices do not break the integration; an object that uses one is refused where it
        # is rendered (e.g. an unknown switch role, HH-VAL-005).
        if missing := sorted(set(values) - got):
            problems.append(f"choice set {name} lacks {missing} (it has {sorted(got)})")
    have_fields = {raw["name"]: raw for raw in netbox.list_all("extras.custom_fields")}
    for spec in FIELDS:
        raw = have_fields.get(spec.name)
        if raw is None:
            problems.append(f"custom field {spec.name} is missing")
            continue
        kind = raw["type"]["value"] if isinstance(raw["type"], dict) else raw["type"]
        choice = (raw.get("choice_set") or {}).get("name")
        if kind != spec.type or not set(spec.object_types) <= set(raw.get("object_types") or []):
            problems.append(f"custom field {spec.name} is {kind} on {raw.get('object_types')}, expected {spec.type}")
        elif choice != spec.choice_set or (spec.related and raw.get("related_object_type") != spec.related):
            problems.append(f"custom field {spec.name} uses choice set {choice}, expected {spec.choice_set}")
    tags = {raw["slug"] for raw in netbox.list_all("extras.tags")}
    problems += [f"tag {slug} is missing" for slug in TAGS if slug not in tags]
    roles = {raw["slug"] for raw in netbox.list_all("dcim.device_roles")}
    problems += [f"device role {slug} is missing" for slug in ROLES if slug not in roles]
    return problems


def check_setup(netbox: NetBox, spec_root: Path | None = None) -> None:
    """Raise HH-NB-004 naming every missing or different choice set, custom field, tag and role."""
    problems = _problems(netbox, choice_sets(spec_root))
    if problems:
        raise_condition("integration_custom_fields_missing", problems="; ".join(problems))


def ensure_setup(netbox: NetBox, spec_root: Path | None = None) -> list[str]:
    """Create what is missing; return what was created (empty on a second run), then check the rest."""
    sets = choice_sets(spec_root)
    created: list[str] = []
    have_sets = {raw["name"]: int(raw["id"]) for raw in netbox.list_all("extras.custom_field_choice_sets")}
    for name, values in sets.items():
        if name not in have_sets:
            body = {"name": name, "extra_choices": [[value, value] for value in values]}
            have_sets[name] = int(netbox.create("extras.custom_field_choice_sets", body)["id"])
            created.append(f"choice set {name}")
    have_fields = {raw["name"] for raw in netbox.list_all("extras.custom_fields")}
    for spec in FIELDS:
        if spec.name not in have_fields:
            netbox.create("extras.custom_fields", spec.body(have_sets))
            created.append(f"custom field {spec.name}")
    have_tags = {raw["slug"] for raw in netbox.list_all("extras.tags")}
    for slug, (label, types) in TAGS.items():
        if slug not in have_tags:
            netbox.create("extras.tags", {"name": label, "slug": slug, "object_types": list(types)})
            created.append(f"tag {slug}")
    have_roles = {raw["slug"] for raw in netbox.list_all("dcim.device_roles")}
    for slug, label in ROLES.items():
        if slug not in have_roles:
            netbox.create("dcim.device_roles", {"name": label, "slug": slug, "color": "2f6a31"})
            created.append(f"device role {slug}")
    check_setup(netbox, spec_root)
    return created
