"""Check Kubernetes contract resources against real CustomResourceDefinitions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.spec.diagnostics import Diagnostic, SpecError, display_path
from harness.spec.models import SpecSet

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class CrdVersion:
    group: str
    kind: str
    plural: str
    scope: str
    version: str
    served: bool
    storage: bool
    schema: dict[str, Any]
    path: Path


def load_crd_versions(directory: Path) -> list[CrdVersion]:
    """Every version of every CRD in the YAML files of ``directory``."""
    found: list[CrdVersion] = []
    for path in sorted(directory.glob("*.y*ml")):
        try:
            docs = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader))
        except (OSError, yaml.YAMLError) as exc:
            raise SpecError(
                Diagnostic(display_path(path), 0, 0, "", "crd-unreadable", f"cannot load CRD: {exc}")
            ) from exc
        for doc in docs:
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec.get("versions", ()):
                found.append(
                    CrdVersion(
                        group=spec["group"],
                        kind=spec["names"]["kind"],
                        plural=spec["names"]["plural"],
                        scope=spec["scope"],
                        version=version["name"],
                        served=bool(version.get("served")),
                        storage=bool(version.get("storage")),
                        schema=version.get("schema", {}).get("openAPIV3Schema", {}),
                        path=path,
                    )
                )
    return found


def check_against_crds(specs: SpecSet, crds: list[CrdVersion]) -> Iterator[Diagnostic]:
    """Every contract resource must be a served version of a CRD with the same names and scope."""
    by_kind = {(c.group, c.kind): [] for c in crds}  # type: dict[tuple[str, str], list[CrdVersion]]
    for c in crds:
        by_kind[(c.group, c.kind)].append(c)
    for contract in specs.contracts:
        for r in contract.resources:
            doc = r.loc.doc
            versions = by_kind.get((r.group, r.kind))
            if not versions:
                yield doc.diagnostic(
                    r.loc.pointer + "/kind", "crd-missing", f"no CRD defines kind {r.kind} in group {r.group}"
                )
                continue
            match = next((v for v in versions if v.version == r.version), None)
            served = [v.version for v in versions if v.served]
            if match is None or not match.served:
                yield doc.diagnostic(
                    r.loc.pointer + "/version",
                    "crd-version-not-served",
                    f"{r.group}/{r.version} {r.kind} is not a served version; served: {served}",
                )
                continue
            if match.plural != r.plural:
                yield doc.diagnostic(
                    r.loc.pointer + "/plural",
                    "crd-plural-mismatch",
                    f"plural {r.plural!r} differs from the CRD's {match.plural!r}",
                )
            if match.scope != r.scope:
                yield doc.diagnostic(
                    r.loc.pointer + "/scope",
                    "crd-scope-mismatch",
                    f"scope {r.scope!r} differs from the CRD's {match.scope!r}",
                )
