"""Three-way drift: NetBox intent (the render) vs Git (the target branch) vs the cluster.

Drift kinds (and the catalog code each is reported under):

- ``netbox_changed``: the render differs from Git while Git still holds what the last sync
  wrote: intent changed in NetBox (a normal change; fabric_sync ``intent_changed``, no code);
- ``git_edited`` (HH-SYNC-005): a managed file on the target branch differs from what the last
  sync committed, i.e. someone edited Git outside the integration;
- ``spec_drift`` (HH-SYNC-002): an object's spec in the cluster differs from its file in Git;
- ``desired_only`` (HH-SYNC-003): a file in Git has no object in the cluster;
- ``actual_only`` (HH-SYNC-004): a managed object in the cluster has no file in Git.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hh_reference import manifests
from hh_reference.naming import BY_PLURAL

CODES = {
    "netbox_changed": None,
    "git_edited": "HH-SYNC-005",
    "spec_drift": "HH-SYNC-002",
    "desired_only": "HH-SYNC-003",
    "actual_only": "HH-SYNC-004",
}


@dataclass(frozen=True)
class Drift:
    kind: str  # Hedgehog kind
    name: str
    drift: str
    code: str | None
    path: str | None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "drift": self.drift, "code": self.code, "path": self.path}


@dataclass(frozen=True)
class Observation:
    """What one object looks like on each side; the guards of resource_drift evaluate on it."""

    desired_present: bool
    actual_present: bool
    spec_equal: bool
    deleting: bool = False  # the cluster object has a deletionTimestamp: its delete is accepted, finalizers hold it


def key_of_path(path: str) -> tuple[str, str]:
    """``fabrics/<fabric>/<plural>/<name>.yaml`` -> (Kind, name)."""
    parts = path.split("/")
    return BY_PLURAL[parts[-2]].kind, parts[-1].removesuffix(".yaml")


def _objects(files: Mapping[str, bytes]) -> dict[tuple[str, str], tuple[str | None, dict[str, Any] | None]]:
    out: dict[tuple[str, str], tuple[str | None, dict[str, Any] | None]] = {}
    for path, data in files.items():
        docs = manifests.load_all(data)
        if len(docs) == 1 and isinstance(docs[0], dict):
            out[key_of_path(path)] = (path, docs[0])
    return out


def compare(
    rendered: Mapping[str, bytes],
    git_head: Mapping[str, bytes],
    git_last_sync: Mapping[str, bytes] | None,
    cluster: Mapping[str, Mapping[str, Any]],
) -> tuple[list[Drift], dict[tuple[str, str], Observation]]:
    """Every drift, sorted, and per object the Git-vs-cluster observation.

    ``git_last_sync`` is the managed tree as the last sync committed it (None before any sync);
    ``cluster`` maps ``Kind/name`` to the live objects the integration manages."""
    found: list[Drift] = []
    for path in sorted(set(rendered) | set(git_head)):
        kind, name = key_of_path(path)
        head = git_head.get(path)
        if git_last_sync is not None and head != git_last_sync.get(path):
            found.append(Drift(kind, name, "git_edited", CODES["git_edited"], path))
        elif rendered.get(path) != head:
            found.append(Drift(kind, name, "netbox_changed", None, path))
    desired = _objects(git_head)
    live = {(obj["kind"], obj["metadata"]["name"]): obj for obj in cluster.values()}
    observations: dict[tuple[str, str], Observation] = {}
    for key in sorted(set(desired) | set(live)):
        found_in_git: tuple[str | None, dict[str, Any] | None] = desired.get(key, (None, None))
        file_path, want = found_in_git
        have = live.get(key)
        equal = want is not None and have is not None and want.get("spec") == have.get("spec")
        deleting = have is not None and bool((have.get("metadata") or {}).get("deletionTimestamp"))
        observations[key] = Observation(want is not None, have is not None, equal, deleting)
        if want is not None and have is None:
            found.append(Drift(key[0], key[1], "desired_only", CODES["desired_only"], file_path))
        elif want is None and have is not None:
            found.append(Drift(key[0], key[1], "actual_only", CODES["actual_only"], None))
        elif not equal:
            found.append(Drift(key[0], key[1], "spec_drift", CODES["spec_drift"], file_path))
    return sorted(found, key=lambda d: (d.kind, d.name, d.drift)), observations


def drift_triggers(state: str, obs: Observation) -> list[tuple[str, str]]:
    """The (trigger, dest) steps of resource_drift that take an object in ``state`` to what ``obs``
    shows, evaluating the machine's guards (desired_present, actual_present, spec_equal) on ``obs``."""
    d, a, eq = obs.desired_present, obs.actual_present, obs.spec_equal
    match state:
        case "unobserved":
            if d and a:
                return [("observe", "in_sync" if eq else "spec_drift")]
            if d:
                return [("observe", "desired_only")]
            if a:
                return [("observe", "actual_only")]
        case "in_sync" | "spec_drift":
            if d and not a:
                return [("actual_removed", "desired_only")]
            if a and not d:
                return [("desired_removed", "actual_only")]
            if state == "in_sync" and not eq:
                return [("drift_detected", "spec_drift")]
            if state == "spec_drift" and eq:
                return [("patch_applied", "in_sync")]
        case "creation_pending":
            if a:
                return [("create_observed", "in_sync" if eq else "spec_drift")]
            if d:
                return [("actual_removed", "desired_only")]
        case "desired_only":
            if d and a:
                return [("actual_appeared", "in_sync" if eq else "spec_drift")]
            if not d and not a:
                return [("desired_withdrawn", "unobserved")]
        case "actual_only":
            if d and a:
                return [("desired_added", "in_sync" if eq else "spec_drift")]
        case "deletion_pending":
            if not a:
                return [("delete_observed", "unobserved")]
            if obs.deleting:  # still pending: finalizers hold it
                return []
            return [("delete_failed", "actual_only")]
    return []
