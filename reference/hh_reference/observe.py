"""Drift detection: compare NetBox intent, the target branch and the cluster, and record what
differs in the state machines (resource_drift per object, resource_lifecycle, fabric_sync)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hh_reference.cluster import Cluster
from hh_reference.drift import Drift, Observation, compare, drift_triggers
from hh_reference.gitops import GitOps
from hh_reference.manifests import to_files
from hh_reference.naming import KINDS
from hh_reference.netbox import NetBox, _select
from hh_reference.render import render_fabric
from hh_reference.store import Store, resource_key


@dataclass(frozen=True)
class DriftReport:
    fabric: str
    drifts: tuple[Drift, ...]
    head: str

    def to_json(self) -> dict[str, Any]:
        return {"fabric": self.fabric, "head": self.head, "drifts": [d.to_json() for d in self.drifts]}


def record_observations(
    store: Store, fabric: str, drifts: list[Drift], observations: Mapping[tuple[str, str], Observation]
) -> None:
    """Step resource_drift (and resource_lifecycle's drift edges) of each object to what one
    comparison of the target branch with the cluster showed."""
    codes = {(d.kind, d.name): d.code for d in drifts if d.code}
    for (kind, name), obs in observations.items():
        entity = resource_key(fabric, KINDS[kind].plural, name)
        store.ensure("resource_drift", entity)
        for trigger, dest in drift_triggers(store.state("resource_drift", entity), obs):
            store.fire("resource_drift", entity, trigger, code=codes.get((kind, name)), dest=dest)
        lifecycle = store.state("resource_lifecycle", entity)
        if lifecycle == "synced" and (obs.desired_present or obs.actual_present) and not obs.spec_equal:
            # changed in the cluster (HH-SYNC-002) or deleted from it (HH-SYNC-003); or its file on the
            # target branch is no manifest any more (someone else's commit): the cluster no longer
            # holds what the branch has
            code = "HH-SYNC-002" if obs.actual_present else "HH-SYNC-003"
            store.fire("resource_lifecycle", entity, "drift_detected", code=code)
        elif lifecycle == "drifted" and obs.spec_equal:
            store.fire("resource_lifecycle", entity, "drift_reverted")


def transition_note(what: str, step: tuple[str, str, str], code: str | None = None) -> str:
    """The journal entry's text of a transition ``step`` (source, dest, trigger) of ``what``."""
    before, after, trigger = step
    return f"{what}: {before} -> {after} ({trigger}{', ' + code if code else ''})"


_FOLLOWED = {("active", "maintenance"): "start_maintenance", ("maintenance", "active"): "end_maintenance"}


def follow_fabric_status(store: Store, fabric: str, wanted: str | None) -> tuple[str, str, str] | None:
    """fabric_status follows the operator's hh_fabric_status (``wanted``) into maintenance and back
    out, never while a sync is in flight (start_maintenance's unless: sync_in_progress): the run
    that follows takes it. The step taken (source, dest, trigger), or None."""
    current = store.state("fabric_status", fabric)
    trigger = _FOLLOWED.get((current, wanted or ""))
    if trigger is None or store.state("fabric_sync", fabric) in ("syncing", "awaiting_merge"):
        return None
    return current, store.fire("fabric_status", fabric, trigger), trigger


class DriftChecker:
    def __init__(self, *, netbox: NetBox, gitops: GitOps, cluster: Cluster, store: Store, gitops_path: str) -> None:
        self.netbox = netbox
        self.gitops = gitops
        self.cluster = cluster
        self.store = store
        self.prefix = gitops_path.strip("/")

    def check(self, fabric: str) -> DriftReport:
        """Observe the three sides once, record the result, and return it."""
        snapshot = self.netbox.read_fabric(fabric)
        step = follow_fabric_status(self.store, fabric, _select(snapshot.site.custom_fields.get("hh_fabric_status")))
        if step is not None:
            self.netbox.journal("dcim.site", snapshot.site.id, "info", transition_note(f"fabric_status {fabric}", step))
        objects = render_fabric(snapshot)
        rendered = to_files(self.prefix, fabric, objects)
        prefix = f"{self.prefix}/{fabric}"
        head = self.gitops.head()
        git_head = self.gitops.read_files(head, prefix)
        last = self.store.get_value(fabric, "last_sync_commit")
        git_last = self.gitops.read_files(last, prefix) if last else None
        live = self.cluster.list_managed(fabric)
        drifts, observations = compare(rendered, git_head, git_last, live)
        record_observations(self.store, fabric, drifts, observations)
        self._fabric_level(fabric, drifts)
        report = DriftReport(fabric, tuple(drifts), head)
        self.store.set_value(fabric, "drift_report", json.dumps(report.to_json(), sort_keys=True))
        return report

    def _fabric_level(self, fabric: str, drifts: list[Drift]) -> None:
        coded = sorted({d.code for d in drifts if d.code})
        for code in coded:
            entry = self.store.catalog.entry(code)
            active = [a for a in self.store.alerts(fabric=fabric, state="active") if a.code == code]
            if entry.alert_severity and not active:
                self.store.raise_alert(fabric, code, entry.alert_severity, entry.message)
        if self.store.state("fabric_sync", fabric) != "in_sync":
            return
        if coded:
            self.store.fire("fabric_sync", fabric, "drift_detected", code=coded[0])
        elif any(d.drift == "netbox_changed" for d in drifts):
            self.store.fire("fabric_sync", fabric, "intent_changed")
