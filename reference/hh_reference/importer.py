"""`reference import`: a GitOps tree of Hedgehog manifests -> NetBox intent, the inverse of the render.

Every document is checked first: a retired apiVersion (HH-VAL-009), an unknown kind (HH-VAL-010),
an object the Kubernetes contract rejects or that the mappings cannot hold (HH-VAL-011), and the
other mapping rejections are reported with their code and file. Nothing is created unless every
document passes, and what is created renders back to the same manifests byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hh_reference.contracts import validators
from hh_reference.errors import condition_error
from hh_reference.manifests import load_all
from hh_reference.naming import KINDS, SERVED_VERSION, dns_label
from hh_reference.netbox import NetBox
from hh_reference.render import SERVER_KINDS
from hh_reference.specs import default_spec_root

# spec keys each mapping writes; any other key has no NetBox home and is reported, never dropped
_MAPPED: dict[str, frozenset[str]] = {
    "Switch": frozenset(
        {
            "role",
            "description",
            "profile",
            "asn",
            "ip",
            "protocolIP",
            "vtepIP",
            "groups",
            "redundancy",
            "vlanNamespaces",
            "boot",
        }
    ),
    "Server": frozenset({"description"}),
    "VPC": frozenset({"ipv4Namespace", "vlanNamespace", "subnets"}),
    "VPCAttachment": frozenset({"connection", "subnet", "nativeVLAN"}),
}
_SUBNET_KEYS = frozenset({"subnet", "vlan", "gateway", "dhcp"})


@dataclass(frozen=True)
class ImportProblem:
    """One document that cannot be imported: its file, its catalog code and why."""

    file: str
    code: str
    message: str


@dataclass
class ImportReport:
    """The outcome: problems (nothing was created) or the number of objects imported per kind."""

    problems: list[ImportProblem] = field(default_factory=list)
    imported: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_manifests(
    root: Path, spec_root: Path | None = None
) -> tuple[list[tuple[str, dict[str, Any]]], list[ImportProblem]]:
    """Every object under ``root`` (one or many per ``.yaml``/``.yml`` file) with its file, and the problems."""
    compiled = validators(spec_root or default_spec_root())
    objects: list[tuple[str, dict[str, Any]]] = []
    problems: list[ImportProblem] = []

    def problem(file: str, condition: str, **details: Any) -> None:
        error = condition_error(condition, file=file, **details)
        problems.append(ImportProblem(file, error.code, error.message))

    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    for path in files:
        name = str(path.relative_to(root))
        try:
            documents = load_all(path.read_bytes())
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problem(name, "manifest_contract_invalid", reason=f"not valid YAML: {exc}")
            continue
        for index, doc in enumerate(documents):
            where = f"{name}#{index}"
            if (
                not isinstance(doc, dict)
                or not isinstance(doc.get("kind"), str)
                or not isinstance(doc.get("apiVersion"), str)
            ):
                problem(where, "manifest_contract_invalid", reason="a document needs string apiVersion and kind")
                continue
            kind, api_version = doc["kind"], doc["apiVersion"]
            if kind not in KINDS:
                problem(where, "import_kind_unknown", kind=kind, known=", ".join(sorted(KINDS)))
                continue
            if api_version != KINDS[kind].api_version:
                version = api_version.rsplit("/", 1)[-1]
                # a served version under another group is a kind we do not know; any other version is retired
                condition = "import_api_version_retired" if version != SERVED_VERSION else "import_kind_unknown"
                problem(where, condition, apiVersion=api_version, served=KINDS[kind].api_version)
                continue
            errors = sorted(compiled[kind].iter_errors(doc), key=lambda e: list(e.absolute_path))
            if errors:
                first = errors[0]
                pointer = "/".join(str(p) for p in first.absolute_path)
                problem(where, "manifest_contract_invalid", field=pointer or "(root)", reason=first.message)
                continue
            objects.append((where, doc))
    return objects, problems


class _Plan:
    """Checks the objects against the mappings' inverse and creates them in NetBox in dependency order."""

    def __init__(self, objects: list[tuple[str, dict[str, Any]]]) -> None:
        self.problems: list[ImportProblem] = []
        self.by_kind: dict[str, list[tuple[str, dict[str, Any]]]] = {kind: [] for kind in KINDS}
        for where, obj in objects:
            self.by_kind[obj["kind"]].append((where, obj))

    def problem(self, where: str, condition: str, **details: Any) -> None:
        error = condition_error(condition, file=where, **details)
        self.problems.append(ImportProblem(where, error.code, error.message))

    def names(self, kind: str) -> dict[str, dict[str, Any]]:
        return {obj["metadata"]["name"]: obj for _, obj in self.by_kind[kind]}

    def check(self) -> None:
        vlan_namespaces = sorted(self.names("VLANNamespace"))
        groups = self.names("SwitchGroup")
        devices = {**self.names("Switch"), **self.names("Server")}
        typed = {
            sw["spec"]["redundancy"]["group"] for sw in self.names("Switch").values() if "redundancy" in sw["spec"]
        }
        for where, obj in self.by_kind["SwitchGroup"]:
            if obj["metadata"]["name"] not in typed:
                self.problem(
                    where,
                    "required_custom_field_empty",
                    field="hh_redundancy_type",
                    reason="no switch names this group in spec.redundancy",
                )
        for kind, keys in _MAPPED.items():
            for where, obj in self.by_kind[kind]:
                extra = sorted(set(obj["spec"]) - keys)
                if extra:
                    self.problem(
                        where,
                        "manifest_contract_invalid",
                        field=f"spec.{extra[0]}",
                        reason="the NetBox mapping has no field for it",
                    )
        for where, sw in self.by_kind["Switch"]:
            spec = sw["spec"]
            group = spec.get("redundancy", {}).get("group")
            if spec.get("groups", []) != ([group] if group else []) or (group and group not in groups):
                self.problem(
                    where,
                    "manifest_contract_invalid",
                    field="spec.groups",
                    reason="must be [spec.redundancy.group], a SwitchGroup of the import",
                )
            if spec.get("vlanNamespaces", []) != vlan_namespaces:
                self.problem(
                    where,
                    "manifest_contract_invalid",
                    field="spec.vlanNamespaces",
                    reason=f"a switch uses every VLAN namespace of its fabric: {vlan_namespaces}",
                )
            if set(spec.get("boot", {})) - {"serial"}:
                self.problem(
                    where, "manifest_contract_invalid", field="spec.boot", reason="only boot.serial has a NetBox field"
                )
        for where, conn in self.by_kind["Connection"]:
            kind = next(iter(conn["spec"]))
            if kind not in (*SERVER_KINDS, "fabric", "mclagDomain"):
                self.problem(
                    where,
                    "connection_shape_invalid",
                    kind=kind,
                    reason="the NetBox mapping produces only server, fabric and mclagDomain connections",
                )
                continue
            for port in _ports(conn["spec"][kind]):
                if port.split("/", 1)[0] not in devices:
                    self.problem(
                        where,
                        "port_reference_invalid",
                        port=port,
                        reason="no Switch or Server of the import has that name",
                    )
        self._check_vpcs()

    def _check_vpcs(self) -> None:
        vpcs = self.names("VPC")
        connections = self.names("Connection")
        for where, vpc in self.by_kind["VPC"]:
            if vpc["spec"]["vlanNamespace"] not in self.names("VLANNamespace"):
                self.problem(
                    where, "vlan_out_of_range", field="spec.vlanNamespace", reason="not a VLANNamespace of the import"
                )
            for key, subnet in vpc["spec"]["subnets"].items():
                if set(subnet) - _SUBNET_KEYS:
                    self.problem(
                        where,
                        "manifest_contract_invalid",
                        field=f"spec.subnets.{key}",
                        reason="only subnet, vlan, gateway and dhcp have NetBox fields",
                    )
        for where, att in self.by_kind["VPCAttachment"]:
            spec = att["spec"]
            vpc, _, key = spec["subnet"].partition("/")
            conn = connections.get(spec["connection"])
            if conn is None or next(iter(conn["spec"])) not in SERVER_KINDS:
                self.problem(
                    where,
                    "connection_shape_invalid",
                    connection=spec["connection"],
                    reason="not a server Connection of the import",
                )
            if key not in vpcs.get(vpc, {}).get("spec", {}).get("subnets", {}):
                self.problem(
                    where,
                    "required_custom_field_empty",
                    subnet=spec["subnet"],
                    reason="not a subnet of a VPC of the import",
                )
            if att["metadata"]["name"] != f"{spec['connection']}--{vpc}--{key}":
                self.problem(
                    where,
                    "manifest_contract_invalid",
                    field="metadata.name",
                    reason="must be <connection>--<vpc>--<subnet>",
                )


