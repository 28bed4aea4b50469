"""Check our boundary contracts against a provider's published OpenAPI description.

Our contracts are subsets of the provider's API: every operation we call must exist
upstream (method + path, and the upstream operationId when we record one), and every
property our request/response schemas name must exist upstream with a compatible type.
The functions here return human-readable mismatches instead of raising, so a test can
report all of them at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Schema = dict[str, Any]
HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head")


def load_contract(path: Path) -> dict[str, Any]:
    """Load one contract YAML file (plain YAML, safe loader)."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a contract must be a YAML mapping, got {type(data).__name__}")
    return data


class Resolver:
    """Follows local ``#/...`` references inside one document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, schema: Any) -> Any:
        """Return ``schema`` with any chain of local ``$ref`` followed."""
        seen: set[str] = set()
        while isinstance(schema, dict) and "$ref" in schema:
            ref = schema["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
                raise ValueError(f"unresolvable or cyclic $ref {ref!r}")
            seen.add(ref)
            node: Any = self.document
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            schema = node
        return schema


@dataclass(frozen=True)
class Docs:
    """Resolvers for our contract document and the upstream document being compared."""

    ours: Resolver
    theirs: Resolver


def _types(schema: Schema) -> set[str]:
    declared = schema.get("type")
    types = {declared} if isinstance(declared, str) else set(declared or ())
    if schema.get("nullable") is True:
        types.add("null")
    return types


def _is_opaque(schema: Schema) -> bool:
    """True when upstream says nothing about the value's shape (a JSON field, an untyped object)."""
    shaped = ("type", "properties", "items", "enum", "oneOf", "anyOf", "allOf", "const")
    if not any(key in schema for key in shaped):
        return True
    return schema.get("type") == "object" and not schema.get("properties") and "items" not in schema


def _alternatives(schema: Any, resolver: Resolver) -> list[Schema]:
    """Flatten upstream oneOf/anyOf into alternatives; merge allOf into one schema."""
    schema = resolver.resolve(schema)
    if not isinstance(schema, dict):
        return [{}]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            out: list[Schema] = []
            for branch in schema[key]:
                for alt in _alternatives(branch, resolver):
                    out.append({**alt, "nullable": True} if schema.get("nullable") else alt)
            return out
    if "allOf" in schema:
        merged: Schema = {k: v for k, v in schema.items() if k != "allOf"}
        for branch in schema["allOf"]:
            for alt in _alternatives(branch, resolver):
                props = {**merged.get("properties", {}), **alt.get("properties", {})}
                merged = {**alt, **merged, "properties": props}
                if not props:
                    del merged["properties"]
        return [merged]
    return [schema]


def _compatible_type(ours: set[str], theirs: set[str]) -> bool:
    if not ours or not theirs:
        return True
    widened = set(theirs)
    if "number" in widened:
        widened.add("integer")
    return ours <= widened


def compare_schema(ours: Any, theirs: Any, where: str, docs: Docs) -> list[str]:
    """Mismatches between our schema and the upstream one at ``where`` (empty when compatible)."""
    ours = docs.ours.resolve(ours)
    if not isinstance(ours, dict):
        return []
    problems: list[str] = []
    for key in ("oneOf", "anyOf", "allOf"):
        for index, branch in enumerate(ours.get(key, ())):
            problems += compare_schema(branch, theirs, f"{where}/{key}/{index}", docs)
    alternatives = _alternatives(theirs, docs.theirs)
    if any(_is_opaque(alt) for alt in alternatives):
        return problems
    our_types = _types(ours)
    fitting = [alt for alt in alternatives if _compatible_type(our_types - {"null"}, _types(alt) - {"null"})]
    if not fitting:
        upstream = sorted({t for alt in alternatives for t in _types(alt)})
        return [*problems, f"{where}: type {sorted(our_types)} is not compatible with upstream {upstream}"]
    problems += _compare_enum(ours, fitting, where)
    for name, sub in ours.get("properties", {}).items():
        problems += _compare_property(name, sub, fitting, f"{where}/{name}", docs)
    if isinstance(ours.get("items"), dict):
        with_items = [alt["items"] for alt in fitting if "items" in alt]
        if with_items:
            problems += _best(ours["items"], with_items, f"{where}/[*]", docs)
    if isinstance(ours.get("additionalProperties"), dict):
        maps = [alt["additionalProperties"] for alt in fitting if isinstance(alt.get("additionalProperties"), dict)]
        if maps:
            problems += _best(ours["additionalProperties"], maps, f"{where}/{{*}}", docs)
    return problems


