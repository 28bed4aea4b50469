"""Small walks over JSON Schemas (already ``$ref``-resolved) used by the cross-checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from harness.spec.yamlsafe import escape_pointer_token

_PATH_TOKEN = re.compile(r"[^.\[\]]+|\[\*\]")
_COMBINATORS = ("allOf", "anyOf", "oneOf")


def _branches(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield schema
    for key in _COMBINATORS:
        for sub in schema.get(key, ()):
            if isinstance(sub, dict):
                yield from _branches(sub)
    for key in ("then", "else"):
        if isinstance(schema.get(key), dict):
            yield from _branches(schema[key])


def schema_at_path(schema: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The sub-schema describing dotted ``path`` (``spec.ports[*].name``), looking through
    allOf/anyOf/oneOf branches; None when no branch declares it."""
    current = [schema]
    for token in _PATH_TOKEN.findall(path):
        nxt: list[dict[str, Any]] = []
        for node in current:
            for branch in _branches(node):
                if token == "[*]":
                    # any item of an array, or any value of a map (additionalProperties)
                    for key in ("items", "additionalProperties"):
                        if isinstance(branch.get(key), dict):
                            nxt.append(branch[key])
                else:
                    prop = branch.get("properties", {}).get(token)
                    if isinstance(prop, dict):
                        nxt.append(prop)
        if not nxt:
            return None
        current = nxt
    merged: dict[str, Any] = {}
    for node in current:
        for branch in _branches(node):
            for key, value in branch.items():
                merged.setdefault(key, value)
    return merged


def enum_nodes(node: Any, pointer: str = "") -> Iterator[tuple[str, str, list[Any]]]:
    """(pointer, x-hh-enum name, enum values) for every annotated enum under ``node``."""
    if isinstance(node, dict):
        name = node.get("x-hh-enum")
        if isinstance(name, str) and isinstance(node.get("enum"), list):
            yield pointer, name, node["enum"]
        for key, value in node.items():
            yield from enum_nodes(value, f"{pointer}/{escape_pointer_token(key)}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from enum_nodes(value, f"{pointer}/{i}")