def _ports(body: Mapping[str, Any]) -> list[str]:
    links = (
        [body["link"]]
        if "link" in body
        else [*body.get("links", []), *body.get("peerLinks", []), *body.get("sessionLinks", [])]
    )
    return [end["port"] for link in links for end in link.values()]


class _Writer:
    """Creates NetBox objects through the contract's create operations, caching ids by name."""

    def __init__(self, netbox: NetBox, site: int) -> None:
        self.nb = netbox
        self.site = site
        self.devices: dict[str, int] = {}
        self.ports: dict[str, int] = {}
        self.switches: frozenset[str] = frozenset()

    def create(self, model: str, body: dict[str, Any]) -> int:
        return int(self.nb.create(model, body)["id"])

    def find_or_create(self, model: str, slug: str, body: dict[str, Any]) -> int:
        found = self.nb.list_all(model, slug=slug)
        return int(found[0]["id"]) if found else self.create(model, {**body, "slug": slug})

    def port(self, ref: str) -> int:
        """The interface of a port reference ``device/interface``, created on first use."""
        if ref not in self.ports:
            device, name = ref.split("/", 1)
            kind = "100gbase-x-qsfp28" if device in self.switches else "25gbase-x-sfp28"
            self.ports[ref] = self.create(
                "dcim.interfaces", {"device": self.devices[device], "name": name, "type": kind}
            )
        return self.ports[ref]


