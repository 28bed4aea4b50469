"""Field management as kube-apiserver does it: ``metadata.managedFields`` and server-side apply.

Every write records which manager owns which fields (``FieldsV1``). A non-apply write
(create, update, merge/JSON patch) gives its manager the fields it added or changed; an apply
(``application/apply-patch+yaml``) makes the applier's set exactly the fields of its
configuration, merges that configuration into the object, removes fields the applier stopped
applying that nobody else owns, and fails with 409 Conflict when it would change a field
another manager owns, unless forced (then ownership moves to the applier).

A field path is a tuple of FieldsV1 elements: ``f:<name>`` for a field, ``v:<json>`` for an item
of a set. Lists are atomic, the default for CustomResourceDefinition schemas without
``x-kubernetes-list-type`` (the Hedgehog CRDs set none), except metadata.finalizers, a set as
on the real server, so that managers apply their own finalizers side by side; ownerReferences
(a map keyed by uid on the real server) is atomic here.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from harness.targets.kube.status import StatusError
from harness.targets.kube.writes import now

FieldPath = tuple[str, ...]
APPLY = "Apply"
UPDATE = "Update"
_TRACKED_METADATA = ("labels", "annotations", "finalizers", "ownerReferences")
_SETS = {("f:metadata", "f:finalizers")}
_ABSENT = object()


@dataclass
class Manager:
    """One managedFields entry with its field set decoded."""

    manager: str
    operation: str
    api_version: str
    time: str
    fields: set[FieldPath]
    subresource: str = ""

    def same_owner(self, other: Manager) -> bool:
        """Entries are keyed like the real server's: Update entries per apiVersion, Apply entries not."""
        key = (self.manager, self.operation, self.subresource)
        if key != (other.manager, other.operation, other.subresource):
            return False
        return self.operation == APPLY or self.api_version == other.api_version

    def entry(self) -> dict[str, Any]:
        """The managedFields entry as the API serialises it."""
        out: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": encode(self.fields),
        }
        if self.subresource:
            out["subresource"] = self.subresource
        return out


def tracked(obj: dict[str, Any], subresource: str, status_subresource: bool) -> set[FieldPath]:
    """The leaf fields of ``obj`` that field management tracks for a write to ``subresource``."""
    paths: set[FieldPath] = set()
    for key, value in obj.items():
        if key in ("apiVersion", "kind"):
            continue
        if key == "metadata":
            if subresource or not isinstance(value, dict):
                continue
            for meta_key in _TRACKED_METADATA:
                if meta_key in value:
                    paths |= _leaves(value[meta_key], ("f:metadata", f"f:{meta_key}"))
            continue
        # A status subresource splits ownership: writes to it track only status, others all but status.
        if status_subresource and (key == "status") != (subresource == "status"):
            continue
        paths |= _leaves(value, (f"f:{key}",))
    return paths


def _leaves(value: Any, prefix: FieldPath) -> set[FieldPath]:
    if isinstance(value, dict) and value:
        found: set[FieldPath] = set()
        for key, child in value.items():
            found |= _leaves(child, (*prefix, f"f:{key}"))
        return found
    if prefix in _SETS and isinstance(value, list) and value:
        return {(*prefix, f"v:{json.dumps(item)}") for item in value}
    return {prefix}


def value_at(obj: Any, path: FieldPath) -> Any:
    """The value at ``path``, or a sentinel when it is absent."""
    for element in path:
        kind, key = element[:2], element[2:]
        if kind == "f:" and isinstance(obj, dict) and key in obj:
            obj = obj[key]
        elif kind == "v:" and isinstance(obj, list) and json.loads(key) in obj:
            obj = json.loads(key)
        else:
            return _ABSENT
    return obj


def _remove(obj: dict[str, Any], path: FieldPath) -> None:
    parent: Any = value_at(obj, path[:-1])
    kind, key = path[-1][:2], path[-1][2:]
    if kind == "f:" and isinstance(parent, dict):
        parent.pop(key, None)
    elif kind == "v:" and isinstance(parent, list) and json.loads(key) in parent:
        parent.remove(json.loads(key))


def encode(fields: set[FieldPath]) -> dict[str, Any]:
    """A FieldsV1 document: ``{"f:spec": {"f:asn": {}}}``; ``"."`` marks a member with members below."""
    root: dict[str, Any] = {}
    for path in sorted(fields):
        node = root
        for element in path:
            node = node.setdefault(element, {})
    for path in fields:
        node = root
        for element in path:
            node = node[element]
        if node:
            node["."] = {}
    return root


def decode(fields_v1: Any, prefix: FieldPath = ()) -> set[FieldPath]:
    """The field paths of a FieldsV1 document (``f:`` and ``v:`` elements, the only ones written here)."""
    if not isinstance(fields_v1, dict):
        return set()
    if not fields_v1 and prefix:
        return {prefix}
    found: set[FieldPath] = set()
    for key, child in fields_v1.items():
        if key == ".":
            found.add(prefix)
        elif isinstance(key, str) and key[:2] in ("f:", "v:"):
            found |= decode(child, (*prefix, key))
    return found


