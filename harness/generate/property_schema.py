"""Hypothesis strategies from the Kubernetes contract schemas, and the contract-vs-CRD property.

``hypothesis-jsonschema``'s ``from_schema`` generates from any of our schemas, but it is slow on
the Connection schema, whose ``spec`` is an ``additionalProperties: false`` object with a
``oneOf`` of ``{required: [key]}`` (exactly one connection kind key): it generates any subset of
the ten kinds and filters. :func:`schema_strategy` rewrites exactly that shape as a choice
between ten single-key objects, and builds closed objects property by property; every other
schema goes to ``from_schema`` unchanged. Generated values are re-validated against the schema
by the property, so the rewrite cannot make a test pass by generating something the contract
does not allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from harness.kube.admission import FieldValidation, check_manifest_object
from harness.kube.crds import CrdRegistry
from harness.spec.models import Resource

Schema = dict[str, Any]
# keywords of an object schema that fixed_dictionaries alone would not honour
_OBJECT_KEYWORDS = frozenset(
    {
        *("patternProperties", "minProperties", "maxProperties", "propertyNames", "dependentRequired"),
        *("dependentSchemas", "if", "not", "anyOf", "allOf", "oneOf", "unevaluatedProperties"),
    }
)


def _exclusive_keys(schema: Schema) -> list[str] | None:
    """The keys of a ``oneOf: [{required: [k]}, ...]`` over a closed object, else None."""
    one_of = schema.get("oneOf")
    if schema.get("additionalProperties") is not False or not isinstance(one_of, list):
        return None
    keys: list[str] = []
    for branch in one_of:
        required = branch.get("required") if isinstance(branch, dict) else None
        if set(branch) != {"required"} or not isinstance(required, list) or len(required) != 1:
            return None
        keys.append(required[0])
    properties = schema.get("properties", {})
    return keys if all(k in properties for k in keys) and set(keys) == set(properties) else None


def schema_strategy(schema: Schema) -> st.SearchStrategy[Any]:
    """Values valid against ``schema`` (a self-contained JSON Schema, no ``$ref``)."""
    keys = _exclusive_keys(schema)
    if keys is not None:
        rest = {k: v for k, v in schema.items() if k != "oneOf"}
        return st.one_of(
            [schema_strategy({**rest, "properties": {k: schema["properties"][k]}, "required": [k]}) for k in keys]
        )
    closed = schema.get("type") == "object" and schema.get("additionalProperties") is False
    if closed and not (_OBJECT_KEYWORDS & set(schema)):
        properties = {k: schema_strategy(v) for k, v in schema.get("properties", {}).items()}
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: s for k, s in properties.items() if k in required},
            optional={k: s for k, s in properties.items() if k not in required},
        )
    return from_schema(schema)


@dataclass(frozen=True)
class Verdict:
    """What the property concluded about one generated object."""

    contract_errors: list[str]
    crd_errors: list[str]


def contract_vs_crd(resource: Resource, registry: CrdRegistry) -> Callable[[Any], Verdict]:
    """A check for objects generated from ``resource``'s schema: valid against our contract
    (the generator is faithful) and accepted by the real CRD under fieldValidation=Strict."""
    validator = jsonschema.Draft202012Validator(resource.schema)

    def check(obj: Any) -> Verdict:
        contract = [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(obj)
        ]
        report = check_manifest_object(registry, obj, f"generated {resource.kind}", FieldValidation.STRICT)
        return Verdict(contract, list(report.errors))

    return check


def describe(obj: Any, verdict: Verdict) -> str:
    """A failure message a person can act on: which side disagreed, and the object."""
    lines = []
    if verdict.contract_errors:
        lines.append("the generator produced an object our contract rejects: " + "; ".join(verdict.contract_errors))
    if verdict.crd_errors:
        lines.append(
            "our contract allows an object the real CRD (API server) rejects, so the contract is not stricter "
            "than upstream: " + "; ".join(verdict.crd_errors)
        )
    return "\n".join(lines) + f"\nobject: {obj!r}"
