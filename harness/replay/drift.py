"""Drift between two recordings of the same scenarios, per contract operation.

``drift(old, new)`` takes two loaded cassettes (:func:`harness.replay.cassette.load_cassette`,
e.g. the committed recording and a re-recording against a newer provider) and reports, for
every operation id seen in either: the statuses seen before and after, and the JSON response
shape (each JSON pointer with arrays collapsed to ``*``, and the JSON types found there, per
status) that was added, removed or changed type. Exchanges matched to no operation are grouped
under ``<unknown>``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.proxy.exchange import Exchange, json_body
from harness.replay.cassette import Cassette

UNKNOWN = "<unknown>"
Shape = dict[str, set[str]]  # "<status> <pointer>" -> JSON types seen there


@dataclass
class OperationDrift:
    """What changed for one operation between the two recordings."""

    operation_id: str
    statuses_old: list[int]
    statuses_new: list[int]
    added: list[str] = field(default_factory=list)  # "200 /field: string"
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # "200 /field: integer -> string"

    @property
    def drifted(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.statuses_old != self.statuses_new)

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation_id,
            "statuses": {"old": self.statuses_old, "new": self.statuses_new},
            "shape": {"added": self.added, "removed": self.removed, "changed": self.changed},
        }


@dataclass
class DriftReport:
    """Per-operation drift; ``drifted`` lists only the operations that changed."""

    operations: dict[str, OperationDrift]

    @property
    def drifted(self) -> list[OperationDrift]:
        return [d for d in self.operations.values() if d.drifted]

    def to_dict(self) -> dict[str, Any]:
        return {"operations": [d.to_dict() for d in self.operations.values()], "drifted": len(self.drifted)}

    def __str__(self) -> str:
        lines = []
        for d in self.drifted:
            lines.append(f"{d.operation_id}: statuses {d.statuses_old} -> {d.statuses_new}")
            lines += [f"  + {a}" for a in d.added] + [f"  - {r}" for r in d.removed] + [f"  ~ {c}" for c in d.changed]
        return "\n".join(lines) or "no drift"


def drift(old: Cassette, new: Cassette) -> DriftReport:
    """Compare the recordings ``old`` and ``new`` operation by operation."""
    before, after = _by_operation(old.exchanges), _by_operation(new.exchanges)
    report: dict[str, OperationDrift] = {}
    for op_id in sorted(before.keys() | after.keys()):
        olds, news = before.get(op_id, []), after.get(op_id, [])
        d = OperationDrift(op_id, _statuses(olds), _statuses(news))
        old_shape, new_shape = _shape(olds), _shape(news)
        # Only compare shapes of statuses seen on both sides; a new status is already reported.
        common = {k.split(" ", 1)[0] for k in old_shape} & {k.split(" ", 1)[0] for k in new_shape}
        for key in sorted(old_shape.keys() | new_shape.keys()):
            if key.split(" ", 1)[0] not in common:
                continue
            o, n = old_shape.get(key), new_shape.get(key)
            if o is None and n is not None:
                d.added.append(f"{key}: {'|'.join(sorted(n))}")
            elif n is None and o is not None:
                d.removed.append(f"{key}: {'|'.join(sorted(o))}")
            elif o != n and o is not None and n is not None:
                d.changed.append(f"{key}: {'|'.join(sorted(o))} -> {'|'.join(sorted(n))}")
        report[op_id] = d
    return DriftReport(report)


def _by_operation(exchanges: Iterable[Exchange]) -> dict[str, list[Exchange]]:
    out: dict[str, list[Exchange]] = defaultdict(list)
    for ex in exchanges:
        out[ex.operation_id or UNKNOWN].append(ex)
    return out


def _statuses(exchanges: list[Exchange]) -> list[int]:
    return sorted({ex.status for ex in exchanges if ex.status is not None})


def _shape(exchanges: list[Exchange]) -> Shape:
    shape: Shape = defaultdict(set)
    for ex in exchanges:
        is_json, value = json_body(ex.response_body, ex.response_header("content-type"))
        if is_json and not isinstance(value, ValueError):
            _walk(value, f"{ex.status} ", shape)
    return shape


def _walk(value: Any, pointer: str, shape: Shape) -> None:
    shape[pointer.rstrip() or pointer].add(_type(value))
    if isinstance(value, dict):
        for k, v in value.items():
            _walk(v, f"{pointer}/{str(k).replace('~', '~0').replace('/', '~1')}", shape)
    elif isinstance(value, list):
        for item in value:
            _walk(item, f"{pointer}/*", shape)


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
