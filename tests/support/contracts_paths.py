"""Follow a dotted path (``spec.subnets[*].vlan``, ``custom_fields.hh_asn``) through a JSON Schema."""

from __future__ import annotations

import re
from typing import Any

from support.contracts_openapi import Resolver

_TOKEN = re.compile(r"\[\*\]|[^.\[\]]+")


def path_tokens(path: str) -> list[str]:
    """``spec.links[*].port`` -> ``['spec', 'links', '[*]', 'port']``."""
    return _TOKEN.findall(path)


def _branches(schema: Any, resolver: Resolver) -> list[dict[str, Any]]:
    """The schema itself plus every oneOf/anyOf/allOf branch, references followed."""
    schema = resolver.resolve(schema)
    if not isinstance(schema, dict):
        return []
    found = [schema]
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(key, ()):
            found += _branches(branch, resolver)
    return found


def schema_at(schema: Any, path: str, resolver: Resolver | None = None) -> list[dict[str, Any]]:
    """Every sub-schema ``path`` can reach in ``schema``; empty when the path does not exist.

    ``[*]`` steps into list items or map values (additionalProperties); a name steps into
    ``properties`` of the schema or of any of its oneOf/anyOf/allOf branches.
    """
    resolver = resolver or Resolver(schema if isinstance(schema, dict) else {})
    current = _branches(schema, resolver)
    for token in path_tokens(path):
        following: list[dict[str, Any]] = []
        for node in current:
            if token == "[*]":
                targets = [node.get("items"), node.get("additionalProperties")]
            else:
                targets = [node.get("properties", {}).get(token)]
            for target in targets:
                if isinstance(target, dict):
                    following += _branches(target, resolver)
        current = following
    return current
