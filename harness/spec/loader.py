"""Discover spec files, load them safely, check them against their meta-schema and
build typed models. Cross-file checks live in ``harness.spec.crosscheck``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.spec import builders
from harness.spec.diagnostics import Diagnostic, Severity, SpecError, display_path
from harness.spec.metaschema import KIND_SCHEMAS, validate_against_kind
from harness.spec.models import SpecSet
from harness.spec.refs import RefResolver
from harness.spec.yamlsafe import Document, load_document

_SCHEMA_COMMENT = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)\s*$")
SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadResult:
    specs: SpecSet
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0


def discover(paths: Iterable[Path]) -> list[Path]:
    """Spec files under ``paths`` (files are taken as given), sorted, without duplicates.
    Raises FileNotFoundError naming a path that does not exist."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())
        elif path.is_file():
            found.add(path)
        else:
            raise FileNotFoundError(str(path))
    return sorted(found)


def load_specs(paths: Iterable[Path], schema_dir: Path, root: Path, allow_remote_refs: bool = False) -> LoadResult:
    """Load every spec under ``paths``; invalid files produce diagnostics, not exceptions."""
    result = LoadResult(specs=SpecSet())
    resolver = RefResolver(root=root, allow_remote=allow_remote_refs)
    for path in discover(paths):
        result.files += 1
        try:
            doc = load_document(path)
        except SpecError as exc:
            result.diagnostics.append(exc.diagnostic)
            continue
        _load_one(doc, schema_dir, resolver, result)
    return result


def _load_one(doc: Document, schema_dir: Path, resolver: RefResolver, result: LoadResult) -> None:
    data = doc.data
    kinds = ", ".join(KIND_SCHEMAS)
    if not isinstance(data, dict) or "kind" not in data:
        result.diagnostics.append(
            doc.diagnostic("", "unknown-kind", f"spec has no top-level 'kind'; expected one of {kinds}")
        )
        return
    kind = data["kind"]
    if kind not in KIND_SCHEMAS:
        near = next((k for k in KIND_SCHEMAS if str(kind).lower() == k.lower()), None)
        hint = f"; did you mean {near!r}? (case matters)" if near else ""
        result.diagnostics.append(doc.diagnostic("/kind", "unknown-kind", f"kind {kind!r} is not one of {kinds}{hint}"))
        return
    result.diagnostics.extend(_check_schema_comment(doc, schema_dir, kind))
    problems = list(validate_against_kind(doc, schema_dir, kind))
    if problems:
        result.diagnostics.extend(problems)
        return
    resolved: Any = data
    if kind in ("Contract", "Mapping"):
        try:
            resolved, ref_problems = resolver.resolve(doc)
        except SpecError as exc:
            result.diagnostics.append(exc.diagnostic)
            return
        if ref_problems:
            result.diagnostics.extend(ref_problems)
            return
    builders.add(result.specs, kind, doc, resolved)
    result.specs.documents.append(doc)


def _check_schema_comment(doc: Document, schema_dir: Path, kind: str) -> list[Diagnostic]:
    match = _SCHEMA_COMMENT.match(doc.first_line)
    expected = KIND_SCHEMAS[kind]
    if not match:
        return [
            doc.diagnostic(
                "",
                "missing-schema-comment",
                f"first line should be '# yaml-language-server: $schema=<path to {expected}>' so editors validate",
                severity=Severity.WARNING,
            )
        ]
    target = (doc.path.parent / match.group(1)).resolve()
    if target != (schema_dir / expected).resolve():
        return [
            Diagnostic(
                doc.name,
                1,
                1,
                "",
                "wrong-schema-comment",
                f"$schema points at {match.group(1)!r}, which is not {display_path(schema_dir / expected)}",
            )
        ]
    return []
