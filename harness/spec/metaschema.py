"""The meta-schemas in ``specs/schema/``: compiled once, applied to each spec by its ``kind``."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from harness.spec.diagnostics import Diagnostic
from harness.spec.yamlsafe import Document, escape_pointer_token

KIND_SCHEMAS = {
    "Contract": "contract.schema.json",
    "Mapping": "mapping.schema.json",
    "StateMachine": "state-machine.schema.json",
    "ErrorCatalog": "error-catalog.schema.json",
    "Pattern": "pattern.schema.json",
}


@cache
def _registry(schema_dir: Path) -> tuple[Registry, dict[str, dict[str, Any]]]:
    schemas: dict[str, dict[str, Any]] = {}
    registry: Registry = Registry()
    for path in sorted(schema_dir.glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        schemas[path.name] = contents
        resource = DRAFT202012.create_resource(contents)
        registry = registry.with_resource(path.name, resource).with_resource(contents["$id"], resource)
    return registry.crawl(), schemas


@cache
def validator_for(schema_dir: Path, kind: str) -> Draft202012Validator:
    """The compiled validator of one spec kind (built once per process)."""
    registry, schemas = _registry(schema_dir)
    schema = schemas[KIND_SCHEMAS[kind]]
    _check_once(schema)
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _check_once(schema: dict[str, Any]) -> None:
    """Check a meta-schema against JSON Schema 2020-12 once per content: a digest that passed is
    remembered under the harness cache (``$HARNESS_HOME`` or ``~/.cache/hh-harness``)."""
    digest = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()
    marker = Path(os.environ.get("HARNESS_HOME") or Path.home() / ".cache" / "hh-harness") / "metaschema-ok" / digest
    if marker.is_file():
        return
    Draft202012Validator.check_schema(schema)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass  # a read-only home only costs the check again next time


def _pointer(path: Any) -> str:
    return "".join("/" + escape_pointer_token(p) for p in path)


def _deepest(error: ValidationError) -> ValidationError:
    """For oneOf/anyOf failures, the branch error that explains the most (the deepest, then best match)."""
    while error.context:
        candidates = [e for e in error.context if e.validator not in ("const", "not")] or list(error.context)
        deepest = max(candidates, key=lambda e: (len(e.absolute_path), -len(e.context or [])))
        if len(deepest.absolute_path) <= len(error.absolute_path):
            break
        error = deepest
    return error


def _describe(error: ValidationError) -> tuple[str, str]:
    """Pointer and message saying what is wrong and what would be valid."""
    pointer = _pointer(error.absolute_path)
    v, inst = error.validator, error.instance
    val: Any = error.validator_value
    schema: Any = error.schema
    if v == "required":
        missing = [r for r in val if isinstance(inst, dict) and r not in inst]
        return pointer, f"missing required property {', '.join(map(repr, missing))}"
    if v in ("additionalProperties", "unevaluatedProperties") and isinstance(inst, dict):
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(k for k in inst if k not in allowed)
        key = extra[0] if extra else ""
        hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
        return f"{pointer}/{escape_pointer_token(key)}", f"unknown property {key!r}{hint}"
    if v == "enum":
        return pointer, f"{inst!r} is not one of {', '.join(map(repr, val))}"
    if v == "const":
        return pointer, f"{inst!r} must be {val!r}"
    if v == "pattern":
        described = schema.get("description")
        what = described[0].lower() + described[1:].rstrip(".") if described else f"a string matching {val}"
        return pointer, f"{inst!r} is not valid: expected {what}"
    if v == "type":
        return (
            pointer,
            f"{inst!r} has the wrong type: expected {val if isinstance(val, str) else ' or '.join(val)}",
        )
    if v == "oneOf":
        return pointer, f"{_short(inst)} matches none (or more than one) of the allowed forms"
    return pointer, error.message


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_against_kind(doc: Document, schema_dir: Path, kind: str) -> Iterator[Diagnostic]:
    """Meta-schema violations of ``doc``, each located and explained."""
    seen: set[tuple[str, str]] = set()
    for raw in validator_for(schema_dir, kind).iter_errors(doc.data):
        pointer, message = _describe(_deepest(raw))
        if (pointer, message) in seen:
            continue
        seen.add((pointer, message))
        yield doc.diagnostic(pointer, "schema-violation", message)
