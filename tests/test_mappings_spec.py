"""The mapping contracts agree with the boundary contracts on both sides.

Every mapping targets a Kubernetes contract resource and writes only paths its schema has; it
reads NetBox through NetBox contract operations and only fields their responses name; it rejects
bad input under the reserved HH-VAL codes; and the NetBox custom fields it relies on are listed in
contracts/mappings/README.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from support.contracts_openapi import Resolver, load_contract
from support.contracts_paths import schema_at

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"
MAPPINGS = sorted((CONTRACTS / "mappings").glob("*.yaml"))
RESERVED_VAL_CODES = {f"HH-VAL-{n:03d}" for n in range(1, 13)}
CONNECTION_KINDS = {"unbundled", "bundled", "mclag", "eslag", "fabric", "mclagDomain"}
REQUIRED_KINDS = {
    "Switch",
    "Server",
    "Connection",
    "SwitchGroup",
    "VLANNamespace",
    "IPv4Namespace",
    "VPC",
    "VPCAttachment",
}


def _resources() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for path in sorted((CONTRACTS / "kubernetes").glob("*.yaml")):
        for resource in load_contract(path).get("resources", ()):
            found[(f"{resource['group']}/{resource['version']}", resource["kind"])] = resource
    return found


def _netbox_operations() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    found = {}
    for path in sorted((CONTRACTS / "netbox").glob("*.yaml")):
        contract = load_contract(path)
        for operation in contract["operations"]:
            found[operation["id"]] = (contract, operation)
    return found


RESOURCES = _resources()
NETBOX_OPERATIONS = _netbox_operations()
LOADED = {path.stem: load_contract(path) for path in MAPPINGS}


def _fields(mapping: dict[str, Any]) -> list[dict[str, Any]]:
    fields = list(mapping.get("fields", ()))
    for variant in mapping.get("variants", ()):
        fields += variant["fields"]
    return fields


def _source_paths(mapping: dict[str, Any]) -> list[str]:
    """Every NetBox field path the mapping reads directly (relation walks excluded)."""
    paths = [mapping["name"]["from"]]
    paths += [field["from"] for field in _fields(mapping) if "from" in field]
    paths += [cond["field"] for cond in mapping["source"].get("select", ())]
    paths += [cond["field"] for variant in mapping.get("variants", ()) for cond in variant["when"]]
    return [path for path in paths if not path.startswith("rel:")]


def test_every_required_kind_has_a_mapping() -> None:
    assert {m["target"]["kind"] for m in LOADED.values()} >= REQUIRED_KINDS


@pytest.mark.parametrize("name", sorted(LOADED))
def test_target_is_a_kubernetes_contract_resource(name: str) -> None:
    target = LOADED[name]["target"]
    assert (target["apiVersion"], target["kind"]) in RESOURCES, (
        f"{name}: {target['apiVersion']} {target['kind']} is not a resource of contracts/kubernetes "
        f"(resources: {sorted(RESOURCES)})"
    )


@pytest.mark.parametrize("name", sorted(LOADED))
def test_every_to_path_exists_in_the_resource_schema(name: str) -> None:
    mapping = LOADED[name]
    schema = RESOURCES[(mapping["target"]["apiVersion"], mapping["target"]["kind"])]["schema"]
    missing = [field["to"] for field in _fields(mapping) if not schema_at(schema, field["to"])]
    assert not missing, f"{name}: paths not in the {mapping['target']['kind']} contract schema: {missing}"


@pytest.mark.parametrize("name", sorted(LOADED))
def test_required_spec_fields_are_always_written(name: str) -> None:
    mapping = LOADED[name]
    schema = RESOURCES[(mapping["target"]["apiVersion"], mapping["target"]["kind"])]["schema"]
    required = schema["properties"]["spec"].get("required", [])
    written = {field["to"].split(".")[1].split("[")[0] for field in _fields(mapping) if field.get("required")}
    assert set(required) <= written, f"{name}: spec fields {sorted(set(required) - written)} are never required"


@pytest.mark.parametrize("name", sorted(LOADED))
def test_source_operations_are_netbox_contract_operations(name: str) -> None:
    operations = LOADED[name]["source"]["operations"]
    unknown = [op for op in operations if op not in NETBOX_OPERATIONS]
    assert not unknown, f"{name}: not NetBox contract operations: {unknown}"


@pytest.mark.parametrize("name", sorted(LOADED))
def test_source_fields_exist_in_the_netbox_list_response(name: str) -> None:
    mapping = LOADED[name]
    first = mapping["source"]["operations"][0]
    assert first.endswith(".list"), f"{name}: source.operations[0] must be the list operation of the model"
    contract, operation = NETBOX_OPERATIONS[first]
    body = operation["responses"]["200"]["body"]
    resolver = Resolver(contract)
    missing = [path for path in _source_paths(mapping) if not schema_at(body, f"results[*].{path}", resolver)]
    assert not missing, f"{name}: fields not in the {first} response contract: {missing}"


@pytest.mark.parametrize("name", sorted(LOADED))
def test_rejections_use_reserved_validation_codes(name: str) -> None:
    codes = {reject["code"] for reject in LOADED[name].get("rejects", ())}
    assert codes, f"{name}: a mapping must say which input it rejects"
    assert codes <= RESERVED_VAL_CODES, f"{name}: codes outside HH-VAL-001..012: {sorted(codes - RESERVED_VAL_CODES)}"


@pytest.mark.parametrize("name", sorted(LOADED))
def test_custom_fields_used_are_documented(name: str) -> None:
    readme = (CONTRACTS / "mappings" / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(hh_[a-z0-9_]+)`", readme))
    mapping = LOADED[name]
    text_paths = _source_paths(mapping) + [f.get("from", "") for f in _fields(mapping)]
    used = {m for path in text_paths for m in re.findall(r"custom_fields\.(hh_[a-z0-9_]+)", path)}
    assert used <= documented, f"{name}: custom fields missing from README.md: {sorted(used - documented)}"


def test_connection_variants_cover_the_kinds_and_write_only_their_own_key() -> None:
    mapping = LOADED["connection"]
    seen = set()
    for variant in mapping["variants"]:
        kinds = {cond["equals"] for cond in variant["when"] if cond["field"] == "custom_fields.hh_connection_kind"}
        assert len(kinds) == 1, f"variant {variant['id']} must select exactly one hh_connection_kind"
        kind = kinds.pop()
        seen.add(kind)
        stray = [f["to"] for f in variant["fields"] if not f["to"].startswith(f"spec.{kind}.")]
        assert not stray, f"variant {variant['id']} writes outside spec.{kind}: {stray}"
    assert seen == CONNECTION_KINDS
