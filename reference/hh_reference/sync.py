"""One sync run of one fabric, step by step as specs/patterns/gitops_sync.yaml lays it out.

Every step is journaled before and after it acts, every state change goes through the
state machines (``Store.fire``), and fabric-level transitions are written back to NetBox
(custom field + journal entry). A run killed after any step and started again finds its
open journal (HH-SYNC-001) and re-runs from the start; each step is idempotent, so the end
state equals that of an uninterrupted run.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hh_reference.cluster import Cluster, object_key, ready_state
from hh_reference.contracts import first_violation
from hh_reference.drift import Observation, compare, drift_triggers
from hh_reference.errors import IntegrationError, condition_error, raise_condition
from hh_reference.gitops import GitOps, git_blob_sha, tree_digest
from hh_reference.manifests import to_files
from hh_reference.naming import KINDS, manifest_path
from hh_reference.netbox import NetBox
from hh_reference.observe import follow_fabric_status, record_observations, transition_note
from hh_reference.render import render_fabric
from hh_reference.setup import check_setup
from hh_reference.snapshot import Site
from hh_reference.specs import default_spec_root
from hh_reference.store import Store, connection_key, pull_request_key, resource_key

log = logging.getLogger(__name__)

SYNC_BRANCH_PREFIX = "hh-sync/"
NETBOX_SYNC_STATUS = "netbox_sync_status"  # kv: the hh_sync_status this integration last wrote to NetBox
_PR_CHECKED = ("checks_pending", "checks_failed", "mergeable")  # states a moved base sends back to open
_PR_HEAD_MOVES = ("open", *_PR_CHECKED)  # states a new head sends (back) to open
KIND_OF_PLURAL = {spec.plural: kind for kind, spec in KINDS.items()}  # a plural (a path part) -> its Kind
COMMITTED_BLOBS = "committed_blobs"  # kv: path -> git blob sha of each file this integration last committed
_COMMITTABLE = ("committed", "pending", "synced", "drifted")  # a commit behind them: revised on top, orphaned


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
        spec_root: Path | None = None,
        auto_merge: bool = False,
        required_checks: Sequence[str] = (),
    ) -> None:
        self.netbox = netbox
        self.gitops = gitops
        self.cluster = cluster
        self.store = store
        self.prefix = gitops_path.strip("/")
        self.default_mode = default_mode
        self.ready_timeout_s = ready_timeout_s
        self.clock = clock
        self.spec_root = spec_root or default_spec_root()
        self.auto_merge = auto_merge
        self.required_checks = tuple(required_checks)
        self._rendered: list[dict[str, Any]] = []  # the objects of the run in progress
        self._repairing: set[str] = set()  # Kind/name the run's apply found differing from the branch

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
            self._journal(site_id, f"{machine} {entity}", (before, after, trigger), code)
        return after

    def _follow_fabric_status(self, fabric: str, site: Site) -> None:
        """fabric_status follows the operator's hh_fabric_status as a new run starts, journaled."""
        step = follow_fabric_status(self.store, fabric, _choice(site.custom_fields.get("hh_fabric_status")))
        if step is not None:
            self._journal(site.id, f"fabric_status {fabric}", step)

    def _journal(self, site_id: int, what: str, step: tuple[str, str, str], code: str | None = None) -> None:
        """The journal entry of a transition ``step`` (source, dest, trigger) of ``what``."""
        self.netbox.journal("dcim.site", site_id, "warning" if code else "info", transition_note(what, step, code))

    def _step(self, sync_id: str, step: str, payload: dict[str, Any], key: str = "") -> None:
        self.store.journal_step(sync_id, step, "done", payload, key or step)

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
            self.store.catch_up_alerts(fabric)  # alert journal entries NetBox refused before
            earlier = max((a.id for a in self.store.alerts(fabric=fabric)), default=0)
            outcome = self._run(fabric, sync_id, site, resumed)
            if outcome.state == "in_sync":
                self._resolve_alerts(fabric, earlier)
        except IntegrationError as error:
            self._fail(fabric, sync_id, site_id, error)
            raise
        self.store.finish_sync(sync_id, outcome.state)
        return outcome

    def _run(self, fabric: str, sync_id: str, site: Site, resumed: bool) -> SyncOutcome:
        site_id = site.id
        outcome = SyncOutcome(fabric, sync_id, "syncing", resumed=resumed)
        self._rendered, self._repairing = [], set()
        state = self.store.state("fabric_sync", fabric)
        if state == "awaiting_merge":
            if not self._pull_request_settled(fabric, site_id, outcome):
                return outcome
        elif resumed:
            self.store.raise_alert(fabric, "HH-SYNC-001", "warning", condition_error("sync_interrupted").message)
            self._fire(fabric, "fabric_sync", fabric, "resume_after_crash", code="HH-SYNC-001", site_id=site_id)
        else:
            for machine in ("fabric_sync", "fabric_status"):  # a fabric asked for is one the integration tracks
                self.store.ensure(machine, fabric)
            self._check_status_field(fabric, site)
            self._follow_fabric_status(fabric, site)
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
        if (
            _choice(site.custom_fields.get("hh_fabric_status")) == "active"
            and self.store.state("fabric_status", fabric) == "planned"
        ):  # NetBox put the fabric in service; its guards (both connections tested) hold now
            self.store.fire("fabric_status", fabric, "activate")
        check_setup(self.netbox, self.spec_root)  # HH-NB-004 when NetBox lacks the custom fields
        self._write_status(fabric, site_id, {"hh_sync_status": "syncing"})
        self._step(sync_id, "begin_sync", {"resumed": resumed})

        snapshot = self.netbox.read_fabric(fabric)
        self._step(sync_id, "read_intent", {})
        objects = render_fabric(snapshot)
        self._check_contracts(fabric, objects)
        self._rendered = objects
        files = to_files(self.prefix, fabric, objects)
        digest = tree_digest(files)
        self._adopt(fabric, objects)
        self._step(sync_id, "render", {"objects": len(objects)}, digest)

        mode = _choice(site.custom_fields.get("hh_gitops_mode")) or self.default_mode
        commit = self._write_git(fabric, sync_id, files, digest=digest, mode=mode, site_id=site_id, outcome=outcome)
        if outcome.state in ("awaiting_merge", "out_of_sync"):
            return outcome
        outcome.commit = commit
        self._committed(fabric, objects, files)
        self._orphan_removed(fabric, objects)

        self.cluster.check_served(o["kind"] for o in objects)
        applied = self.cluster.apply(fabric, objects, before_replace=lambda key: self._drift_differs(fabric, key))
        for key in applied.created + applied.updated:
            self._applied(fabric, key, changed=True)
        for key in applied.unchanged:
            self._applied(fabric, key, changed=False)
        for key in applied.unchanged:  # in the cluster as the branch has it: resource_drift says so
            # (not a delete in flight: finding the object does not undo it)
            if self.store.ensure("resource_drift", self._entity(fabric, key)) != "deletion_pending":
                self._drift_observed(fabric, key, Observation(True, True, True), most=1)
        for key in applied.updated:  # the replacement is in the cluster: its spec is the branch's
            if self.store.ensure("resource_drift", self._entity(fabric, key)) != "deletion_pending":
                self._drift_observed(fabric, key, Observation(True, True, True), most=1)
        for key in applied.created:
            self._drift_absent(fabric, key)
            entity = self._entity(fabric, key)
            if self.store.state("resource_drift", entity) == "desired_only":
                self.store.fire("resource_drift", entity, "create_accepted")
        outcome.applied = {"created": list(applied.created), "updated": list(applied.updated)}
        self._step(sync_id, "apply", outcome.applied)

        pruned = self.cluster.prune(
            fabric, {object_key(o) for o in objects}, before_delete=lambda key: self._drift_unwanted(fabric, key)
        )
        wanted = {self._entity(fabric, object_key(o)) for o in objects}
        orphans = [e.split("/", 1)[1] for e, (state, _) in self.store.entities(fabric, "resource_lifecycle").items()
                   if state == "orphaned" and e not in wanted]  # fmt: skip
        # what this prune deleted, and orphans a finalizer held after an earlier one: each is deleted
        # (lifecycle) and unobserved (drift) once a GET answers 404, not before
        held = (f"{KIND_OF_PLURAL[p]}/{n}" for p, n in (o.split("/", 1) for o in orphans))
        for key in dict.fromkeys([*pruned, *held]):
            kind, name = key.split("/", 1)
            entity = resource_key(fabric, KINDS[kind].plural, name)
            if self.store.state("resource_drift", entity) == "actual_only" and key in pruned:
                self.store.fire("resource_drift", entity, "delete_accepted")
            gone = self.cluster.get(kind, name, retry=False) is None  # a GET answers 404
            if gone and self.store.state("resource_drift", entity) == "deletion_pending":
                self.store.fire("resource_drift", entity, "delete_observed")
            if self.store.state("resource_lifecycle", entity) in _COMMITTABLE:
                self.store.fire("resource_lifecycle", entity, "source_deleted")
            if gone and self.store.state("resource_lifecycle", entity) == "orphaned":
                self.store.fire("resource_lifecycle", entity, "prune")
        outcome.applied["deleted"] = list(pruned)
        self._step(sync_id, "prune", {"deleted": list(pruned)})

        self._wait_ready(fabric, objects)
        self._step(sync_id, "wait_ready", {})

        # NetBox first (the transition's journal entry, then the status fields), the store last: a
        # run killed before the store has it is still syncing and is resumed, where the other order
        # reported in_sync while NetBox named the previous commit
        head = commit or self.gitops.last_change(f"{self.prefix}/{fabric}")
        self._journal(site_id, f"fabric_sync {fabric}", ("syncing", "in_sync", "sync_succeeded"))
        self._write_status(
            fabric, site_id, {"hh_sync_status": "in_sync", "hh_last_sync_commit": head, "hh_sync_error": None}
        )
        self.store.set_value(fabric, "last_sync_commit", head)
        self.store.set_value(fabric, "last_rendered_digest", digest)
        self.store.fire("fabric_sync", fabric, "sync_succeeded")
        self._step(sync_id, "write_status", {"commit": head})
        outcome.state = "in_sync"
        return outcome

    def _resolve_alerts(self, fabric: str, up_to: int) -> None:
        """reconciliation_alert resolve (guard condition_cleared): a completed sync is the fabric back
        in_sync with both connections connected and the cluster equal to the branch, so the fabric's
        alerts raised before the run (ids up to ``up_to``) that are still open are resolved, each
        journaled; one the run raised itself (a crash it resumed) stays for the operator."""
        for alert in self.store.alerts(fabric=fabric):
            if alert.id <= up_to and alert.state in ("active", "acknowledged"):
                self.store.update_alert(alert.id, "resolve")

    # -- steps -------------------------------------------------------------------------------------
    def _test_connections(self, fabric: str, site_id: int) -> None:
        for endpoint, probe in (("git", self.gitops.head), ("kubernetes", self.cluster.probe)):
            entity = connection_key(fabric, endpoint)
            state = self.store.state("connection_status", entity)
            if state == "unknown":
                self._fire(fabric, "connection_status", entity, "configure", site_id=site_id)
            if state != "testing":  # testing: a probe a crash interrupted; this one finishes it
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

    def _check_status_field(self, fabric: str, site: Site) -> None:
        """NetBox's hh_sync_status is written by this integration only. A value that is neither the
        recorded state nor the last value this integration wrote there (NetBox may have missed
        later writes while it failed) was set by hand: HH-STATE-001, refused. The run ends there,
        and its failure writes the recorded state back to NetBox."""
        shown = _choice(site.custom_fields.get("hh_sync_status"))
        recorded = self.store.state("fabric_sync", fabric)
        last_written = self.store.get_value(fabric, NETBOX_SYNC_STATUS)
        if shown is None or last_written is None or shown in (recorded, last_written):
            return
        raise_condition(
            "transition_not_in_machine",
            machine="fabric_sync",
            entity=fabric,
            state=recorded,
            requested=shown,
            source="NetBox custom field hh_sync_status",
        )

    def _write_status(self, fabric: str, site_id: int, fields: dict[str, Any]) -> None:
        """Write status custom fields to the fabric's site, remembering the hh_sync_status written."""
        self.netbox.update_site_status(site_id, fields)
        if "hh_sync_status" in fields:
            self.store.set_value(fabric, NETBOX_SYNC_STATUS, str(fields["hh_sync_status"]))

    def _check_contracts(self, fabric: str, objects: list[dict[str, Any]]) -> None:
        """The guard render_valid: every rendered manifest validates against its Kubernetes contract
        (HH-VAL-011 otherwise; nothing is committed or applied)."""
        for obj in objects:
            violation = first_violation(self.spec_root, obj)
            if violation is not None:
                raise_condition(
                    "manifest_contract_invalid",
                    file=manifest_path(self.prefix, fabric, obj["kind"], obj["metadata"]["name"]),
                    field=violation[0],
                    reason=violation[1],
                )

    def _entity(self, fabric: str, key: str) -> str:
        kind, name = key.split("/", 1)
        return resource_key(fabric, KINDS[kind].plural, name)

    def _drift_absent(self, fabric: str, key: str) -> None:
        """resource_drift of an object in the branch but not in the cluster: desired_only."""
        absent = Observation(desired_present=True, actual_present=False, spec_equal=False)
        self._drift_observed(fabric, key, absent, most=1)

    def _drift_differs(self, fabric: str, key: str) -> None:
        """resource_drift of an object whose cluster spec differs from the branch, as apply is about to
        replace it: spec_drift until the replacement is applied and Ready (a failed apply leaves it)."""
        differs = Observation(desired_present=True, actual_present=True, spec_equal=False)
        self._drift_observed(fabric, key, differs, most=1)
        self._repairing.add(key)

    def _drift_unwanted(self, fabric: str, key: str) -> None:
        """resource_drift of a managed object in the cluster that the branch no longer has, as prune
        is about to delete it: actual_only (a refused delete leaves it so)."""
        self._drift_observed(fabric, key, Observation(desired_present=False, actual_present=True, spec_equal=False))

    def _drift_observed(self, fabric: str, key: str, seen: Observation, most: int = 3) -> None:
        """Take up to ``most`` declared resource_drift steps towards what ``seen`` shows, one at a time
        (e.g. creation_pending -> spec_drift -> actual_only), evaluating the guards on it."""
        entity = self._entity(fabric, key)
        self.store.ensure("resource_drift", entity)
        for _ in range(most):
            steps = drift_triggers(self.store.state("resource_drift", entity), seen)
            if not steps:
                break
            for trigger, dest in steps:
                self.store.fire("resource_drift", entity, trigger, dest=dest)

    def _drift_settled(self, entity: str) -> None:
        """resource_drift of an object our apply made equal to the branch and that is Ready: in_sync."""
        self.store.ensure("resource_drift", entity)
        state = self.store.state("resource_drift", entity)
        step = {"creation_pending": "create_observed", "spec_drift": "patch_applied", "unobserved": "observe"}
        if state in step:
            self.store.fire("resource_drift", entity, step[state], dest="in_sync")

    def _orphan_removed(self, fabric: str, objects: list[dict[str, Any]]) -> None:
        """The objects the target branch no longer has once this run committed (their NetBox source is
        gone): resource_lifecycle orphaned until the prune deletes them, resource_drift actual_only
        where the cluster held them. A run that fails before its prune leaves them so, not synced and
        in_sync with their file gone from the branch. Each is looked up in the cluster first: one
        deleted there by hand since the last look was withdrawn (through desired_only) before it was
        ever created again, not left in the cluster."""
        wanted = {self._entity(fabric, object_key(o)) for o in objects}
        for entity, (state, _) in self.store.entities(fabric, "resource_lifecycle").items():
            if entity in wanted or state != "orphaned":
                continue
            _, plural, name = entity.split("/", 2)
            key, drift = f"{KIND_OF_PLURAL[plural]}/{name}", self.store.state("resource_drift", entity)
            if drift not in ("in_sync", "spec_drift", "desired_only"):
                continue
            if self.cluster.get(KIND_OF_PLURAL[plural], name, retry=False) is not None:
                if drift != "desired_only":
                    self._drift_unwanted(fabric, key)
                continue
            if drift != "desired_only":  # gone from the cluster while its file was still on the branch
                self._drift_absent(fabric, key)
            self._drift_observed(fabric, key, Observation(desired_present=False, actual_present=False,
                                                          spec_equal=False))  # fmt: skip

    def _adopt(self, fabric: str, objects: list[dict[str, Any]]) -> None:
        """resource_lifecycle of the render, before anything is written: each rendered object is a
        draft until its file is on the target branch (a deleted one's name back in NetBox starts a new
        life; an orphan whose source is back is readopted, committed when its file is still on the
        target branch); each managed object NetBox no longer has is an orphan (a draft is discarded),
        whether or not this run gets to write the branch."""
        wanted: set[str] = set()
        branch: set[str] | None = None  # the target branch's files, read only when an orphan comes back
        for obj in objects:
            entity = resource_key(fabric, KINDS[obj["kind"]].plural, obj["metadata"]["name"])
            wanted.add(entity)
            if self.store.renew("resource_lifecycle", entity) != "orphaned":
                continue
            if branch is None:
                branch = set(self.gitops.files_at(self.gitops.head(), f"{self.prefix}/{fabric}"))
            present = manifest_path(self.prefix, fabric, obj["kind"], obj["metadata"]["name"]) in branch
            self.store.fire("resource_lifecycle", entity, "readopt" if present else "readopt_after_prune")
        for entity, (state, _) in self.store.entities(fabric, "resource_lifecycle").items():
            if entity in wanted:
                continue
            if state in _COMMITTABLE:
                self.store.fire("resource_lifecycle", entity, "source_deleted")
            elif state == "draft":
                self.store.fire("resource_lifecycle", entity, "discard")

    def _committed(self, fabric: str, objects: list[dict[str, Any]], files: dict[str, bytes]) -> None:
        """The target branch holds the render now: ``commit`` each object whose file is new there
        (a draft) or another revision than the one last committed, and nothing else (an unchanged
        file is not a commit). The blobs committed are kept (kv), so a run killed after its Git
        write and resumed still commits what that write changed."""
        recorded = json.loads(self.store.get_value(fabric, COMMITTED_BLOBS) or "{}")
        blobs = {path: git_blob_sha(content) for path, content in files.items()}
        for obj in objects:
            entity = resource_key(fabric, KINDS[obj["kind"]].plural, obj["metadata"]["name"])
            path = manifest_path(self.prefix, fabric, obj["kind"], obj["metadata"]["name"])
            state = self.store.state("resource_lifecycle", entity)
            if state == "draft" or (state in _COMMITTABLE and recorded.get(path) != blobs[path]):
                self.store.fire("resource_lifecycle", entity, "commit")
        self.store.set_value(fabric, COMMITTED_BLOBS, json.dumps(blobs, sort_keys=True))

    def _applied(self, fabric: str, key: str, *, changed: bool) -> None:
        """resource_lifecycle of an object the apply went over: a committed one was applied; a synced
        or drifted one the apply had to create or patch again (drift repair) was re-applied; one in
        the cluster as committed is left as it is (pending waits for Ready, drifted for
        :meth:`_wait_ready` to see it Ready again)."""
        entity = self._entity(fabric, key)
        state = self.store.state("resource_lifecycle", entity)
        if state == "committed":
            self.store.fire("resource_lifecycle", entity, "apply")
        elif changed and state in ("synced", "drifted"):
            self.store.fire("resource_lifecycle", entity, "reapply")

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
        still_open = self._follow_recorded_pull_request(fabric, site_id)
        target_files = self.gitops.files_at(self.gitops.head(), prefix)
        if {p: git_blob_sha(c) for p, c in files.items()} == target_files:
            if still_open is not None:  # the intent was reverted: what it proposes is not wanted
                self.gitops.close_pull_request(still_open)
                entity = pull_request_key(fabric, still_open)
                self._fire(fabric, "pull_request", entity, "close", code="HH-GIT-010", site_id=site_id)
            return None  # the target branch already holds this render (e.g. the run after a merge)
        result = self.gitops.commit_files(prefix, files, message, branch=branch, base_branch=self.gitops.ref.branch)
        self._step(sync_id, "update_ref", {"commit": result.commit_sha, "branch": branch}, digest)
        pr = self.gitops.open_pull_request(branch, message, f"Rendered from NetBox.\n\nDigest: {digest}")
        number = int(pr["number"])
        entity = pull_request_key(fabric, number)
        pr_state = self.store.state("pull_request", entity)
        if pr_state == "none":
            self._fire(fabric, "pull_request", entity, "create", site_id=site_id)
        elif result.commit_sha is not None and pr_state in _PR_HEAD_MOVES:
            self._fire(fabric, "pull_request", entity, "head_updated", site_id=site_id)
        self.store.set_value(fabric, "pull_request", str(number))
        self.store.set_value(fabric, "pull_request_head", str(pr["head"]["sha"]))
        self.store.set_value(fabric, "pull_request_base", str(pr["base"]["sha"]))
        self._fire(fabric, "fabric_sync", fabric, "pr_opened", site_id=site_id)
        self._write_status(fabric, site_id, {"hh_sync_status": "awaiting_merge", "hh_pull_request": number})
        self._step(sync_id, "open_pull_request", {"number": number})
        outcome.pull_request = number
        # GitHub may already know the mergeability and checks (or auto-merge may merge right away)
        if not self._pull_request_settled(fabric, site_id, outcome):
            return result.commit_sha
        return None  # merged: the target branch now holds the render; the run goes on to apply

    def _pull_request_settled(self, fabric: str, site_id: int, outcome: SyncOutcome) -> bool:
        """Advance the sync pull request; True when it was merged (the fabric goes back to syncing),
        False when the run ends here (still awaiting the merge, or closed without merge)."""
        merged = self._check_pull_request(fabric, site_id)
        if merged is None:
            outcome.state = "awaiting_merge"
            return False
        if not merged:
            self._fire(fabric, "fabric_sync", fabric, "pr_closed", code="HH-GIT-010", site_id=site_id)
            error = condition_error(
                "pull_request_closed_unmerged", pull_request=self.store.get_value(fabric, "pull_request")
            )
            self.store.raise_alert(fabric, error.code, self.store.catalog.entry(error.code).alert_severity or "warning",
                                   error.message)  # fmt: skip
            log.warning("%s", error.message)
            self._write_status(fabric, site_id, {"hh_sync_status": "out_of_sync", "hh_sync_error": error.code})
            outcome.state, outcome.code = "out_of_sync", error.code
            return False
        self._fire(fabric, "fabric_sync", fabric, "pr_merged", site_id=site_id)
        return True

    def _check_pull_request(self, fabric: str, site_id: int) -> bool | None:
        """Take the sync pull request through its machine as far as GitHub's answers allow: True
        merged, False closed unmerged, None still open. A conflict (HH-GIT-009), a failed required
        check (HH-GIT-011) or a refused merge (HH-GIT-008) raises; the failure takes its transitions."""
        number = int(self.store.get_value(fabric, "pull_request") or 0)
        entity = pull_request_key(fabric, number)
        pr = self.gitops.get_pull_request(number)
        state = self.store.state("pull_request", entity)
        if state == "conflicted" and pr.get("state") == "open":
            self._rebase_pull_request(fabric, pr)
            self._fire(fabric, "pull_request", entity, "rebase", site_id=site_id)
            pr, state = self.gitops.get_pull_request(number), "open"
            self.store.set_value(fabric, "pull_request_head", str(pr["head"]["sha"]))  # its own new head
        ended = self._pull_request_ended(fabric, entity, pr, state, site_id)
        if ended is not None:
            return ended
        head, base = str(pr["head"]["sha"]), str(pr["base"]["sha"])
        if state in _PR_HEAD_MOVES and head != self.store.get_value(fabric, "pull_request_head"):
            state = self._fire(fabric, "pull_request", entity, "head_updated", site_id=site_id)
        elif state in _PR_CHECKED and base != (self.store.get_value(fabric, "pull_request_base") or base):
            state = self._fire(fabric, "pull_request", entity, "base_updated", site_id=site_id)
        self.store.set_value(fabric, "pull_request_head", head)
        self.store.set_value(fabric, "pull_request_base", base)
        if state == "open":
            if pr.get("mergeable") is None:
                return None  # GitHub is still computing it
            if pr.get("mergeable") is False:
                raise_condition(
                    "pull_request_conflicted", pull_request=number, mergeable_state=pr.get("mergeable_state")
                )
            state = self._fire(
                fabric, "pull_request", entity, "mergeability_known", dest="checks_pending", site_id=site_id
            )
        if state == "checks_pending":
            checks = self.gitops.check_states(head, self.required_checks)
            failed = sorted(c for c, s in checks.items() if s in ("failure", "error"))
            if failed:
                raise_condition("required_status_failed", pull_request=number, checks=", ".join(failed))
            if any(s not in ("success",) for s in checks.values()):
                return None  # pending, or a required check not reported yet
            state = self._fire(fabric, "pull_request", entity, "checks_passed", site_id=site_id)
        if state == "mergeable" and self.auto_merge:
            self.gitops.merge_pull_request(number, head)
            self._fire(fabric, "pull_request", entity, "merge", site_id=site_id)
            return True
        return None

    def _pull_request_ended(
        self, fabric: str, entity: str, pr: dict[str, Any], state: str, site_id: int
    ) -> bool | None:
        """Record what GitHub says became of the pull request (each fact once): True merged, False
        closed without merge, None still open."""
        if pr.get("merged"):
            if state == "conflicted":  # resolved by hand: its head was updated, then merged
                self._fire(fabric, "pull_request", entity, "rebase", site_id=site_id)
            if self.store.state("pull_request", entity) not in ("merged", "closed"):
                self._fire(fabric, "pull_request", entity, "merged_externally", site_id=site_id)
            return True
        if pr.get("state") == "closed":
            if state not in ("merged", "closed"):
                self._fire(fabric, "pull_request", entity, "close", code="HH-GIT-010", site_id=site_id)
            return False
        return None

    def _follow_recorded_pull_request(self, fabric: str, site_id: int) -> int | None:
        """A run that starts while the fabric's last sync pull request is still open in the store
        (its run failed, say on a required check or a conflict) first records what became of it on
        GitHub: merged or closed by a person meanwhile. Else the store would keep it open beside
        the new one a closed one makes the run open. Returns its number while it is still open."""
        number = self.store.get_value(fabric, "pull_request")
        if not number:
            return None
        entity = pull_request_key(fabric, int(number))
        state = self.store.state("pull_request", entity)
        if state in ("none", "merged", "closed"):
            return None
        pr = self.gitops.get_pull_request(int(number))
        return int(number) if self._pull_request_ended(fabric, entity, pr, state, site_id) is None else None

    def _rebase_pull_request(self, fabric: str, pr: dict[str, Any]) -> None:
        """Rebuild the sync branch's change on the target branch head (HH-GIT-009's remedy)."""
        prefix = f"{self.prefix}/{fabric}"
        files = self.gitops.read_files(str(pr["head"]["sha"]), prefix)
        branch = str(pr["head"]["ref"])
        message = f"Sync fabric {fabric} from NetBox (rebased onto {self.gitops.ref.branch})"
        result = self.gitops.commit_files(
            prefix, files, message, branch=branch, base_branch=self.gitops.ref.branch, rebase=True
        )
        log.info("rebased %s onto %s: %s", branch, self.gitops.ref.branch, result.commit_sha)

    def _wait_ready(self, fabric: str, objects: list[dict[str, Any]]) -> None:
        """Wait until every object reports Ready=True: list each kind, then watch the kinds that have
        objects still waiting from the list's resourceVersion (no polling). An expired watch (410,
        HH-K8S-007) re-lists and watches again under its retry policy; objects still waiting at the
        deadline are HH-K8S-005."""
        wanted = {object_key(o) for o in objects}
        deadline = self.clock() + self.ready_timeout_s

        def observe(key: str, state: str, states: dict[str, str]) -> None:
            states[key] = state
            if state == "live":
                entity = self._entity(fabric, key)
                lifecycle = self.store.state("resource_lifecycle", entity)
                if lifecycle == "pending":
                    self.store.fire("resource_lifecycle", entity, "became_ready")
                elif lifecycle == "drifted":  # the apply found it as committed: the change was undone
                    self.store.fire("resource_lifecycle", entity, "drift_reverted")
                self._drift_settled(entity)

        def unit() -> list[str]:
            states = dict.fromkeys(wanted, "missing")
            versions: dict[str, str] = {}
            for kind in sorted({key.split("/", 1)[0] for key in wanted}):
                items, versions[kind] = self.cluster.list_kind(kind, fabric)
                for item in items:
                    if object_key(item) in wanted:
                        observe(object_key(item), ready_state(item), states)
            for kind, since in versions.items():
                waiting = {k for k, s in states.items() if s != "live" and k.split("/", 1)[0] == kind}
                remaining = deadline - self.clock()
                if not waiting or remaining <= 0:
                    continue
                for obj in self.cluster.watch(kind, fabric, since, remaining):
                    if object_key(obj) in waiting:
                        observe(object_key(obj), ready_state(obj), states)
                        if states[object_key(obj)] == "live":
                            waiting.discard(object_key(obj))
                    if not waiting or self.clock() >= deadline:
                        break
            return sorted(k for k, s in states.items() if s != "live")

        waiting: list[str] = self.cluster.retrying(unit)
        if not waiting:
            return
        for key in waiting:
            entity = self._entity(fabric, key)
            if self.store.state("resource_lifecycle", entity) == "pending":
                self.store.fire("resource_lifecycle", entity, "ready_timeout", code="HH-K8S-005")
        raise_condition("ready_timeout", objects=", ".join(waiting[:5]), waiting=len(waiting))

    def _fail(self, fabric: str, sync_id: str, site_id: int | None, error: IntegrationError) -> None:
        """End the run as the catalog entry of ``error.code`` says: take each of its transitions that
        applies from the current states, raise its alert, write the status to NetBox. A failure while
        reporting is logged with its own code and does not hide the original one."""
        log.error("sync of %s failed: %s", fabric, error.message)
        self.store.finish_sync(sync_id, error.code)
        catalog = self.store.catalog
        entry = catalog.entry(error.code) if catalog.has(error.code) else None
        for effect in entry.transitions if entry else ():
            if effect.machine == "resource_drift" and effect.trigger == "create_rejected":
                for key in self._failed_objects(fabric, error, absent_only=True):
                    self._drift_absent(fabric, key)
            for entity in self._entities(fabric, effect.machine, entry.boundary if entry else "", error):
                state = self.store.state(effect.machine, entity)
                if self.store.registry.allowed(effect.machine, state, effect.trigger, effect.to) is None:
                    continue  # e.g. connection_lost applies only to a connection that was connected
                self.store.fire(effect.machine, entity, effect.trigger, code=error.code, dest=effect.to)
        self._unrepaired(fabric, error)
        if entry is not None and any(t.machine == "pull_request" and t.to == "conflicted" for t in entry.transitions):
            self._observe_base(fabric)
        if entry is not None and entry.alert_severity:
            self.store.raise_alert(fabric, error.code, entry.alert_severity, error.message)
        if site_id is None:
            return
        try:
            self._write_status(
                fabric,
                site_id,
                {"hh_sync_status": self.store.state("fabric_sync", fabric), "hh_sync_error": error.code},
            )
            self.netbox.journal("dcim.site", site_id, "danger", error.message)
        except IntegrationError as report_error:
            log.error("could not write the failure of %s to NetBox: %s", fabric, report_error.message)

    def _unrepaired(self, fabric: str, error: IntegrationError) -> None:
        """A failed run that had seen a synced object differ from the branch (its apply about to patch
        it), or the object it failed on missing from the cluster, leaves it drifted (HH-SYNC-002,
        HH-SYNC-003), not synced: the cluster does not hold what was committed. Taken after the
        catalog's transitions (an apply_failed has already made such an object committed)."""
        found = {key: "HH-SYNC-002" for key in self._repairing}
        if "object" in error.details and error.details.get("absent"):
            found.setdefault(str(error.details["object"]), "HH-SYNC-003")
        for key, code in sorted(found.items()):
            if key.split("/", 1)[0] not in KINDS:
                continue
            entity = self._entity(fabric, key)
            if self.store.state("resource_lifecycle", entity) == "synced":
                self.store.fire("resource_lifecycle", entity, "drift_detected", code=code)

    def _observe_base(self, fabric: str) -> None:
        """The target branch moved under the sync (HH-GIT-009): compare its head with the cluster
        again, so resource_drift says what someone else's commit made of each object."""
        prefix = f"{self.prefix}/{fabric}"
        try:
            head = self.gitops.read_files(self.gitops.head(), prefix)
            live = self.cluster.list_managed(fabric)
            drifts, observations = compare(head, head, None, live)
            record_observations(self.store, fabric, drifts, observations)
        except Exception as error:  # noqa: BLE001 - reported while failing: must not replace the failure
            log.warning("could not compare the moved target branch with the cluster: %s", error)

    def _failed_objects(self, fabric: str, error: IntegrationError, *, absent_only: bool = False) -> list[str]:
        """``Kind/name`` of the rendered objects a failure names: the object the cluster refused, or
        every object of the kinds it does not serve. ``absent_only``: only those not in the cluster."""
        if "object" in error.details:
            absent = bool(error.details.get("absent"))
            return [str(error.details["object"])] if absent or not absent_only else []
        kinds = set(error.details.get("kinds") or ())
        return [object_key(o) for o in self._rendered if o["kind"] in kinds]

    def _entities(self, fabric: str, machine: str, boundary: str, error: IntegrationError) -> list[str]:
        """The entities of ``machine`` a failure at ``boundary`` concerns."""
        if machine == "fabric_sync":
            return [fabric]
        if machine == "connection_status":
            endpoint = {"github": "git", "kubernetes": "kubernetes"}.get(boundary)
            return [connection_key(fabric, endpoint)] if endpoint else []
        if machine == "pull_request":
            number = self.store.get_value(fabric, "pull_request")
            return [pull_request_key(fabric, int(number))] if number else []
        if machine == "resource_drift":
            return [self._entity(fabric, k) for k in self._failed_objects(fabric, error, absent_only=True)]
        if machine == "resource_lifecycle":
            return [self._entity(fabric, k) for k in self._failed_objects(fabric, error)]
        return []
