"""The Kubernetes contracts (``contracts/kubernetes/*.yaml``) as compiled JSON Schema validators.

Used before a render is committed (the resource_lifecycle guard ``render_valid``: a manifest that
fails its contract is HH-VAL-011 and is neither committed nor applied) and by ``reference import``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from hh_reference.specs import YAML_LOADER


@cache
def validators(spec_root: Path) -> dict[str, jsonschema.protocols.Validator]:
    """kind -> a validator for the Kubernetes contract schema of that kind (compiled once per root)."""
    out: dict[str, jsonschema.protocols.Validator] = {}
    for path in sorted((spec_root / "contracts" / "kubernetes").glob("*.yaml")):
        for resource in yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER).get("resources", []):
            validator = jsonschema.Draft202012Validator(resource["schema"])
            out[resource["kind"]] = validator
    return out


def first_violation(spec_root: Path, obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """(field path, message) of the first contract violation of ``obj`` (by field path), or None."""
    validator = validators(spec_root).get(str(obj.get("kind")))
    if validator is None:
        return "kind", f"{obj.get('kind')!r} is no kind of contracts/kubernetes"
    errors = sorted(validator.iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return None
    first = errors[0]
    return ".".join(str(p) for p in first.absolute_path) or "(root)", first.message
