"""Structural openAPIV3Schema of a CRD version: compile once, then prune, default and validate.

This mirrors what kube-apiserver does to a custom resource on write: unknown fields
are pruned (and reported, so ``fieldValidation=Strict`` can reject them), defaults
are applied, and the value is validated. Causes carry the reason and message shapes
the real server puts into ``details.causes[]``.
"""

from __future__ import annotations

import ipaddress
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}


def _is_ip(version: int) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        try:
            return ipaddress.ip_address(value).version == version
        except ValueError:
            return False

    return check


def _is_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return "/" in value


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value or "t" in value


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


_MAC = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$")
_HOSTNAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", re.IGNORECASE)

# String formats kube-apiserver checks; numeric formats (int32, double, ...) are not range-checked there.
_FORMATS: dict[str, Callable[[str], bool]] = {
    "ipv4": _is_ip(4),
    "ipv6": _is_ip(6),
    "cidr": _is_cidr,
    "mac": lambda v: bool(_MAC.match(v)),
    "uuid": _is_uuid,
    "date-time": _is_datetime,
    "hostname": lambda v: len(v) <= 253 and bool(_HOSTNAME.match(v)),
}


@dataclass(frozen=True)
class Cause:
    """One entry of a Status ``details.causes[]``."""

    reason: str
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """The wire form kube-apiserver uses."""
        return {"reason": self.reason, "message": self.message, "field": self.field}

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def _show(value: Any) -> str:
    """Render a value the way field errors quote it: strings quoted, everything else as JSON."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


@dataclass
class SchemaNode:
    """A compiled schema node; regexes are compiled here so requests never recompile them."""

    type: str | None = None
    properties: dict[str, SchemaNode] = field(default_factory=dict)
    additional: SchemaNode | None = None
    items: SchemaNode | None = None
    required: tuple[str, ...] = ()
    enum: tuple[Any, ...] | None = None
    pattern: tuple[str, re.Pattern[str]] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    format: str | None = None
    nullable: bool = False
    int_or_string: bool = False
    preserve_unknown: bool = False
    has_default: bool = False
    default: Any = None

    @classmethod
    def compile(cls, raw: dict[str, Any]) -> SchemaNode:
        """Build the node tree from an openAPIV3Schema mapping."""
        node = cls(
            type=raw.get("type"),
            required=tuple(raw.get("required", ())),
            enum=tuple(raw["enum"]) if "enum" in raw else None,
            minimum=raw.get("minimum"),
            maximum=raw.get("maximum"),
            exclusive_minimum=bool(raw.get("exclusiveMinimum", False)),
            exclusive_maximum=bool(raw.get("exclusiveMaximum", False)),
            min_length=raw.get("minLength"),
            max_length=raw.get("maxLength"),
            min_items=raw.get("minItems"),
            max_items=raw.get("maxItems"),
            format=raw.get("format"),
            nullable=bool(raw.get("nullable", False)),
            int_or_string=bool(raw.get("x-kubernetes-int-or-string", False)),
            preserve_unknown=bool(raw.get("x-kubernetes-preserve-unknown-fields", False)),
            has_default="default" in raw,
            default=raw.get("default"),
        )
        if "pattern" in raw:
            # Go's RE2 treats \d and \b as ASCII-only; re.ASCII keeps Python in line.
            node.pattern = (raw["pattern"], re.compile(raw["pattern"], re.ASCII))
        node.properties = {name: cls.compile(sub) for name, sub in raw.get("properties", {}).items()}
        additional = raw.get("additionalProperties")
        if isinstance(additional, dict):
            node.additional = cls.compile(additional)
        elif additional is True:
            node.preserve_unknown = True
        if isinstance(raw.get("items"), dict):
            node.items = cls.compile(raw["items"])
        return node


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def prune(node: SchemaNode, value: Any, path: str, unknown: list[str]) -> Any:
    """Drop fields the schema does not know, recording their paths in ``unknown``."""
    if isinstance(value, dict) and node.type in (None, "object"):
        if node.additional is not None:
            return {k: prune(node.additional, v, _join(path, k), unknown) for k, v in value.items()}
        kept: dict[str, Any] = {}
        for key, sub in value.items():
            child = node.properties.get(key)
            if child is not None:
                kept[key] = prune(child, sub, _join(path, key), unknown)
            elif node.preserve_unknown:
                kept[key] = sub
            else:
                unknown.append(_join(path, key))
        return kept
    if isinstance(value, list) and node.items is not None:
        return [prune(node.items, item, f"{path}[{i}]", unknown) for i, item in enumerate(value)]
    return value


def apply_defaults(node: SchemaNode, value: Any) -> Any:
    """Fill absent properties that declare a default, inside objects that are present."""
    if isinstance(value, dict):
        out = dict(value)
        for key, child in node.properties.items():
            if key not in out and child.has_default:
                out[key] = child.default
            if key in out:
                out[key] = apply_defaults(child, out[key])
        if node.additional is not None:
            out = {k: apply_defaults(node.additional, v) for k, v in out.items()}
        return out
    if isinstance(value, list) and node.items is not None:
        return [apply_defaults(node.items, item) for item in value]
    return value


def _type_ok(node: SchemaNode, value: Any) -> bool:
    if node.int_or_string:
        return _JSON_TYPES["integer"](value) or isinstance(value, str)
    if node.type is None:
        return True
    return _JSON_TYPES.get(node.type, lambda _v: True)(value)


def _bounds(node: SchemaNode, value: Any, path: str, causes: list[Cause]) -> None:
    if node.minimum is not None:
        if node.exclusive_minimum and value <= node.minimum:
            causes.append(_invalid(path, value, f"should be greater than {node.minimum:g}"))
        elif value < node.minimum:
            causes.append(_invalid(path, value, f"should be greater than or equal to {node.minimum:g}"))
    if node.maximum is not None:
        if node.exclusive_maximum and value >= node.maximum:
            causes.append(_invalid(path, value, f"should be less than {node.maximum:g}"))
        elif value > node.maximum:
            causes.append(_invalid(path, value, f"should be less than or equal to {node.maximum:g}"))


def _invalid(path: str, value: Any, what: str) -> Cause:
    return Cause("FieldValueInvalid", path, f"Invalid value: {_show(value)}: {path} in body {what}")


def _string(node: SchemaNode, value: str, path: str, causes: list[Cause]) -> None:
    if node.max_length is not None and len(value) > node.max_length:
        causes.append(Cause("FieldValueTooLong", path, f"Too long: may not be more than {node.max_length} bytes"))
    if node.min_length is not None and len(value) < node.min_length:
        causes.append(_invalid(path, value, f"should be at least {node.min_length} chars long"))
    if node.pattern is not None and not node.pattern[1].search(value):
        causes.append(_invalid(path, value, f"should match '{node.pattern[0]}'"))
    check = _FORMATS.get(node.format or "")
    if check is not None and not check(value):
        causes.append(_invalid(path, value, f"must be of type {node.format}: {_show(value)}"))


def validate(node: SchemaNode, value: Any, path: str, causes: list[Cause]) -> None:
    """Append a Cause for every violation of ``node`` by ``value`` (already pruned and defaulted)."""
    if value is None:
        if not node.nullable and not node.preserve_unknown:
            kind = node.type or "object"
            causes.append(
                Cause(
                    "FieldValueTypeInvalid",
                    path,
                    f'Invalid value: "null": {path} in body must be of type {kind}: "null"',
                )
            )
        return
    if not _type_ok(node, value):
        kind = "integer or string" if node.int_or_string else str(node.type)
        causes.append(
            Cause(
                "FieldValueTypeInvalid",
                path,
                f"Invalid value: {_show(value)}: {path} in body must be of type {kind}: {_show(value)}",
            )
        )
        return
    if node.enum is not None and value not in node.enum:
        allowed = ", ".join(_show(v) for v in node.enum)
        causes.append(
            Cause("FieldValueNotSupported", path, f"Unsupported value: {_show(value)}: supported values: {allowed}")
        )
    if isinstance(value, str):
        _string(node, value, path, causes)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _bounds(node, value, path, causes)
    elif isinstance(value, list):
        if node.max_items is not None and len(value) > node.max_items:
            causes.append(
                Cause("FieldValueTooMany", path, f"Too many: {len(value)}: must have at most {node.max_items} items")
            )
        if node.min_items is not None and len(value) < node.min_items:
            causes.append(_invalid(path, value, f"should have at least {node.min_items} items"))
        if node.items is not None:
            for i, item in enumerate(value):
                validate(node.items, item, f"{path}[{i}]", causes)
    elif isinstance(value, dict):
        for key in node.required:
            if key not in value:
                causes.append(Cause("FieldValueRequired", _join(path, key), "Required value"))
        for key, sub in value.items():
            child = node.properties.get(key, node.additional)
            if child is not None:
                validate(child, sub, _join(path, key), causes)