def _compare_enum(ours: Schema, fitting: list[Schema], where: str) -> list[str]:
    values = list(ours.get("enum", ()))
    if "const" in ours:
        values.append(ours["const"])
    constrained = [alt for alt in fitting if "enum" in alt or "const" in alt]
    if not values or len(constrained) < len(fitting):
        return []
    allowed = {v for alt in constrained for v in alt.get("enum", [alt.get("const")])}
    extra = [v for v in values if v is not None and v not in allowed]
    return [f"{where}: enum values {extra} are not upstream values {sorted(map(str, allowed))}"] if extra else []


def _compare_property(name: str, sub: Any, fitting: list[Schema], where: str, docs: Docs) -> list[str]:
    declared = [alt["properties"][name] for alt in fitting if name in alt.get("properties", {})]
    if declared:
        return _best(sub, declared, where, docs)
    maps = [alt["additionalProperties"] for alt in fitting if isinstance(alt.get("additionalProperties"), dict)]
    if maps:
        return _best(sub, maps, where, docs)
    if any(not alt.get("properties") for alt in fitting):
        return []
    known = sorted({p for alt in fitting for p in alt.get("properties", {})})
    return [f"{where}: property {name!r} is not upstream (upstream has: {', '.join(known)})"]


def _best(ours: Any, candidates: Iterable[Any], where: str, docs: Docs) -> list[str]:
    """Compatible with at least one candidate: no problems; else the first candidate's problems."""
    first: list[str] | None = None
    for candidate in candidates:
        found = compare_schema(ours, candidate, where, docs)
        if not found:
            return []
        first = found if first is None else first
    return first or []


