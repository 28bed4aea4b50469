"""Label and field selectors, parsed the way kube-apiserver parses them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from harness.targets.kube.status import StatusError, bad_request

Predicate = Callable[[dict[str, Any]], bool]

_SET_OP = re.compile(r"^\s*([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_OP = re.compile(r"^\s*([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=()]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)\s*([^\s!=()]+)\s*$")
_FIELDS = ("metadata.name", "metadata.namespace")


def _split(selector: str) -> list[str]:
    """Split on commas that are not inside ``in (...)`` value lists."""
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part for part in parts if part.strip()]


def _label_requirement(text: str) -> Predicate:
    if match := _SET_OP.match(text):
        key, op, raw = match.groups()
        values = {v.strip() for v in raw.split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if match := _EQ_OP.match(text):
        key, op, value = match.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match := _EXISTS.match(text):
        negate, key = match.groups()
        return (lambda labels: key not in labels) if negate else (lambda labels: key in labels)
    raise bad_request(f"unable to parse requirement: found '{text.strip()}', expected: in, notin, =, ==, !=")


def label_selector(selector: str | None) -> Predicate:
    """A predicate over objects for ``labelSelector``; raise 400 when it cannot be parsed."""
    if not selector:
        return lambda _obj: True
    requirements = [_label_requirement(part) for part in _split(selector)]

    def matches(obj: dict[str, Any]) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(req(labels) for req in requirements)

    return matches


def field_selector(selector: str | None) -> Predicate:
    """A predicate for ``fieldSelector`` on metadata.name and metadata.namespace."""
    if not selector:
        return lambda _obj: True
    checks: list[tuple[str, bool, str]] = []
    for part in _split(selector):
        match = _EQ_OP.match(part)
        if match is None:
            raise bad_request(f"invalid selector: '{selector}'; can't understand '{part.strip()}'")
        path, op, value = match.groups()
        if path not in _FIELDS:
            raise StatusError(400, "BadRequest", f"field label not supported: {path}")
        checks.append((path.split(".", 1)[1], op != "!=", value))

    def matches(obj: dict[str, Any]) -> bool:
        meta = obj.get("metadata", {})
        return all((str(meta.get(key) or "") == value) == equal for key, equal, value in checks)

    return matches
