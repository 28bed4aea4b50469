"""Discovery (/api, /apis, ...) and OpenAPI v2/v3 documents, enough for kubectl get/apply/delete."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from harness.kube.crds import ResourceType

NAMESPACES = ResourceType(
    group="", version="v1", kind="Namespace", plural="namespaces", singular="namespace",
    list_kind="NamespaceList", namespaced=False, short_names=("ns",),
)  # fmt: skip
CRDS = ResourceType(
    group="apiextensions.k8s.io", version="v1", kind="CustomResourceDefinition",
    plural="customresourcedefinitions", singular="customresourcedefinition",
    list_kind="CustomResourceDefinitionList", namespaced=False, short_names=("crd", "crds"),
    categories=("api-extensions",),
)  # fmt: skip

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-hh-harness",
    "gitCommit": "",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def api_versions(address: str) -> dict[str, Any]:
    """GET /api."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def group_versions(types: list[ResourceType]) -> dict[str, list[str]]:
    """Served versions per non-core group, in registration order."""
    groups: dict[str, list[str]] = {}
    for rtype in types:
        if rtype.group and rtype.version not in groups.setdefault(rtype.group, []):
            groups[rtype.group].append(rtype.version)
    return groups


def api_group_list(types: list[ResourceType]) -> dict[str, Any]:
    """GET /apis."""
    groups = [_group(name, versions) for name, versions in group_versions(types).items()]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(types: list[ResourceType], group: str) -> dict[str, Any] | None:
    """GET /apis/<group>, or None when the group is not served."""
    versions = group_versions(types).get(group)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(group, versions)}


def resource_list(types: list[ResourceType], group_version: str) -> dict[str, Any]:
    """GET /api/v1 or /apis/<group>/<version>: the resources and their status subresources."""
    resources: list[dict[str, Any]] = []
    for rtype in types:
        entry: dict[str, Any] = {
            "name": rtype.plural,
            "singularName": rtype.singular,
            "namespaced": rtype.namespaced,
            "kind": rtype.kind,
            "verbs": VERBS,
            "storageVersionHash": hashlib.sha256(rtype.qualified.encode()).hexdigest()[:12],
        }
        if rtype.short_names:
            entry["shortNames"] = list(rtype.short_names)
        if rtype.categories:
            entry["categories"] = list(rtype.categories)
        resources.append(entry)
        if rtype.status_subresource:
            resources.append(
                {"name": f"{rtype.plural}/status", "singularName": "", "namespaced": rtype.namespaced,
                 "kind": rtype.kind, "verbs": ["get", "patch", "update"]}
            )  # fmt: skip
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


def _definition_name(rtype: ResourceType) -> str:
    reversed_group = ".".join(reversed(rtype.group.split("."))) if rtype.group else "io.k8s.api.core"
    return f"{reversed_group}.{rtype.version}.{rtype.kind}"


def _definition(rtype: ResourceType) -> dict[str, Any]:
    schema: dict[str, Any] = dict(rtype.raw_schema) if rtype.raw_schema else {"type": "object"}
    gvk = {"group": rtype.group, "version": rtype.version, "kind": rtype.kind}
    schema["x-kubernetes-group-version-kind"] = [gvk]
    return schema


def openapi_v2(types: list[ResourceType]) -> dict[str, Any]:
    """GET /openapi/v2: the definitions kubectl looks types up in."""
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": SERVER_VERSION["gitVersion"]},
        "paths": {},
        "definitions": {_definition_name(t): _definition(t) for t in types},
    }


def _v3_path_key(rtype: ResourceType) -> str:
    return f"apis/{rtype.group}/{rtype.version}" if rtype.group else "api/v1"


def openapi_v3_index(types: list[ResourceType]) -> dict[str, Any]:
    """GET /openapi/v3: one document per group-version."""
    paths: dict[str, Any] = {}
    for key in sorted({_v3_path_key(t) for t in types}):
        doc_hash = hashlib.sha256(json.dumps(openapi_v3_document(types, key), sort_keys=True).encode()).hexdigest()
        paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={doc_hash.upper()[:32]}"}
    return {"paths": paths}


def _operations(rtype: ResourceType) -> dict[str, Any]:
    """PATCH/POST/PUT operations that declare fieldValidation, so kubectl uses server-side validation."""
    params = [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}]
    gvk = {"group": rtype.group, "version": rtype.version, "kind": rtype.kind}
    return {
        verb: {"parameters": params, "responses": {}, "x-kubernetes-group-version-kind": gvk}
        for verb in ("post", "put", "patch")
    }


def openapi_v3_document(types: list[ResourceType], key: str) -> dict[str, Any]:
    """GET /openapi/v3/<key> for one group-version."""
    selected = [t for t in types if _v3_path_key(t) == key]
    paths: dict[str, Any] = {}
    for rtype in selected:
        prefix = f"/{key}/namespaces/{{namespace}}" if rtype.namespaced else f"/{key}"
        paths[f"{prefix}/{rtype.plural}"] = _operations(rtype)
        paths[f"{prefix}/{rtype.plural}/{{name}}"] = _operations(rtype)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": SERVER_VERSION["gitVersion"]},
        "paths": paths,
        "components": {"schemas": {_definition_name(t): _definition(t) for t in selected}},
    }
