"""One sync run of one fabric, step by step as specs/patterns/gitops_sync.yaml lays it out.

Every step is journaled before and after it acts, every state change goes through the
state machines (``Store.fire``), and fabric-level transitions are written back to NetBox
(custom field + journal entry). A run killed after any step and started again finds its
open journal (HH-SYNC-001) and re-runs from the start; each step is idempotent, so the end
state equals that of an uninterrupted run.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hh_reference.cluster import Cluster, object_key, ready_state
from hh_reference.errors import IntegrationError, condition_error, raise_condition
from hh_reference.gitops import GitOps, git_blob_sha, tree_digest
from hh_reference.manifests import to_files
from hh_reference.naming import KINDS
from hh_reference.netbox import NetBox
from hh_reference.render import render_fabric
from hh_reference.setup import check_setup
from hh_reference.snapshot import Site
from hh_reference.store import Store, connection_key, pull_request_key, resource_key

log = logging.getLogger(__name__)

SYNC_BRANCH_PREFIX = "hh-sync/"
CRASH_ENV = "REFERENCE_CRASH_AFTER"
READY_POLL_S = 0.2


@dataclass
class SyncOutcome:
    fabric: str
    sync_id: str
    state: str
    commit: str | None = None
    pull_request: int | None = None
    code: str | None = None
    resumed: bool = False
    applied: dict[str, list[str]] = field(default_factory=dict)


def _choice(value: Any) -> str | None:
    """A select custom field as NetBox answers it ({value, label}) or as written (the value)."""
    if isinstance(value, dict):
        return str(value.get("value")) if value.get("value") is not None else None
    return str(value) if value is not None else None


def crash_point(step: str) -> None:
    """Fault-injection seam for the crash-safety tests: die like ``kill -9`` right after ``step``."""
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


class Syncer:
    """Runs syncs. The collaborators talk to the real NetBox, GitHub and cluster."""

    def __init__(
        self,
        *,
        netbox: NetBox,
        gitops: GitOps,
        cluster: Cluster,
        store: Store,
        gitops_path: str,
        default_mode: str,
        ready_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.netbox = netbox
        self.gitops = gitops
        self.cluster = cluster
        self.store = store
        self.prefix = gitops_path.strip("/")
        self.default_mode = default_mode
        self.ready_timeout_s = ready_timeout_s
        self.clock = clock
        self.sleep = sleep

    # -- transitions, mirrored to NetBox ----------------------------------------------------------
    def _fire(
        self,
        fabric: str,
        machine: str,
        entity: str,
        trigger: str,
        *,
        code: str | None = None,
        dest: str | None = None,
        site_id: int | None = None,
    ) -> str:
        before = self.store.state(machine, entity)
        after = self.store.fire(machine, entity, trigger, code=code, dest=dest)
        if site_id is not None:
            note = f"{machine} {entity}: {before} -> {after} ({trigger}{', ' + code if code else ''})"
            self.netbox.journal("dcim.site", site_id, "warning" if code else "info", note)
        return after

    def _step(self, sync_id: str, step: str, payload: dict[str, Any], key: str = "") -> None:
        self.store.journal_step(sync_id, step, "done", payload, key or step)
        crash_point(step)

    # -- the run ---------------------------------------------------------------------------------
    def sync(self, fabric: str, reason: str = "requested", sync_id: str | None = None) -> SyncOutcome:
        """Run (or resume) a sync of ``fabric``. Failures end in fabric_sync ``error`` with their code,
        an alert, and the status written to NetBox; the IntegrationError is re-raised.

        ``sync_id`` names a run queued earlier (status API, webhook). An open run found while
        fabric_sync is ``syncing`` was interrupted by a crash and is resumed (HH-SYNC-001)."""
        open_runs = [sid for sid, fab in self.store.open_syncs(fabric) if fab == fabric]
        resumed = bool(open_runs) and self.store.state("fabric_sync", fabric) == "syncing"
        if sync_id is None or sync_id not in open_runs:
            sync_id = open_runs[0] if open_runs else self.store.begin_sync(fabric, reason)
        for other in open_runs:
            if other != sync_id:
                self.store.finish_sync(other, "superseded")
        site_id: int | None = None
        try:
            site = self.netbox.fabric(fabric)
            site_id = site.id
            outcome = self._run(fabric, sync_id, site, resumed)
        except IntegrationError as error:
            self._fail(fabric, sync_id, site_id, error)
            raise
        self.store.finish_sync(sync_id, outcome.state)
        return outcome

    def _run(self, fabric: str, sync_id: str, site: Site, resumed: bool) -> SyncOutcome:
        site_id = site.id
        outcome = SyncOutcome(fabric, sync_id, "syncing", resumed=resumed)
        state = self.store.state("fabric_sync", fabric)
        if state == "awaiting_merge":
            merged = self._check_pull_request(fabric, site_id)
            if merged is None:
                outcome.state = "awaiting_merge"
                return outcome
            if not merged:
                self._fire(fabric, "fabric_sync", fabric, "pr_closed", code="HH-GIT-010", site_id=site_id)
                self.netbox.update_site_status(site_id, {"hh_sync_status": "out_of_sync"})
                outcome.state = "out_of_sync"
                return outcome
            self._fire(fabric, "fabric_sync", fabric, "pr_merged", site_id=site_id)
        elif resumed:
            self.store.raise_alert(fabric, "HH-SYNC-001", "warning", condition_error("sync_interrupted").message)
            self._fire(fabric, "fabric_sync", fabric, "resume_after_crash", code="HH-SYNC-001", site_id=site_id)
        else:
            if _choice(site.custom_fields.get("hh_fabric_status")) != "active":
                raise_condition(
                    "transition_not_in_machine",
                    machine="fabric_sync",
                    entity=fabric,
                    state=state,
                    trigger="start_sync",
                    guard="fabric_active",
                )
            self._fire(fabric, "fabric_sync", fabric, "start_sync", site_id=site_id)
        # Connections are tested inside the run, so a failure here ends it in error like any other.
        self._test_connections(fabric, site_id)
        check_setup(self.netbox)  # HH-NB-004 when NetBox lacks the integration's custom fields
        self.netbox.update_site_status(site_id, {"hh_sync_status": "syncing"})
        self._step(sync_id, "begin_sync", {"resumed": resumed})

        snapshot = self.netbox.read_fabric(fabric)
        self._step(sync_id, "read_intent", {})
        objects = render_fabric(snapshot)
        files = to_files(self.prefix, fabric, objects)
        digest = tree_digest(files)
        self._commit_resources(fabric, objects)
        self._step(sync_id, "render", {"objects": len(objects)}, digest)

        mode = _choice(site.custom_fields.get("hh_gitops_mode")) or self.default_mode
        commit = self._write_git(fabric, sync_id, files, digest=digest, mode=mode, site_id=site_id, outcome=outcome)
        if outcome.state == "awaiting_merge":
            return outcome
        outcome.commit = commit

        applied = self.cluster.apply(
            fabric, objects, prune=False, on_step=lambda step, key: crash_point("apply_object")
        )
        for key in applied.created + applied.updated + applied.unchanged:
            self._resource(fabric, key, "apply")
        outcome.applied = {"created": list(applied.created), "updated": list(applied.updated)}
        self._step(sync_id, "apply", outcome.applied)

        pruned = self.cluster.apply(fabric, objects, prune=True).deleted
        for key in pruned:
            kind, name = key.split("/", 1)
            entity = resource_key(fabric, KINDS[kind].plural, name)
            if self.store.state("resource_lifecycle", entity) in ("committed", "pending", "synced", "drifted"):
                self.store.fire("resource_lifecycle", entity, "source_deleted")
            if self.store.state("resource_lifecycle", entity) == "orphaned":
                self.store.fire("resource_lifecycle", entity, "prune")
        outcome.applied["deleted"] = list(pruned)
        self._step(sync_id, "prune", {"deleted": list(pruned)})

        self._wait_ready(fabric, objects)
        self._step(sync_id, "wait_ready", {})

        self._fire(fabric, "fabric_sync", fabric, "sync_succeeded", site_id=site_id)
        head = commit or self.gitops.head()
        self.store.set_value(fabric, "last_sync_commit", head)
        self.store.set_value(fabric, "last_rendered_digest", digest)
        self.netbox.update_site_status(
            site_id, {"hh_sync_status": "in_sync", "hh_last_sync_commit": head, "hh_sync_error": None}
        )
        crash_point("write_status_field")  # between the status field and the journal of the step
        self._step(sync_id, "write_status", {"commit": head})
        outcome.state = "in_sync"
        return outcome

    # -- steps -------------------------------------------------------------------------------------
    def _test_connections(self, fabric: str, site_id: int) -> None:
        for endpoint, probe in (("git", self.gitops.head), ("kubernetes", lambda: self.cluster.list_managed(fabric))):
            entity = connection_key(fabric, endpoint)
            if self.store.state("connection_status", entity) == "unknown":
                self._fire(fabric, "connection_status", entity, "configure", site_id=site_id)
            self.store.fire("connection_status", entity, "start_test")
            try:
                probe()
            except IntegrationError as error:
                self._fire(fabric, "connection_status", entity, "test_failed", code=error.code, site_id=site_id)
                field_name = "hh_git_connection_status" if endpoint == "git" else "hh_cluster_connection_status"
                self.netbox.update_site_status(site_id, {field_name: "failed"})
                raise
            self.store.fire("connection_status", entity, "test_passed")
            field_name = "hh_git_connection_status" if endpoint == "git" else "hh_cluster_connection_status"
            self.netbox.update_site_status(site_id, {field_name: "connected"})

    def _commit_resources(self, fabric: str, objects: list[dict[str, Any]]) -> None:
        for obj in objects:
            entity = resource_key(fabric, KINDS[obj["kind"]].plural, obj["metadata"]["name"])
            state = self.store.ensure("resource_lifecycle", entity)
            if state == "orphaned":
                self.store.fire("resource_lifecycle", entity, "readopt_after_prune")
                state = "draft"
            if state != "committed":
                self.store.fire("resource_lifecycle", entity, "commit")

    def _resource(self, fabric: str, key: str, trigger: str) -> None:
        kind, name = key.split("/", 1)
        entity = resource_key(fabric, KINDS[kind].plural, name)
        if trigger == "apply" and self.store.state("resource_lifecycle", entity) != "committed":
            return
        self.store.fire("resource_lifecycle", entity, trigger)

    def _write_git(
        self,
        fabric: str,
        sync_id: str,
        files: dict[str, bytes],
        *,
        digest: str,
        mode: str,
        site_id: int,
        outcome: SyncOutcome,
    ) -> str | None:
        prefix = f"{self.prefix}/{fabric}"
        message = f"Sync fabric {fabric} from NetBox"
        if mode != "pull_request":
            result = self.gitops.commit_files(prefix, files, message)
            self._step(sync_id, "update_ref", {"commit": result.commit_sha}, digest)
            return result.commit_sha
        branch = f"{SYNC_BRANCH_PREFIX}{fabric}"
        target_files = self.gitops.files_at(self.gitops.head(), prefix)
        if {p: git_blob_sha(c) for p, c in files.items()} == target_files:
            return None  # the target branch already holds this render (e.g. the run after a merge)
        result = self.gitops.commit_files(prefix, files, message, branch=branch, base_branch=self.gitops.ref.branch)
        self._step(sync_id, "update_ref", {"commit": result.commit_sha, "branch": branch}, digest)
        pr = self.gitops.open_pull_request(branch, message, f"Rendered from NetBox.\n\nDigest: {digest}")
        number = int(pr["number"])
        entity = pull_request_key(fabric, number)
        if self.store.state("pull_request", entity) == "none":
            self._fire(fabric, "pull_request", entity, "create", site_id=site_id)
        self.store.set_value(fabric, "pull_request", str(number))
        self._fire(fabric, "fabric_sync", fabric, "pr_opened", site_id=site_id)
        self.netbox.update_site_status(site_id, {"hh_sync_status": "awaiting_merge", "hh_pull_request": number})
        self._step(sync_id, "open_pull_request", {"number": number})
        outcome.state = "awaiting_merge"
        outcome.pull_request = number
        return result.commit_sha

    def _check_pull_request(self, fabric: str, site_id: int) -> bool | None:
        """True merged, False closed unmerged, None still open."""
        number = int(self.store.get_value(fabric, "pull_request") or 0)
        pr = self.gitops.get_pull_request(number)
        entity = pull_request_key(fabric, number)
        if pr.get("merged"):
            if self.store.state("pull_request", entity) not in ("merged", "closed"):
                self._fire(fabric, "pull_request", entity, "merged_externally", site_id=site_id)
            return True
        if pr.get("state") == "closed":
            if self.store.state("pull_request", entity) not in ("merged", "closed"):
                self._fire(fabric, "pull_request", entity, "close", code="HH-GIT-010", site_id=site_id)
            return False
        return None

    def _wait_ready(self, fabric: str, objects: list[dict[str, Any]]) -> None:
        wanted = {object_key(o) for o in objects}
        deadline = self.clock() + self.ready_timeout_s
        while True:
            live = self.cluster.list_managed(fabric)
            states = {key: ready_state(live[key]) if key in live else "missing" for key in wanted}
            for key, state in states.items():
                if state == "live":
                    kind, name = key.split("/", 1)
                    entity = resource_key(fabric, KINDS[kind].plural, name)
                    if self.store.state("resource_lifecycle", entity) == "pending":
                        self.store.fire("resource_lifecycle", entity, "became_ready")
            waiting = sorted(k for k, s in states.items() if s != "live")
            if not waiting:
                return
            if self.clock() >= deadline:
                for key in waiting:
                    kind, name = key.split("/", 1)
                    entity = resource_key(fabric, KINDS[kind].plural, name)
                    if self.store.state("resource_lifecycle", entity) == "pending":
                        self.store.fire("resource_lifecycle", entity, "ready_timeout", code="HH-K8S-005")
                raise_condition("ready_timeout", objects=", ".join(waiting[:5]), waiting=len(waiting))
            self.sleep(READY_POLL_S)

    def _fail(self, fabric: str, sync_id: str, site_id: int | None, error: IntegrationError) -> None:
        """End the run as the catalog entry of ``error.code`` says: take each of its transitions that
        applies from the current states, raise its alert, write the status to NetBox. A failure while
        reporting is logged with its own code and does not hide the original one."""
        log.error("sync of %s failed: %s", fabric, error.message)
        self.store.finish_sync(sync_id, error.code)
        catalog = self.store.catalog
        entry = catalog.entry(error.code) if catalog.has(error.code) else None
        for effect in entry.transitions if entry else ():
            for entity in self._entities(fabric, effect.machine, entry.boundary if entry else ""):
                state = self.store.state(effect.machine, entity)
                if self.store.registry.allowed(effect.machine, state, effect.trigger, effect.to) is None:
                    continue  # e.g. connection_lost applies only to a connection that was connected
                self.store.fire(effect.machine, entity, effect.trigger, code=error.code, dest=effect.to)
        if entry is not None and entry.alert_severity:
            self.store.raise_alert(fabric, error.code, entry.alert_severity, error.message)
        if site_id is None:
            return
        try:
            self.netbox.update_site_status(
                site_id, {"hh_sync_status": self.store.state("fabric_sync", fabric), "hh_sync_error": error.code}
            )
            self.netbox.journal("dcim.site", site_id, "danger", error.message)
        except IntegrationError as report_error:
            log.error("could not write the failure of %s to NetBox: %s", fabric, report_error.message)

    def _entities(self, fabric: str, machine: str, boundary: str) -> list[str]:
        """The entities of ``machine`` a failure at ``boundary`` concerns."""
        if machine == "fabric_sync":
            return [fabric]
        if machine == "connection_status":
            endpoint = {"github": "git", "kubernetes": "kubernetes"}.get(boundary)
            return [connection_key(fabric, endpoint)] if endpoint else []
        if machine == "pull_request":
            number = self.store.get_value(fabric, "pull_request")
            return [pull_request_key(fabric, int(number))] if number else []
        return []  # resource-level effects are taken where the failing object is known