def iter_http_operations(contract: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The operations of a contract that have an ``http`` block."""
    for operation in contract.get("operations", ()):
        if "http" in operation:
            yield operation


def _json_schema(content: dict[str, Any] | None) -> Any:
    for media, body in (content or {}).items():
        if "json" in media:
            return body.get("schema", {})
    return None


def _parameters(upstream: dict[str, Any], path_item: dict[str, Any], resolver: Resolver) -> list[Schema]:
    params = [resolver.resolve(p) for p in path_item.get("parameters", ())]
    return params + [resolver.resolve(p) for p in upstream.get("parameters", ())]


def compare_operation(
    operation: dict[str, Any],
    upstream: dict[str, Any],
    path_item: dict[str, Any],
    where: str,
    docs: Docs,
    *,
    check_responses: bool = True,
) -> list[str]:
    """Compare one operation's request (and, unless told not to, responses) with the upstream one."""
    problems: list[str] = []
    request = operation.get("request", {})
    params = _parameters(upstream, path_item, docs.theirs)
    for location, key in (("path", "path_params"), ("query", "query"), ("header", "headers")):
        schema = docs.ours.resolve(request.get(key, {}))
        by_name = {p["name"].lower(): p for p in params if p.get("in") == location}
        for name, sub in (schema.get("properties") or {}).items():
            param = by_name.get(name.lower())
            if param is None:
                problems.append(
                    f"{where}/request/{key}/{name}: no {location} parameter {name!r} upstream "
                    f"(upstream has: {', '.join(sorted(by_name)) or 'none'})"
                )
                continue
            theirs = docs.theirs.resolve(param.get("schema", {}))
            # A scalar filter value fits an upstream multi-value (array) parameter.
            if theirs.get("type") == "array" and docs.ours.resolve(sub).get("type") != "array":
                theirs = theirs.get("items", {})
            problems += compare_schema(sub, theirs, f"{where}/request/{key}/{name}", docs)
    if "body" in request:
        body = docs.theirs.resolve(upstream.get("requestBody", {}))
        theirs = _json_schema(body.get("content"))
        if theirs is None:
            problems.append(f"{where}/request/body: upstream operation takes no JSON request body")
        else:
            problems += compare_schema(request["body"], theirs, f"{where}/request/body", docs)
    if not check_responses:
        return problems
    upstream_responses = upstream.get("responses", {})
    for status, response in (operation.get("responses") or {}).items():
        their_response = upstream_responses.get(str(status)) or upstream_responses.get("default")
        if their_response is None:
            if str(status).startswith("2"):
                problems.append(
                    f"{where}/responses/{status}: not an upstream response "
                    f"(upstream has: {', '.join(sorted(upstream_responses))})"
                )
            continue
        their_response = docs.theirs.resolve(their_response)
        if "body" in response:
            theirs = _json_schema(their_response.get("content"))
            if theirs is None:
                problems.append(f"{where}/responses/{status}/body: upstream response has no JSON body")
            else:
                problems += compare_schema(response["body"], theirs, f"{where}/responses/{status}/body", docs)
    return problems


def check_http_contract(
    contract: dict[str, Any], name: str, openapi: dict[str, Any], by_operation_id: bool
) -> list[str]:
    """Every http operation of ``contract`` must exist in ``openapi`` and be schema-compatible.

    With ``by_operation_id`` the upstream operation is found by ``http.upstream_operation_id``
    and its method/path must equal ours; otherwise it is found by method + path.
    """
    docs = Docs(Resolver(contract), Resolver(openapi))
    paths: dict[str, Any] = openapi.get("paths", {})
    index = {
        op.get("operationId"): (method, path)
        for path, item in paths.items()
        for method, op in item.items()
        if method in HTTP_METHODS and isinstance(op, dict)
    }
    problems: list[str] = []
    for operation in iter_http_operations(contract):
        http = operation["http"]
        where = f"{name}#{operation['id']}"
        method, path = http["method"].lower(), http["path"]
        if by_operation_id:
            upstream_id = http.get("upstream_operation_id")
            if upstream_id not in index:
                problems.append(f"{where}: upstream operationId {upstream_id!r} does not exist")
                continue
            if index[upstream_id] != (method, path):
                up_method, up_path = index[upstream_id]
                problems.append(
                    f"{where}: {http['method']} {path} but upstream {upstream_id} is {up_method.upper()} {up_path}"
                )
                continue
        item = paths.get(path)
        if item is None or method not in item:
            problems.append(f"{where}: {http['method']} {path} is not an upstream operation")
            continue
        problems += compare_operation(operation, item[method], item, where, docs)
    return problems


def check_webhook_contract(contract: dict[str, Any], name: str, openapi: dict[str, Any]) -> list[str]:
    """Every webhook operation's headers and body must fit the upstream ``x-webhooks`` entry."""
    docs = Docs(Resolver(contract), Resolver(openapi))
    hooks = openapi.get("webhooks") or openapi.get("x-webhooks") or {}
    by_id = {op.get("operationId"): op for hook in hooks.values() for op in hook.values() if isinstance(op, dict)}
    problems: list[str] = []
    for operation in iter_http_operations(contract):
        where = f"{name}#{operation['id']}"
        upstream_id = operation["http"].get("upstream_operation_id")
        if upstream_id not in by_id:
            problems.append(f"{where}: upstream webhook operationId {upstream_id!r} does not exist")
            continue
        # The responses of an inbound webhook are the integration's own, not GitHub's.
        problems += compare_operation(operation, by_id[upstream_id], {}, where, docs, check_responses=False)
    return problems
