"""Check our Kubernetes contracts against the upstream Hedgehog CustomResourceDefinitions.

The CRD files live beside the project (the ``crds_dir`` fixture of conftest.py finds them) and
are read, never copied. A contract resource must name a served version of an existing CRD, and every
field its schema can write must exist in that version's openAPIV3Schema with a compatible type,
or the API server would prune or reject it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Schema = dict[str, Any]


def load_crds(directory: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """CRD documents of ``directory`` keyed by (group, plural)."""
    crds: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(directory.glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            for doc in yaml.safe_load_all(handle):
                if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                    spec = doc["spec"]
                    crds[(spec["group"], spec["names"]["plural"])] = doc
    return crds


def served_schema(crd: dict[str, Any], version: str) -> Schema | None:
    """The openAPIV3Schema of a served ``version`` of ``crd``, or None when it is not served."""
    for candidate in crd["spec"]["versions"]:
        if candidate["name"] == version and candidate.get("served"):
            schema: Schema = candidate["schema"]["openAPIV3Schema"]
            return schema
    return None


def check_resource(resource: dict[str, Any], crds: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    """Mismatches between one contract resource and its CRD (empty when compatible)."""
    where = f"{resource['kind']} ({resource['plural']}.{resource['group']}/{resource['version']})"
    crd = crds.get((resource["group"], resource["plural"]))
    if crd is None:
        known = ", ".join(sorted(f"{plural}.{group}" for group, plural in crds))
        return [f"{where}: no CRD for {resource['plural']}.{resource['group']} (CRDs: {known})"]
    spec = crd["spec"]
    problems = []
    if spec["names"]["kind"] != resource["kind"]:
        problems.append(f"{where}: CRD kind is {spec['names']['kind']}")
    if spec["scope"] != resource["scope"]:
        problems.append(f"{where}: CRD scope is {spec['scope']}")
    schema = served_schema(crd, resource["version"])
    if schema is None:
        served = [v["name"] for v in spec["versions"] if v.get("served")]
        return [*problems, f"{where}: version {resource['version']} is not served (served: {served})"]
    return problems + compare_to_crd(resource["schema"], schema, where, root=True)


def _types(schema: Schema) -> set[str]:
    if schema.get("x-kubernetes-int-or-string"):
        return {"integer", "string"}
    declared = schema.get("type")
    return {declared} if isinstance(declared, str) else set(declared or ())


def compare_to_crd(ours: Any, theirs: Schema, where: str, root: bool = False) -> list[str]:
    """Every field ``ours`` can write must exist in ``theirs`` with a compatible type and enum."""
    if not isinstance(ours, dict) or theirs.get("x-kubernetes-preserve-unknown-fields"):
        return []
    problems: list[str] = []
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in ours.get(key, ()):
            problems += compare_to_crd(branch, theirs, where, root)
    our_types, their_types = _types(ours) - {"null"}, _types(theirs)
    if "number" in their_types:
        their_types = their_types | {"integer"}
    if our_types and their_types and not our_types <= their_types:
        problems.append(f"{where}: type {sorted(our_types)} but the CRD says {sorted(their_types)}")
    values = [*ours.get("enum", ()), *([ours["const"]] if "const" in ours else [])]
    if "enum" in theirs and any(v not in theirs["enum"] for v in values):
        problems.append(f"{where}: enum {values} is not a subset of the CRD's {theirs['enum']}")
    their_props: Schema = theirs.get("properties", {})
    their_map = theirs.get("additionalProperties")
    for name, sub in ours.get("properties", {}).items():
        if root and name == "metadata":
            continue  # ObjectMeta is validated by the API server itself, not by the CRD schema.
        if name in their_props:
            problems += compare_to_crd(sub, their_props[name], f"{where}.{name}")
        elif isinstance(their_map, dict):
            problems += compare_to_crd(sub, their_map, f"{where}.{name}")
        else:
            problems.append(f"{where}.{name}: not in the CRD schema (the API server would prune it)")
    if isinstance(ours.get("items"), dict):
        if isinstance(theirs.get("items"), dict):
            problems += compare_to_crd(ours["items"], theirs["items"], f"{where}[*]")
        else:
            problems.append(f"{where}[*]: the CRD declares no item schema")
    if isinstance(ours.get("additionalProperties"), dict):
        if isinstance(their_map, dict):
            problems += compare_to_crd(ours["additionalProperties"], their_map, f"{where}.*")
        else:
            problems.append(f"{where}.*: map values are not in the CRD schema")
    return problems


def pruned_fields(instance: Any, schema: Schema, where: str = "", root: bool = True) -> list[str]:
    """Paths of ``instance`` the API server would prune under ``schema`` (unknown fields)."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    found: list[str] = []
    if isinstance(instance, dict):
        props: Schema = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, value in instance.items():
            path = f"{where}.{key}" if where else key
            if root and key == "metadata":
                continue
            if key in props:
                found += pruned_fields(value, props[key], path, root=False)
            elif isinstance(extra, dict):
                found += pruned_fields(value, extra, path, root=False)
            elif extra is not True:
                found.append(path)
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(instance):
            found += pruned_fields(item, schema["items"], f"{where}[{index}]", root=False)
    return found