def _cable_rows(kind: str, body: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(a port, b port, per-cable custom fields) for each link of a connection."""
    if kind in SERVER_KINDS:
        links = [body["link"]] if kind == "unbundled" else body["links"]
        return [(link["server"]["port"], link["switch"]["port"], {}) for link in links]
    if kind == "fabric":
        return [(link["spine"]["port"], link["leaf"]["port"], {}) for link in body["links"]]
    rows = [(link["switch1"]["port"], link["switch2"]["port"], {"hh_mclag_link": "peer"}) for link in body["peerLinks"]]
    return rows + [
        (link["switch1"]["port"], link["switch2"]["port"], {"hh_mclag_link": "session"})
        for link in body["sessionLinks"]
    ]


def write_fabric(netbox: NetBox, fabric: str, by_kind: dict[str, list[tuple[str, dict[str, Any]]]]) -> dict[str, int]:
    """Create the fabric's NetBox intent from checked objects; return how many of each kind."""
    objs = {kind: [obj for _, obj in items] for kind, items in by_kind.items()}
    slug = dns_label(fabric, source="fabric name")
    site = netbox.list_all("dcim.sites", slug=slug)
    tag = [{"name": "Hedgehog fabric", "slug": "hh-fabric"}]
    site_id = (
        int(site[0]["id"])
        if site
        else int(netbox.create("dcim.sites", {"name": fabric, "slug": slug, "status": "active", "tags": tag})["id"])
    )
    w = _Writer(netbox, site_id)
    maker = w.find_or_create("dcim.manufacturers", "hh-import", {"name": "Hedgehog import"})
    roles = {raw["slug"]: int(raw["id"]) for raw in netbox.list_all("dcim.device_roles")}

    groups: dict[str, int] = {}
    for ns in objs["VLANNamespace"]:
        name = ns["metadata"]["name"]
        ranges = [[r["from"], r["to"]] for r in ns["spec"]["ranges"]]
        body = {
            "name": name,
            "slug": name,
            "scope_type": "dcim.site",
            "scope_id": site_id,
            "vid_ranges": ranges,
            "tags": [{"name": "Hedgehog VLAN namespace", "slug": "hh-vlan-namespace"}],
        }
        groups[name] = w.create("ipam.vlan_groups", body)
    for ns in objs["IPv4Namespace"]:
        for subnet in ns["spec"]["subnets"]:
            cf = {"hh_ipv4_namespace": ns["metadata"]["name"]}
            w.create(
                "ipam.prefixes",
                {
                    "prefix": subnet,
                    "status": "container",
                    "scope_type": "dcim.site",
                    "scope_id": site_id,
                    "custom_fields": cf,
                },
            )
    subnets: dict[str, int] = {}
    for vpc in objs["VPC"]:
        name, spec = vpc["metadata"]["name"], vpc["spec"]
        cf = {"hh_ipv4_namespace": spec["ipv4Namespace"], "hh_vlan_namespace": spec["vlanNamespace"]}
        vrf = w.create(
            "ipam.vrfs", {"name": name, "tags": [{"name": "Hedgehog VPC", "slug": "hh-vpc"}], "custom_fields": cf}
        )
        for key, sub in spec["subnets"].items():
            vlan = w.create(
                "ipam.vlans", {"vid": sub["vlan"], "name": f"{name}-{key}", "group": groups[spec["vlanNamespace"]]}
            )
            dhcp = sub.get("dhcp", {})
            pcf = {"hh_vpc_subnet": key, "hh_gateway": sub.get("gateway"), "hh_dhcp": dhcp.get("enable")}
            pcf |= {
                "hh_dhcp_start": dhcp.get("range", {}).get("start"),
                "hh_dhcp_end": dhcp.get("range", {}).get("end"),
            }
            body = {"prefix": sub["subnet"], "vrf": vrf, "vlan": vlan, "status": "active", "custom_fields": pcf}
            subnets[f"{name}/{key}"] = w.create("ipam.prefixes", body)

    switches = objs["Switch"]
    w.switches = frozenset(sw["metadata"]["name"] for sw in switches)
    chassis: dict[str, int] = {}
    for group in objs["SwitchGroup"]:
        name = group["metadata"]["name"]
        kind = next(
            sw["spec"]["redundancy"]["type"] for sw in switches if sw["spec"].get("redundancy", {}).get("group") == name
        )
        chassis[name] = w.create("dcim.virtual_chassis", {"name": name, "custom_fields": {"hh_redundancy_type": kind}})
    types: dict[str | None, int] = {}
    position: dict[str, int] = {}
    for sw in sorted(switches, key=lambda o: o["metadata"]["name"]):
        name, spec = sw["metadata"]["name"], sw["spec"]
        profile = spec.get("profile")
        if profile not in types:
            slug_ = f"hh-{profile}" if profile else "hh-generic-switch"
            types[profile] = w.find_or_create(
                "dcim.device_types",
                slug_,
                {"manufacturer": maker, "model": slug_, "custom_fields": {"hh_switch_profile": profile}},
            )
        cf = {
            "hh_switch_role": spec["role"],
            "hh_asn": spec.get("asn"),
            "hh_protocol_ip": spec.get("protocolIP"),
            "hh_vtep_ip": spec.get("vtepIP"),
        }
        body = {
            "name": name,
            "device_type": types[profile],
            "role": roles["hedgehog-switch"],
            "site": site_id,
            "custom_fields": cf,
        }
        body |= {"description": spec.get("description", ""), "serial": spec.get("boot", {}).get("serial", "")}
        group = spec.get("redundancy", {}).get("group")
        if group:
            position[group] = position.get(group, 0) + 1
            body |= {"virtual_chassis": chassis[group], "vc_position": position[group]}
        w.devices[name] = w.create("dcim.devices", body)
        if "ip" in spec:
            address = w.create(
                "ipam.ip_addresses",
                {
                    "address": spec["ip"],
                    "assigned_object_type": "dcim.interface",
                    "assigned_object_id": w.port(f"{name}/mgmt0"),
                },
            )
            netbox.update("dcim.devices", w.devices[name], {"primary_ip4": address})
    server_type = w.find_or_create(
        "dcim.device_types", "hh-generic-server", {"manufacturer": maker, "model": "hh-generic-server"}
    )
    for server in objs["Server"]:
        name = server["metadata"]["name"]
        body = {
            "name": name,
            "device_type": server_type,
            "role": roles["hedgehog-server"],
            "site": site_id,
            "description": server["spec"].get("description", ""),
        }
        w.devices[name] = w.create("dcim.devices", body)

    attached: dict[str, list[str]] = {}
    native: dict[str, str] = {}
    for att in objs["VPCAttachment"]:
        attached.setdefault(att["spec"]["connection"], []).append(att["spec"]["subnet"])
        if att["spec"].get("nativeVLAN"):
            native[att["spec"]["connection"]] = att["spec"]["subnet"]
    for conn in objs["Connection"]:
        name = conn["metadata"]["name"]
        kind, body = next(iter(conn["spec"].items()))
        cf = {"hh_connection": name, "hh_connection_kind": kind}
        if kind in SERVER_KINDS:
            cf |= {"hh_mtu": body.get("mtu"), "hh_fallback": body.get("fallback")}
            cf |= {"hh_vpc_subnets": [subnets[s] for s in sorted(attached.get(name, []))]}
            cf |= {"hh_native_vlan_subnet": subnets[native[name]] if name in native else None}
        for link in body.get("links", []) if kind == "fabric" else []:
            for end in ("spine", "leaf"):
                ip = {
                    "address": link[end]["ip"],
                    "assigned_object_type": "dcim.interface",
                    "assigned_object_id": w.port(link[end]["port"]),
                }
                w.create("ipam.ip_addresses", ip)
        for a, b, extra in _cable_rows(kind, body):
            ends = [[{"object_type": "dcim.interface", "object_id": w.port(ref)}] for ref in (a, b)]
            w.create(
                "dcim.cables", {"a_terminations": ends[0], "b_terminations": ends[1], "custom_fields": {**cf, **extra}}
            )
    return {kind: len(items) for kind, items in objs.items() if items}


def import_manifests(netbox: NetBox, fabric: str, root: Path, spec_root: Path | None = None) -> ImportReport:
    """Check every manifest under ``root``; when all pass, create the fabric ``fabric`` in NetBox."""
    objects, problems = load_manifests(root, spec_root)
    plan = _Plan(objects)
    if not problems:
        plan.check()
    report = ImportReport(problems=[*problems, *plan.problems])
    if report.ok:
        report.imported = write_fabric(netbox, fabric, plan.by_kind)
    return report
