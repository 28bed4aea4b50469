"""CustomResourceDefinitions: check their shape, register their served versions, look kinds up.

Each served version's schema is compiled once when the CRD is registered, so the
stand-in and ``harness kube validate`` never compile a schema per object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.kube.manifests import ManifestError, load_documents
from harness.kube.schema import SchemaNode

CRD_API_VERSION = "apiextensions.k8s.io/v1"


class CrdError(ValueError):
    """A CustomResourceDefinition is malformed; the message names its source and field."""


@dataclass(frozen=True)
class ResourceType:
    """One served (group, version, plural) with everything the API needs to handle it."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    list_kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    status_subresource: bool = False
    storage: bool = True
    schema: SchemaNode | None = None
    raw_schema: dict[str, Any] = field(default_factory=dict, repr=False)
    crd_name: str = ""

    @property
    def api_version(self) -> str:
        """``group/version``, or just ``version`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """``plural.group`` as used in NotFound/Conflict messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _need(mapping: Any, key: str, where: str, source: str, kind: type = str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping or not isinstance(mapping[key], kind):
        raise CrdError(f"{source}: {where}.{key} is required and must be a {kind.__name__}")
    return mapping[key]


def parse_crd(crd: Any, source: str) -> list[ResourceType]:
    """Check a CRD object and return one ResourceType per served version."""
    if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
        raise CrdError(f"{source}: not a CustomResourceDefinition (kind must be CustomResourceDefinition)")
    if crd.get("apiVersion") != CRD_API_VERSION:
        raise CrdError(f"{source}: apiVersion must be {CRD_API_VERSION}, got {crd.get('apiVersion')!r}")
    name = _need(crd.get("metadata"), "name", "metadata", source)
    spec = _need(crd, "spec", "", source, dict)
    group = _need(spec, "group", "spec", source)
    names = _need(spec, "names", "spec", source, dict)
    kind = _need(names, "kind", "spec.names", source)
    plural = _need(names, "plural", "spec.names", source)
    if name != f"{plural}.{group}":
        raise CrdError(
            f"{source}: metadata.name must be spec.names.plural + '.' + spec.group ({plural}.{group}), got {name!r}"
        )
    scope = spec.get("scope")
    if scope not in ("Namespaced", "Cluster"):
        raise CrdError(f"{source}: spec.scope must be Namespaced or Cluster, got {scope!r}")
    versions = _need(spec, "versions", "spec", source, list)
    result: list[ResourceType] = []
    for i, ver in enumerate(versions):
        where = f"spec.versions[{i}]"
        vname = _need(ver, "name", where, source)
        if not ver.get("served", False):
            continue
        raw_schema = ver.get("schema", {}).get("openAPIV3Schema")
        if not isinstance(raw_schema, dict):
            raise CrdError(f"{source}: {where}.schema.openAPIV3Schema is required and must be a mapping")
        result.append(
            ResourceType(
                group=group,
                version=vname,
                kind=kind,
                plural=plural,
                singular=names.get("singular", kind.lower()),
                list_kind=names.get("listKind", f"{kind}List"),
                namespaced=scope == "Namespaced",
                short_names=tuple(names.get("shortNames", ())),
                categories=tuple(names.get("categories", ())),
                status_subresource="status" in (ver.get("subresources") or {}),
                storage=bool(ver.get("storage", False)),
                schema=SchemaNode.compile(raw_schema),
                raw_schema=raw_schema,
                crd_name=name,
            )
        )
    return result


class CrdRegistry:
    """The served custom resource types, indexed by URL parts and by apiVersion/kind."""

    def __init__(self) -> None:
        self._crds: dict[str, dict[str, Any]] = {}
        self._types: dict[str, list[ResourceType]] = {}

    def add(self, crd: dict[str, Any], source: str) -> list[ResourceType]:
        """Register (or re-register) a CRD object; raise CrdError if it is malformed."""
        types = parse_crd(crd, source)
        name: str = crd["metadata"]["name"]
        self._crds[name] = crd
        self._types[name] = types
        return types

    def remove(self, name: str) -> list[ResourceType]:
        """Forget a CRD by its metadata.name; return the types it served."""
        self._crds.pop(name, None)
        return self._types.pop(name, [])

    def load_paths(self, paths: Iterable[Path]) -> int:
        """Register every CRD in the given files/directories (multi-document YAML); return how many."""
        count = 0
        for path in paths:
            files = (
                sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json")) if path.is_dir() else [path]
            )
            if path.is_dir() and not files:
                raise CrdError(f"{path}: no .yaml/.yml/.json files with CustomResourceDefinitions")
            for file in files:
                try:
                    docs = load_documents(file)
                except ManifestError as exc:
                    raise CrdError(str(exc)) from exc
                for doc in docs:
                    if doc.body is None:
                        continue
                    self.add(doc.body, f"{file}:{doc.line}")
                    count += 1
        return count

    def crds(self) -> list[dict[str, Any]]:
        """The registered CRD objects."""
        return list(self._crds.values())

    def types(self) -> list[ResourceType]:
        """Every served resource type."""
        return [t for types in self._types.values() for t in types]

    def find(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The type served at /apis/<group>/<version>/<plural>, if any."""
        for rtype in self.types():
            if (rtype.group, rtype.version, rtype.plural) == (group, version, plural):
                return rtype
        return None

    def find_kind(self, api_version: str, kind: str) -> ResourceType | None:
        """The type for an object's apiVersion and kind, if served."""
        for rtype in self.types():
            if rtype.api_version == api_version and rtype.kind == kind:
                return rtype
        return None

    def kind_exists(self, group: str, kind: str) -> bool:
        """Whether any version of ``kind`` is registered in ``group`` (served or not)."""
        for crd in self._crds.values():
            spec = crd.get("spec", {})
            if spec.get("group") == group and spec.get("names", {}).get("kind") == kind:
                return True
        return False