def managers_of(obj: dict[str, Any] | None) -> list[Manager]:
    """The decoded managedFields of ``obj`` (none for a new object)."""
    entries = ((obj or {}).get("metadata") or {}).get("managedFields") or []
    return [
        Manager(
            manager=str(e.get("manager", "")),
            operation=str(e.get("operation", UPDATE)),
            api_version=str(e.get("apiVersion", "")),
            time=str(e.get("time", "")),
            fields=decode(e.get("fieldsV1")),
            subresource=str(e.get("subresource", "")),
        )
        for e in entries
        if isinstance(e, dict) and e.get("manager")
    ]


def requested_managers(new: dict[str, Any], old: dict[str, Any] | None) -> list[Manager]:
    """The managers a write starts from: those the client sent if it sent a non-empty list
    (``[{}]`` clears them, as on the real server), else the stored ones."""
    sent = (new.get("metadata") or {}).get("managedFields")
    if isinstance(sent, list) and sent:
        return managers_of(new)
    return managers_of(old)


def _store(managers: list[Manager]) -> list[dict[str, Any]]:
    return [m.entry() for m in managers if m.fields]


def record_update(old: dict[str, Any] | None, new: dict[str, Any], manager: Manager, status_subresource: bool) -> None:
    """Set ``new``'s managedFields after a non-apply write by ``manager`` (its fields and operation set)."""
    managers = requested_managers(new, old)
    before = tracked(old or {}, manager.subresource, status_subresource)
    after = tracked(new, manager.subresource, status_subresource)
    changed = {p for p in after if value_at(old or {}, p) != value_at(new, p)}
    removed = before - after
    for other in managers:
        if not other.same_owner(manager):
            other.fields -= changed | removed
    mine = next((m for m in managers if m.same_owner(manager)), None)
    if changed or removed:
        if mine is None:
            mine = Manager(manager.manager, UPDATE, manager.api_version, now(), set(), manager.subresource)
            managers.append(mine)
        mine.fields = (mine.fields - removed) | changed
        mine.time = now()
    new.setdefault("metadata", {})["managedFields"] = _store(managers)


def _merge(live: Any, config: Any, path: FieldPath = ()) -> Any:
    if isinstance(live, dict) and isinstance(config, dict):
        merged = copy.deepcopy(live)
        for key, value in config.items():
            merged[key] = _merge(live.get(key), value, (*path, f"f:{key}"))
        return merged
    if path in _SETS and isinstance(live, list) and isinstance(config, list):
        return [*live, *(item for item in config if item not in live)]
    return copy.deepcopy(config)


def _path_text(path: FieldPath) -> str:
    """As kube-apiserver prints a path in a conflict: ``.spec.asn``, ``.metadata.finalizers[="x"]``."""
    return "".join(f".{e[2:]}" if e.startswith("f:") else f"[={e[2:]}]" for e in path)


def _conflict_error(conflicts: list[tuple[Manager, FieldPath]]) -> StatusError:
    def who(m: Manager) -> str:
        shown = f'"{m.manager}"'
        if m.subresource:
            shown += f' with subresource "{m.subresource}"'
        return f"{shown} using {m.api_version}" if m.operation == UPDATE else shown

    causes = [
        {"reason": "FieldManagerConflict", "message": f"conflict with {who(m)}", "field": _path_text(p)}
        for m, p in conflicts
    ]
    if len(conflicts) == 1:
        m, p = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {who(m)}: {_path_text(p)}"
    else:
        lines: list[str] = []
        for shown in sorted({who(m) for m, _ in conflicts}):
            lines.append(f"conflicts with {shown}:")
            lines.extend(f"- {_path_text(p)}" for m, p in conflicts if who(m) == shown)
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return StatusError(409, "Conflict", message, {"causes": causes})


def apply(
    live: dict[str, Any] | None,
    config: dict[str, Any],
    applier: Manager,
    force: bool,
    status_subresource: bool,
) -> dict[str, Any]:
    """The object after ``applier`` applies ``config`` to ``live`` (None: it is created), with its
    managedFields; StatusError 409 naming the conflicting fields and their managers unless ``force``."""
    managers = managers_of(live)
    sub = applier.subresource
    config_fields = tracked(config, sub, status_subresource)
    mine = next((m for m in managers if m.same_owner(applier)), None)
    others = [m for m in managers if m is not mine]
    merged: dict[str, Any] = _merge(live or {}, config)
    owned_elsewhere = set().union(*(m.fields for m in others))
    for path in sorted((mine.fields if mine else set()) - config_fields - owned_elsewhere, reverse=True):
        _remove(merged, path)
    changed = {p for p in config_fields if value_at(live or {}, p) != value_at(merged, p)}
    contested = {id(m): {p for p in m.fields if _overlaps(p, changed)} for m in others}
    conflicts = [(m, p) for m in others for p in sorted(contested[id(m)])]
    if conflicts and not force:
        raise _conflict_error(conflicts)
    for m in others:
        m.fields -= contested[id(m)]
    if mine is None:
        mine = Manager(applier.manager, APPLY, applier.api_version, now(), config_fields, sub)
        managers.append(mine)
    elif mine.fields != config_fields:
        mine.fields, mine.time, mine.api_version = config_fields, now(), applier.api_version
    merged.setdefault("metadata", {})["managedFields"] = _store(managers)
    return merged


def _overlaps(path: FieldPath, changed: set[FieldPath]) -> bool:
    """Whether changing one of ``changed`` changes ``path`` (the same field, one inside it, or its parent)."""
    return any(path[: len(c)] == c or c[: len(path)] == path for c in changed)
