"""Model-based tests of the world (``state_machines::world``): a Hypothesis state machine whose rules
are actions on the real systems and on the implementation (through its adapter), checked after
every step against a small model of intent, Git and cluster content and against the invariants the
reported states declare after each step of the implementation, evaluated on NetBox, Git and the
cluster (:mod:`harness.world.invariants`).

Rules: change the NetBox intent (a connection's MTU), remove a server's connection from NetBox (its
cable) and put it back, put the fabric into maintenance and out (the operator's hh_fabric_status),
edit a managed object in the cluster, put an edited one back as committed, delete one, create a
deleted one again (as committed or edited), edit or delete the removable server's Connection (its
cable still in NetBox), add a labelled object NetBox does not have, run a sync, run a sync with a
catalog fault armed at a proxy (an HTTP status the catalog does not retry), run a drift check, and
an operator's acknowledge or suppress of a listed alert (the adapter's ``alert`` action).
The model predicts:

- a sync in maintenance fails and changes neither fabric_sync nor the branch, and fabric_status
  is ``maintenance``; otherwise a sync finishes with fabric_sync ``in_sync``; the branch got one
  commit if the intent changed since the last sync and none otherwise; the cluster then holds
  exactly the committed objects, spec for spec, and nothing is left queued;
- a drift check reports fabric_sync ``out_of_sync`` when the intent or the cluster changed since
  the last sync and ``in_sync`` otherwise, and the edited object's drift state (``spec_drift``,
  ``desired_only``, ``actual_only``; ``in_sync`` once put back);
- after a sync that saw the connection removed, its Connection's lifecycle is ``deleted`` (and its
  invariants, absent from the branch and the cluster, are evaluated); after one that saw it back,
  ``synced`` again (a new lifecycle: the spec makes ``deleted`` final);
- a faulted sync that called the armed operation fails as its catalog entry says (the code
  surfaced, its transitions, its alert; the fault items' checks) and, until a sync completes, a
  drift check leaves fabric_sync in ``error``; one that never called it is an ordinary sync;
- an acknowledged or suppressed alert is listed in that state;
- after a sync that committed, the target branch holds the render of NetBox's intent as the mapping
  contracts' invariants say (:mod:`harness.world.mapping`).

Every change of a reported state between two steps that the spec declares is recorded as that
transition taken (``state_machines/<m>.yaml::<source>-><dest>``); an undeclared one is a failure.
Each example starts from a clean sync of the world and ends with the operator's changes undone and
a sync the model checks (``teardown``); the budget is ``--harness-max-examples`` (default 3
examples of at most 10 steps: every step is real work on real systems). Hypothesis tries the
simplest example first (every draw zero: the first rule, again and again), so the budget must leave
room for drawn ones; the end-of-example sync means even that one checks a sync.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, settings, target
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import (
    RULE_MARKER,
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from harness.adapter import NotProvided
from harness.generate.faults import FaultCase, fault_cases, machine_files, transition_element
from harness.generate.property import search_phases
from harness.report.events import Recorder
from harness.spec.models import SpecSet
from harness.suites.live_faults import Executor
from harness.world.bad_input import change_intent
from harness.world.guards import CommitRevisions
from harness.world.history import History, Key, Machines, changes_between, check_changes, observed_states
from harness.world.invariants import Systems, adapter_renderer, check_invariants
from harness.world.live import World, rendered_keys
from harness.world.mapping import check_branch, mapping_context
from harness.world.process import RunResult

SWITCHES = ("wiring.githedgehog.com", "v1beta1", "default", "switches")
CONNECTIONS = ("wiring.githedgehog.com", "v1beta1", "default", "connections")
FINALIZER = "world.hh-harness.invalid/hold"
VPCS = ("vpc.githedgehog.com", "v1beta1", "default", "vpcs")
PLURALS = {"Switch": SWITCHES[3], "Connection": CONNECTIONS[3], "VPC": VPCS[3]}
FOREIGN = "leaf-foreign-01"
REMOVABLE = "server-07"  # its one unbundled cable: a Connection (and vpc-2's attachment) of its own
OPERATOR = "world-operator"
DEFAULT_EXAMPLES, STEPS = 3, 10


@dataclass
class Model:
    """What the world must look like, as far as the rules changed it."""

    mtu_flipped: bool = False  # server-01's connection MTU, flipped an odd number of times
    edited: set[str] = field(default_factory=set)  # Kind/name edited in the cluster
    reverted: set[str] = field(default_factory=set)  # edited, then put back as committed, since the last sync
    deleted: set[str] = field(default_factory=set)
    foreign: set[str] = field(default_factory=set)
    maintenance: bool = False
    removed: list[dict[str, Any]] = field(default_factory=list)  # the cables taken out of NetBox
    connection: str = ""  # the removable connection's name (hh_connection of its cable)
    readded: bool = False  # put back since the last sync
    synced_intent: tuple[bool, bool] = (False, False)  # the intent the last sync saw
    # a sync failed under a fault: Git and the cluster may hold part of its work, so until a sync
    # completes the model predicts fabric_sync only (error) and no commit count
    uncertain: bool = False
    refused: frozenset[str] = frozenset()  # what the failed sync's fault kept NetBox from recording
    out_of_sync_seen: bool = False  # a drift check reported it; only a sync leaves out_of_sync
    unseen: set[str] = field(default_factory=set)  # <plural>/<name> changed in the cluster since it last looked
    held: str = ""  # Connection/<name> a finalizer of ours holds in the cluster
    pruned: bool = False  # the removable Connection: its cable removed and a sync deleted the object
    terminating: bool = False  # and a sync since deleted it: it stays, terminating, until released

    @property
    def intent(self) -> tuple[bool, bool]:
        """The NetBox intent as far as the rules change it: two flips of the MTU, or a cable removed
        and put back, are the intent the last sync saw again (no commit, no drift)."""
        return self.mtu_flipped, bool(self.removed)

    @property
    def intent_changed(self) -> bool:
        return self.intent != self.synced_intent

    @property
    def cluster_changed(self) -> bool:
        return bool(self.edited or self.deleted or self.foreign)

    def changed_by_hand(self, key: str, now: str) -> None:
        """``key`` (``Kind/name``) changed in the cluster by hand: ``now`` one of ``edited``,
        ``reverted`` (as committed again), ``deleted`` or ``foreign``; unseen until the
        implementation next looks."""
        for group in (self.edited, self.reverted, self.deleted):
            group.discard(key)
        getattr(self, now).add(key)
        kind, name = key.split("/", 1)
        self.unseen.add(f"{PLURALS[kind]}/{name}")

    def synced(self) -> None:
        self.synced_intent = self.intent
        self.uncertain = False
        self.refused = frozenset()
        self.out_of_sync_seen = False
        self.unseen.clear()
        self.edited.clear()
        self.reverted.clear()
        self.deleted.clear()
        self.foreign.clear()


def world_machine(world: World, specs: SpecSet, recorder: Recorder, *, root: Path, crds_dir: Path,
                  tmp: Path) -> type[RuleBasedStateMachine]:  # fmt: skip
    files = machine_files(specs, root)
    executor = Executor(world, specs, crds_dir, tmp, recorder=recorder, files=files)
    examples: list[Any] = []  # the machine of the latest example
    steps = StepChanges(world, specs, recorder, files)
    ctx = executor.ctx
    faults = {c.code: c for c in world_faults(specs, root)}
    fabric_key = ("fabric_sync", world.fabric.site_slug)
    mapping = mapping_context(specs, crds_dir, root)
    branch_prefix = f"fabrics/{world.fabric.site_slug}"

    class WorldMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            examples.append(self)
            del examples[:-1]  # the latest example: after a failure, the shrunk one Hypothesis replayed last
            self.steps: list[dict[str, Any]] = []  # the rules taken, with their picks (a WorldRun's steps)
            self.tearing_down = False
            self.replaying: dict[str, Any] | None = None  # the picks of a saved step being replayed
            self.model = Model()
            self.problems: list[str] = []
            self.before: dict[tuple[str, str], str] = {}
            self.seen: Mapping[str, Any] = {}
            self.alert_action = True  # until the adapter says it has none
            self.taken: set[tuple[str, str, str]] = set()  # the declared edges this example took
            self.switches: list[str] = []  # the fabric's switches after the example's clean sync
            self.vpcs: list[str] = []  # and its VPCs
            self.originals: dict[str, Any] = {}  # switch name -> its spec.description before the first edit
            self.removed_objects: dict[str, dict[str, Any]] = {}  # switch name -> the object as deleted
            self.connection = ""  # Connection/<name> of the removable server's cable, in the clean sync's cluster
            self.connection_object: dict[str, Any] = {}  # and that object, as the clean sync left it
            self.revisions = CommitRevisions(world.fabric.site_slug, {})  # set from the branch by the clean sync

        # -- the start of every example: a clean sync -------------------------------------------
        @initialize()
        def clean_sync(self) -> None:
            steps.history.skip()  # what the world went through before this suite
            self.before = observed_states(world.observe())
            result = world.act("sync")
            assert result.returncode == 0, f"the clean sync an example starts from failed: {result.stderr[-500:]}"
            self.model.synced()
            self.seen = world.observe()
            self._transitions(self.seen, step="clean_sync", through="syncing", source=self.before.get(fabric_key))
            self.revisions = CommitRevisions(world.fabric.site_slug, world.repo_files(prefix=branch_prefix))
            cluster = world.cluster_objects()
            self.switches = sorted(k.split("/", 1)[1] for k in cluster
                                   if k.startswith("Switch/") and k != f"Switch/{FOREIGN}")  # fmt: skip
            self.vpcs = sorted(k.split("/", 1)[1] for k in cluster if k.startswith("VPC/"))
            self.connection = next((k for k in cluster if k.startswith(f"Connection/{REMOVABLE}--")), "")
            self.connection_object = cluster.get(self.connection, {})
            assert not self.problems, "\n".join(self.problems)

        # -- actions on the systems ---------------------------------------------------------------
        @rule()
        @_logged
        def change_netbox_intent(self) -> None:
            change_intent(ctx)
            self.model.mtu_flipped = not self.model.mtu_flipped

        @precondition(lambda self: not self.model.removed)
        @rule()
        @_logged
        def remove_server_connection(self) -> None:
            api = world.netbox_api
            cables = [c for c in api.list_all("dcim.cables", site_id=world.fabric.site_id)
                      if str(c["custom_fields"].get("hh_connection") or "").startswith(f"{REMOVABLE}--")]  # fmt: skip
            assert cables, f"the world has no cable of {REMOVABLE} to remove"
            self.model.connection = str(cables[0]["custom_fields"]["hh_connection"])
            for cable in cables:  # one by one: a failed delete leaves the model knowing what to put back
                api.delete("dcim.cables", int(cable["id"]))
                self.model.removed.append(_cable_body(cable))

        @precondition(lambda self: bool(self.model.removed) and not self.model.terminating)
        @rule()
        @_logged
        def restore_server_connection(self) -> None:
            for body in self.model.removed:
                world.netbox_api.create("dcim.cables", body)
            self.model.removed = []
            self.model.readded = True
            self.model.pruned = False

        # the Connection in the cluster: its cable neither removed nor put back since the last sync
        @precondition(lambda self: self._connection_at_rest())
        @rule()
        @_logged
        def hold_connection(self) -> None:
            """A finalizer of someone else's (a controller's) on the removable server's Connection:
            a delete of it is accepted, and the object stays, terminating, until it is released."""
            name = next((k for k in world.cluster_objects() if k.startswith(f"Connection/{REMOVABLE}--")), None)
            assert name, f"the cluster has no Connection of {REMOVABLE} to hold"
            hold = {"metadata": {"finalizers": [FINALIZER]}}
            world.custom_objects().patch_namespaced_custom_object(*CONNECTIONS, name.split("/", 1)[1], hold)
            self.model.held = name

        @precondition(lambda self: bool(self.model.held))
        @rule()
        @_logged
        def release_connection(self) -> None:
            """The finalizer removed: a terminating object goes."""
            objects = world.custom_objects()
            name = self.model.held.split("/", 1)[1]
            objects.patch_namespaced_custom_object(*CONNECTIONS, name, {"metadata": {"finalizers": None}})
            # a terminating object, its delete accepted by a sync, is gone now: pruned as by that sync
            self.model.pruned = self.model.pruned or self.model.terminating
            self.model.held, self.model.terminating = "", False

        @precondition(lambda self: not self.model.maintenance)
        @rule()
        @_logged
        def start_maintenance(self) -> None:
            world.set_fabric_status("maintenance")
            self.model.maintenance = True

        @precondition(lambda self: self.model.maintenance)
        @rule()
        @_logged
        def end_maintenance(self) -> None:
            world.set_fabric_status("active")
            self.model.maintenance = False

        @precondition(lambda self: bool(self._switches()))
        @rule(data=st.data())
        @_logged
        def edit_managed_object(self, data: st.DataObject | None) -> None:
            name = self._pick(data, self._switches(), "switch")
            api = world.custom_objects()
            if f"Switch/{name}" not in self.model.edited:
                self.originals[name] = api.get_namespaced_custom_object(*SWITCHES, name)["spec"].get("description")
            api.patch_namespaced_custom_object(*SWITCHES, name, {"spec": {"description": "edited in the cluster"}})
            self.model.changed_by_hand(f"Switch/{name}", "edited")

        @precondition(lambda self: any(k.startswith("Switch/") for k in self.model.edited))
        @rule(data=st.data())
        @_logged
        def revert_managed_object(self, data: st.DataObject | None) -> None:
            """An edited switch put back as the branch has it (its description as before the edit;
            a merge patch's null removes a field it did not have): no drift is left to report."""
            name = self._pick(data, sorted(k.split("/", 1)[1] for k in self.model.edited if k.startswith("Switch/")),
                              "switch")  # fmt: skip
            revert = {"spec": {"description": self.originals[name]}}
            world.custom_objects().patch_namespaced_custom_object(*SWITCHES, name, revert)
            self.model.changed_by_hand(f"Switch/{name}", "reverted")

        @precondition(lambda self: bool(self._switches()))
        @rule(data=st.data())
        @_logged
        def delete_managed_object(self, data: st.DataObject | None) -> None:
            name = self._pick(data, self._switches(), "switch")
            api = world.custom_objects()
            self.removed_objects[name] = api.get_namespaced_custom_object(*SWITCHES, name)
            api.delete_namespaced_custom_object(*SWITCHES, name)
            self.model.changed_by_hand(f"Switch/{name}", "deleted")

        @precondition(lambda self: bool(self._vpcs()))
        @rule(data=st.data())
        @_logged
        def delete_vpc(self, data: st.DataObject | None) -> None:
            """A VPC deleted from the cluster by hand: the next sync creates it again (the one create of a
            kind whose refusal, HH-K8S-002, stops an apply half way, before the VPC attachments)."""
            name = self._pick(data, self._vpcs(), "vpc")
            world.custom_objects().delete_namespaced_custom_object(*VPCS, name)
            self.model.changed_by_hand(f"VPC/{name}", "deleted")

        @precondition(lambda self: any(k.startswith("Switch/") for k in self.model.deleted))
        @rule(data=st.data())
        @_logged
        def recreate_managed_object(self, data: st.DataObject | None) -> None:
            """A deleted switch created again by hand: as the branch has it, or with an edit."""
            name = self._pick(data, sorted(k.split("/", 1)[1] for k in self.model.deleted if k.startswith("Switch/")),
                              "switch")  # fmt: skip
            how = self._pick(data, ["committed", "edited"], "as")
            gone = self.removed_objects[name]
            description = self.originals.get(name, gone["spec"].get("description"))
            spec = {**gone["spec"], "description": "edited in the cluster" if how == "edited" else description}
            meta = {k: v for k, v in gone["metadata"].items() if k in ("name", "labels", "annotations")}
            body = {"apiVersion": gone["apiVersion"], "kind": gone["kind"], "metadata": meta,
                    "spec": {k: v for k, v in spec.items() if v is not None}}  # fmt: skip
            world.custom_objects().create_namespaced_custom_object(*SWITCHES[:3], SWITCHES[3], body)
            if how == "edited":
                self.originals.setdefault(name, description)
            self.model.changed_by_hand(f"Switch/{name}", "edited" if how == "edited" else "reverted")

        @precondition(lambda self: self._connection_at_rest())
        @rule()
        @_logged
        def edit_connection_object(self) -> None:
            """The removable server's Connection edited in the cluster by hand (its port's MTU): drift
            spec_drift; its cable removed before a sync, the edited object is what prune meets."""
            edit = {"spec": {"unbundled": {"mtu": 1500}}}
            world.custom_objects().patch_namespaced_custom_object(*CONNECTIONS, self.connection.split("/", 1)[1], edit)
            self.model.changed_by_hand(self.connection, "edited")

        @precondition(lambda self: self._connection_at_rest())
        @rule()
        @_logged
        def delete_connection_object(self) -> None:
            """The removable server's Connection deleted from the cluster by hand (its cable still in
            NetBox): drift desired_only; its cable removed before a sync, the object is withdrawn."""
            world.custom_objects().delete_namespaced_custom_object(*CONNECTIONS, self.connection.split("/", 1)[1])
            self.model.changed_by_hand(self.connection, "deleted")

        @precondition(lambda self: self.model.pruned and bool(self.connection_object))
        @rule(data=st.data())
        @_logged
        def recreate_connection_object(self, data: st.DataObject | None) -> None:
            """The removable server's Connection, pruned with its cable, created again by hand (restored
            from a backup): as the clean sync left it, or with its port's MTU edited. Labelled as managed
            with no file on the branch, a drift check finds it actual_only; once its cable is back, the
            sync's first comparison finds it there (resource_drift unobserved -> in_sync, spec_drift)."""
            how = self._pick(data, ["committed", "edited"], "as")
            gone = self.connection_object
            spec = dict(gone["spec"])
            if how == "edited":
                spec["unbundled"] = {**spec.get("unbundled", {}), "mtu": 1500}
            meta = {k: v for k, v in gone["metadata"].items() if k in ("name", "labels", "annotations")}
            body = {"apiVersion": gone["apiVersion"], "kind": gone["kind"], "metadata": meta, "spec": spec}
            world.custom_objects().create_namespaced_custom_object(*CONNECTIONS[:3], CONNECTIONS[3], body)
            self.model.pruned = False
            self.model.changed_by_hand(self.connection, "foreign")

        @rule()
        @_logged
        def add_foreign_object(self) -> None:
            api = world.custom_objects()
            template = next(o for k, o in world.cluster_objects().items() if k.startswith("Switch/"))
            meta = {"name": FOREIGN, "labels": dict(template["metadata"].get("labels") or {})}
            if f"Switch/{FOREIGN}" not in world.cluster_objects():
                api.create_namespaced_custom_object(*SWITCHES[:3], "switches", {
                    "apiVersion": template["apiVersion"], "kind": "Switch", "metadata": meta,
                    "spec": template["spec"]})  # fmt: skip
            self.model.changed_by_hand(f"Switch/{FOREIGN}", "foreign")

        # -- actions of the implementation --------------------------------------------------------
        @rule()
        @_logged
        def sync(self) -> None:
            commits, branch = len(world.commits()), world.repo_files(prefix=branch_prefix)
            source = self.before.get(fabric_key)
            result = world.act("sync")
            seen = world.observe()
            if self.model.maintenance:
                self._refused_in_maintenance(result.returncode, seen, source, len(world.commits()) - commits)
                return
            self._completed(result, seen, commits, source, branch)

        # not while a failed sync's alert is open: the same code again would find it, no evidence
        @precondition(lambda self: not self.model.maintenance and not self.model.uncertain and bool(faults))
        @rule(data=st.data())
        @_logged
        def sync_with_fault(self, data: st.DataObject | None) -> None:
            """A sync with a catalog fault armed at its boundary's proxy, the recipe's operation
            refused every time: the run must fail as the catalog entry says (the code surfaced, its
            transitions, its alert) and the invariants of what it then reports hold, from whatever
            state the world's earlier steps left. A sync that never calls the operation in this
            world (nothing to prune, no commit to make) is an ordinary sync, checked as one."""
            case = faults[self._pick(data, sorted(faults), "fault")]
            commits, source, before = len(world.commits()), self.before.get(fabric_key), self.seen
            branch = world.repo_files(prefix=branch_prefix)
            result, fired = sync_refused(world, case.entry.boundary, case.entry.inject, case.code)
            if not fired:
                self._completed(result, world.observe(), commits, source, branch)
                return
            problems, edges = executor.failure(case, result, before, unseen=frozenset(self.model.unseen))
            seen = world.observe()
            for machine, src, dest in edges:  # the edges the catalog entry's transitions took
                self.taken.add((machine, src, dest))
                recorder.record(transition_element(files, machine, src, dest), "transition", "pass",
                                f"world step: sync with {case.code}")  # fmt: skip
            self._transitions(seen, step=f"sync with {case.code}", through="syncing")  # fabric_sync: judged
            self._revisions(branch, world.repo_files(prefix=branch_prefix), step=f"sync with {case.code}")
            self.model.uncertain = True
            self.model.deleted -= set(world.cluster_objects())  # created again before the run stopped
            operation = str(case.entry.inject.get("operation", ""))
            self.model.refused = frozenset([operation]) if operation else frozenset()
            self.seen = seen
            self.problems += problems
            assert not self.problems, "\n".join(self.problems)

        def _completed(self, result: RunResult, seen: Mapping[str, Any], commits: int, source: str | None,
                       branch: Mapping[str, bytes]) -> None:  # fmt: skip
            """What the model predicts of a sync that ran to its end (``branch``: the fabric's files on the
            target branch before it)."""
            self._transitions(seen, step="sync", through="syncing", source=source)
            if result.returncode != 0:
                self.problems.append(f"sync exited {result.returncode}: {result.stderr[-400:]}")
            state = (seen.get("fabric") or {}).get("fabric_sync", {}).get("state")
            if state != "in_sync":
                self.problems.append(f"after a sync fabric_sync is {state!r}, the model says in_sync")
            status = (seen.get("fabric") or {}).get("fabric_status", {}).get("state")
            if status != "active":
                self.problems.append(f"after a completed sync fabric_status is {status!r}, the model says active")
            new = len(world.commits()) - commits
            if not self.model.uncertain and new != (1 if self.model.intent_changed else 0):
                self.problems.append(f"the sync made {new} commit(s); the intent "
                                     f"{'changed' if self.model.intent_changed else 'did not change'}")  # fmt: skip
            systems = Systems.of(world, specs, seen, intent_seen=result.returncode == 0)
            self._revisions(branch, systems.files, step="sync")
            renderer = adapter_renderer(world)
            if result.returncode == 0 and new and renderer is not None:  # a new render landed: check it
                self.problems += check_branch(systems, mapping, renderer, recorder, step="a sync that committed")
            committed, cluster = rendered_keys(world.repo_files()), set(systems.cluster)
            if self.model.held and self.model.removed:  # its delete accepted, the finalizer holds it
                self.model.terminating = True
                committed.add(self.model.held)
            if committed != cluster:
                self.problems.append(f"after a sync the cluster is not the branch: {sorted(committed ^ cluster)[:4]}")
            if seen.get("open_syncs"):
                self.problems.append(f"syncs left queued after a sync: {seen['open_syncs']}")
            self._connection_after_sync(seen)
            self.model.synced()
            self._checked(seen, intent_seen=result.returncode == 0, systems=systems)

        @rule()
        @_logged
        def drift_check(self) -> None:
            result = world.act("drift")
            seen = world.observe()
            self._transitions(seen, step="drift_check")
            if result.returncode != 0:
                self.problems.append(f"drift exited {result.returncode}: {result.stderr[-400:]}")
            changed = (self.model.intent_changed or self.model.cluster_changed or self.model.out_of_sync_seen
                       or self.model.terminating)  # fmt: skip
            want = "out_of_sync" if changed else "in_sync"
            if self.model.uncertain:  # drift is measured against a completed sync (none since the failure)
                want = "error"
            state = (seen.get("fabric") or {}).get("fabric_sync", {}).get("state")
            if state != want:
                self.problems.append(f"after a drift check fabric_sync is {state!r}, the model says {want!r} "
                                     f"({self.model})")  # fmt: skip
            self.model.out_of_sync_seen = state == "out_of_sync"
            self.model.unseen.clear()  # it compared the cluster with the branch
            drift = {f"{r['plural']}/{r['name']}": (r.get("drift") or {}).get("state")
                     for r in seen.get("resources", [])}  # fmt: skip
            expected: dict[str, str] = {}
            if not self.model.uncertain:  # measured against a completed sync (none since the failure)
                expected |= {k: "spec_drift" for k in self.model.edited}
                expected |= {k: "in_sync" for k in self.model.reverted}
                expected |= {k: "desired_only" for k in self.model.deleted}
                expected |= {k: "actual_only" for k in self.model.foreign}
            if self.model.terminating:  # its delete accepted, still there: pending, not actual_only
                expected[self.model.held] = "deletion_pending"
            for key, want_drift in expected.items():
                kind, name = key.split("/", 1)
                got = drift.get(f"{PLURALS[kind]}/{name}")
                if got != want_drift:
                    self.problems.append(f"{key}: drift state {got!r}, the model says {want_drift!r}")
            self.model.reverted.clear()  # seen as committed again: an ordinary object
            self._checked(seen)

        @precondition(lambda self: self.alert_action and bool(self._open_alerts()))
        @rule(data=st.data())
        @_logged
        def operator_changes_alert(self, data: st.DataObject | None) -> None:
            alert = self._pick(data, self._open_alerts(), "alert", name=lambda a: a.get("code"))
            change = self._pick(data, ["acknowledge", "suppress"], "change")
            if alert["state"] == "acknowledged":
                change = "suppress"
            try:
                result = world.act("alert", alert=str(alert["id"]), change=change, operator=OPERATOR,
                                   reason="planned cable work on the fabric")  # fmt: skip
            except NotProvided:
                self.alert_action = False
                return
            seen = world.observe()
            self._transitions(seen, step=f"operator {change}")
            if result.returncode != 0:
                self.problems.append(f"alert {change} exited {result.returncode}: {result.stderr[-400:]}")
            want = {"acknowledge": "acknowledged", "suppress": "suppressed"}[change]
            got = next((str(a.get("state")) for a in seen.get("alerts", []) if a.get("id") == alert["id"]), None)
            if got != want:
                self.problems.append(f"alert {alert['id']} ({alert.get('code')}) is {got!r} after {change}, "
                                     f"the model says {want!r}")  # fmt: skip
            self._checked(seen)

        def teardown(self) -> None:
            """Every example ends converged: the operator's changes undone (maintenance ended, the
            removed cable back) and a sync, whose outcome the model predicts like any other step's, so
            an example whose draws never reached a sync still checks one. Guidance: the example's
            count of declared transitions taken is Hypothesis's target. After a failed step the world
            is only put back (the next example's clean sync starts from it) and nothing is checked."""
            failed = sys.exception() is not None or bool(self.problems)
            self.tearing_down = True  # its steps are not the example's
            try:
                if self.model.maintenance:
                    self.end_maintenance()
                if self.model.held:
                    self.release_connection()
                if self.model.removed:
                    self.restore_server_connection()
            except Exception:
                if failed:
                    return  # the step's failure is the one to report
                raise
            if not failed:
                self.sync()
                if currently_in_test_context():  # not in a saved run's replay
                    target(float(len(self.taken)), label="declared transitions taken")
            elif sys.exception() is None:  # problems a step found but did not raise
                raise AssertionError("\n".join(self.problems))

        # -- after every step of the implementation ------------------------------------------------
        def _refused_in_maintenance(self, returncode: int, seen: Mapping[str, Any], source: str | None,
                                    commits: int) -> None:  # fmt: skip
            """A sync asked for in maintenance: no run starts, so nothing moves but fabric_status."""
            self._transitions(seen, step="sync in maintenance")
            fabric = seen.get("fabric") or {}
            status, sync = ((fabric.get(m) or {}).get("state") for m in ("fabric_status", "fabric_sync"))
            if returncode == 0:
                self.problems.append("a sync in maintenance exited 0: no sync run may start")
            if status != "maintenance":
                self.problems.append(f"after a sync in maintenance fabric_status is {status!r}, the model: maintenance")
            if sync != source:
                self.problems.append(f"a sync in maintenance moved fabric_sync from {source!r} to {sync!r}")
            if commits:
                self.problems.append(f"a sync in maintenance made {commits} commit(s)")
            self._checked(seen)

        def _connection_after_sync(self, seen: Mapping[str, Any]) -> None:
            """The removable connection's lifecycle after a completed sync: deleted while NetBox lacks
            its cable, synced once it is back."""
            if not self.model.connection or not (self.model.removed or self.model.readded):
                return
            name = self.model.connection
            lifecycle = next((str((r.get("lifecycle") or {}).get("state")) for r in seen.get("resources", [])
                              if r.get("plural") == "connections" and r.get("name") == name), None)  # fmt: skip
            want = ("orphaned" if self.model.terminating else "deleted") if self.model.removed else "synced"
            if lifecycle != want:
                self.problems.append(
                    f"Connection {name}: lifecycle {lifecycle!r} after a sync, the model says {want!r}"
                )
            self.model.readded = False
            self.model.pruned = want == "deleted"

        def _open_alerts(self) -> list[Mapping[str, Any]]:
            return [a for a in self.seen.get("alerts", [])
                    if a.get("id") is not None and a.get("state") in ("active", "acknowledged")]  # fmt: skip

        def _checked(self, seen: Mapping[str, Any], *, intent_seen: bool = False,
                     systems: Systems | None = None) -> None:  # fmt: skip
            """The invariants of the states it now reports, on the systems. Only after the
            implementation acted: an out-of-band change is not its to know before it looks.
            ``intent_seen``: right after a sync that completed, which read the intent NetBox holds
            (the render invariants are evaluated). ``systems``: what this step already read of them."""
            self.seen = seen
            unseen = frozenset(self.model.unseen)
            self.problems += check_invariants(world, specs, recorder, files, seen, intent_seen=intent_seen,
                                              refused=self.model.refused, unseen=unseen, systems=systems)  # fmt: skip
            assert not self.problems, "\n".join(self.problems)

        def _revisions(self, before: Mapping[str, bytes], after: Mapping[str, bytes], *, step: str) -> None:
            """resource_lifecycle's commits the step reported, against the target branch around it
            (:class:`harness.world.guards.CommitRevisions`); nothing without the implementation's report."""
            if steps.reported is not None:
                self.problems += self.revisions.check(steps.reported, before, after, step=step)

        def _pick(self, data: st.DataObject | None, options: Sequence[Any], label: str,
                  name: Callable[[Any], Any] = lambda o: o) -> Any:  # fmt: skip
            return pick(self, data, options, label, name)

        def _connection_at_rest(self) -> bool:
            """The removable server's Connection is in the cluster as the last sync left it (its cable
            neither removed nor put back, no finalizer of ours, not deleted by hand)."""
            return (
                bool(self.connection)
                and self.connection not in self.model.deleted
                and not (self.model.held or self.model.removed or self.model.readded)
            )

        def _vpcs(self) -> list[str]:
            """The fabric's VPCs the cluster holds, as far as the model knows."""
            return [n for n in self.vpcs if f"VPC/{n}" not in self.model.deleted]

        def _switches(self) -> list[str]:
            """The fabric's switches the cluster holds, as far as the model knows (none deleted since
            the last sync, which puts them back)."""
            return [n for n in self.switches if f"Switch/{n}" not in self.model.deleted]

        def _transitions(
            self, seen: Mapping[str, Any], *, step: str, through: str | None = None, source: str | None = None
        ) -> None:
            """Record the declared edges the step took and the problems of its changes (see
            :class:`StepChanges`)."""
            self.before, problems = steps.took(self.taken, self.before, seen, step=step, through=through, source=source)
            self.problems += problems

    WorldMachine.examples = examples
    return WorldMachine


class StepChanges:
    """The state changes of world steps: those the implementation reports making
    (``harness_transitions``), each checked against the machine and against the states before and
    after the step; without that report, what the ends of the step show
    (:func:`harness.world.history.changes_between`). Every declared edge is recorded as taken."""

    def __init__(self, world: World, specs: SpecSet, recorder: Recorder, files: Mapping[str, str]) -> None:
        self.world, self.recorder, self.files = world, recorder, files
        self.history, self.machines = History.of(world), Machines.of(specs)
        self.reported: Sequence[Mapping[str, Any]] | None = None  # the last step's reported changes

    def took(
        self, taken: set[tuple[str, str, str]], before: Mapping[Key, str], seen: Mapping[str, Any], *, step: str,
        through: str | None = None, source: str | None = None,
    ) -> tuple[dict[Key, str], list[str]]:  # fmt: skip
        """Add the step's declared edges to ``taken`` (and the report); return the states after it
        and the problems found."""
        after, fabric = observed_states(seen), self.world.fabric.site_slug
        reported = self.reported = self.history.read()
        if reported is not None:
            checked = check_changes(self.machines, fabric, reported, before, after)
            how = "reported by the implementation"
        else:
            checked = changes_between(self.machines, fabric, before, after, through=through, source=source)
            how = "seen at the step's ends"
        for edge in dict.fromkeys(checked.taken):
            taken.add(edge)
            element = transition_element(self.files, *edge)
            self.recorder.record(element, "transition", "pass", f"world step {step}: {how}")
        return after, checked.problems


def pick(example: Any, data: st.DataObject | None, options: Sequence[Any], label: str,
         name: Callable[[Any], Any] = lambda o: o) -> Any:  # fmt: skip
    """One of ``options`` for a step of ``example``: drawn, or in a replayed step the one its picks
    name (the first when none is named that way now); logged by its ``name`` for the step's
    WorldRun entry."""
    if example.replaying is not None or data is None:
        wanted = (example.replaying or {}).get(label)
        chosen = next((o for o in options if name(o) == wanted), options[0])
    else:
        chosen = data.draw(st.sampled_from(options), label=label)
    if example.steps:
        example.steps[-1]["picks"][label] = name(chosen)
    return chosen


def sync_refused(world: World, boundary: str, recipe: Mapping[str, Any], code: str) -> tuple[RunResult, int]:
    """A sync with ``recipe`` armed at ``boundary``'s proxy, refused every time: the run's result
    and how many calls the fault refused (0: the run never made the call). The proxy's record is
    cleared before and its faults after, once no answer is still held."""
    proxy = world.proxies[boundary]
    proxy.clear()
    injection = proxy.inject({**recipe, "times": "always"}, code=code)
    try:
        return world.act("sync"), injection.fired
    finally:
        proxy.clear_faults()
        proxy.wait_idle(proxy.max_hold_s + 20)


def _logged(rule_fn: Callable[..., None]) -> Callable[..., None]:
    """Log a rule's step (its name, then the picks it makes) for a WorldRun of the example."""

    @functools.wraps(rule_fn)
    def step(self: Any, *args: Any, **kwargs: Any) -> None:
        if not self.tearing_down:
            self.steps.append({"rule": rule_fn.__name__, "picks": {}})
        rule_fn(self, *args, **kwargs)

    return step


# a fault the world suite arms: refused every time, never retried (so a faulted sync costs one call),
# and not one whose outcome depends on a precondition fixture the fault items make
_WORLD_FAULT_KINDS = ("http_status",)


def world_faults(specs: SpecSet, root: Path) -> list[FaultCase]:
    """The catalog entries whose recipe a world step can arm: an HTTP status at a direct-mode
    operation, not retried (retryable ones cost their backoff), in catalog order."""
    return [c for c in fault_cases(specs, root)
            if c.kind in _WORLD_FAULT_KINDS and not c.entry.retryable
            and not str(c.entry.inject.get("operation", "")).startswith("github.pulls.")]  # fmt: skip


def _cable_body(cable: Mapping[str, Any]) -> dict[str, Any]:
    """What re-creates ``cable`` as NetBox listed it: its terminations and custom fields."""
    ends = {f"{side}_terminations": [{"object_type": t["object_type"], "object_id": t["object_id"]}
                                     for t in cable[f"{side}_terminations"]] for side in ("a", "b")}  # fmt: skip
    fields = {k: [_written(i) for i in v] if isinstance(v, list) else _written(v)
              for k, v in (cable.get("custom_fields") or {}).items()}  # fmt: skip
    return {**ends, "status": (cable.get("status") or {}).get("value", "connected"), "custom_fields": fields}


def _written(value: Any) -> Any:
    """A custom field value as NetBox reads it (a choice ``{value, label}``, an object ``{id, ...}``)
    in the form NetBox takes on a write."""
    if isinstance(value, Mapping):
        return value["value"] if "value" in value else value.get("id")
    return value


# Every run starts with this tour: each world rule at least once, in an order that reaches what a
# drawn example rarely does: a drifted switch put back by hand (drifted -> synced) and an edited one
# then deleted (spec_drift -> desired_only); deleted switches created again by hand, as committed
# and edited (desired_only -> in_sync, spec_drift); a repair of every drift kind; a removed
# connection whose prune the cluster refuses (HH-AUTH-021), so it rests orphaned and actual_only
# with the kubernetes connection failed, until the next sync prunes it; its alert acknowledged, then
# suppressed; the connection back in a new life; the connection held by someone else's finalizer
# when its cable goes, so it rests orphaned and deletion_pending (terminating) until released;
# GitHub refusing the run (HH-AUTH-010), the git connection failed and tested again, its alert
# acknowledged and resolved by the next sync; NetBox refusing the token (HH-AUTH-001), its alert
# suppressed while still active; the connection edited in the cluster (spec_drift), removed
# (spec_drift -> actual_only), its prune refused again, and back in NetBox before a sync prunes it
# (orphaned, its file gone: a new life from draft; actual_only -> in_sync); its Connection deleted
# from the cluster, then its cable from NetBox (the object withdrawn before any sync re-created it),
# once after a drift check saw it gone and once with no look in between; a switch edited and synced
# with no look (re-applied: synced -> pending); the cable removed while GitHub refuses the write
# (HH-AUTH-011), so the Connection is orphaned with its file still on the branch, then back in
# NetBox (readopted: orphaned -> committed, nothing new to commit); the cable back after a prune
# while GitHub refuses the write, so the new life rests in draft, then removed again (draft ->
# deleted); the pruned Connection restored by hand, as it was and edited, before its cable is back
# (the sync's first comparison: unobserved -> in_sync, spec_drift); the Connection held by a
# finalizer when a sync prunes it (deletion_pending), released, and restored by hand before anything
# looks (the delete failed: deletion_pending -> actual_only); a sync the cluster stops at its
# prune (HH-AUTH-020: the switches cannot be listed) after it applied a changed and a drifted
# Connection, so both rest pending, their wait for Ready never reached; then one's intent changes
# again (pending -> committed) and the other's cable goes (pending -> orphaned); the cable removed,
# pruned and back, with a VPC deleted by hand, so the sync that commits the attachment's new life has
# its VPC create refused (HH-K8S-002) before the attachment's apply (it rests committed), and the
# cable removed again (committed -> orphaned); two switches deleted
# by hand, created again by a sync the same fault stops before it saw them (creation_pending), then
# one edited and one deleted again before a drift check (creation_pending -> spec_drift,
# -> desired_only); a refused sync in maintenance.
# Picks name the harness world's objects and catalog codes; where the project has none by that name,
# the first one.
TOUR: tuple[dict[str, Any], ...] = (
    {"rule": "edit_managed_object", "picks": {"switch": "leaf-01"}},
    {"rule": "edit_managed_object", "picks": {"switch": "spine-01"}},
    {"rule": "delete_managed_object", "picks": {"switch": "leaf-02"}},
    {"rule": "add_foreign_object"},
    {"rule": "drift_check"},
    {"rule": "revert_managed_object", "picks": {"switch": "spine-01"}},
    {"rule": "delete_managed_object", "picks": {"switch": "leaf-01"}},
    {"rule": "drift_check"},
    {"rule": "recreate_managed_object", "picks": {"switch": "leaf-02", "as": "committed"}},
    {"rule": "recreate_managed_object", "picks": {"switch": "leaf-01", "as": "edited"}},
    {"rule": "delete_managed_object", "picks": {"switch": "leaf-03"}},
    {"rule": "drift_check"},
    {"rule": "sync"},
    {"rule": "remove_server_connection"},
    {"rule": "sync_with_fault", "picks": {"fault": "HH-AUTH-021"}},
    {"rule": "operator_changes_alert", "picks": {"change": "acknowledge"}},
    {"rule": "operator_changes_alert", "picks": {"change": "suppress"}},
    {"rule": "drift_check"},
    {"rule": "sync"},
    {"rule": "restore_server_connection"},
    {"rule": "change_netbox_intent"},
    {"rule": "sync"},
    {"rule": "hold_connection"},
    {"rule": "remove_server_connection"},
    {"rule": "sync"},
    {"rule": "drift_check"},
    {"rule": "release_connection"},
    {"rule": "sync"},
    {"rule": "restore_server_connection"},
    {"rule": "sync_with_fault", "picks": {"fault": "HH-AUTH-010"}},
    {"rule": "operator_changes_alert", "picks": {"alert": "HH-AUTH-010", "change": "acknowledge"}},
    {"rule": "sync"},
    {"rule": "sync_with_fault", "picks": {"fault": "HH-AUTH-001"}},
    {"rule": "operator_changes_alert", "picks": {"alert": "HH-AUTH-001", "change": "suppress"}},
    {"rule": "sync"},
    {"rule": "edit_connection_object"},
    {"rule": "drift_check"},
    {"rule": "remove_server_connection"},
    {"rule": "sync_with_fault", "picks": {"fault": "HH-AUTH-021"}},
    {"rule": "restore_server_connection"},
    {"rule": "sync"},
    {"rule": "delete_connection_object"},
    {"rule": "drift_check"},
    {"rule": "remove_server_connection"},
    {"rule": "sync"},
    {"rule": "restore_server_connection"},
    {"rule": "sync"},
    {"rule": "delete_connection_object"},
    {"rule": "remove_server_connection"},
    {"rule": "sync"},
    {"rule": "restore_server_connection"},
    {"rule": "sync"},
    {"rule": "edit_managed_object", "picks": {"switch": "leaf-01"}},
    {"rule": "sync"},
    {"rule": "remove_server_connection"},
    {"rule": "change_netbox_intent"},
    {"rule": "sync_with_fault", "picks": {"fault": "HH-AUTH-011"}},
    {"rule": "restore_server_connection"},
    {"rule": "sync"},
    {"rule": "remove_server_connection"},
    {"rule": "sync"},
    {"rule": "restore_server_connection"},
    {"rule": "sync_with_fault", "picks": {"fault": "HH-AUTH-011"}},
    {"rule": "remove_server_connection"},
    {"rule": "sync"},
    {"rule": "recreate_connection_object", "picks": {"as": "committed"}},
    {"rule": "restore_server_connection"},
    {"rule": "sync"},
    {"rule": "remove_server_connection"},
    {"rule": "sync"},
    {"rule": "recreate_connection_object", "picks": {"as": "edited"}},
    {"rule": "restore_server_connection"},
    {"rule": "sync"},
    {"rule": "hold_connection"},
    {"rule": "remove_server_connection"},
    {"rule": "sync"},
    {"rule": "release_connection"},
    {"rule": "recreate_connection_object", "picks": {"as": "committed"}},
    {"rule": "drift_check"},
    {"rule": "restore_server_connection"},
    {"rule": "sync"},
    {"rule": "change_netbox_intent"},
    {"rule": "edit_connection_object"},
    {"rule": "sync_with_fault", "picks": {"fault": "HH-AUTH-020"}},
    {"rule": "change_netbox_intent"},
    {"rule": "remove_server_connection"},
    {"rule": "sync"},
    {"rule": "restore_server_connection"},
    {"rule": "sync"},
    {"rule": "remove_server_connection"},
    {"rule": "sync"},
    {"rule": "restore_server_connection"},
    {"rule": "delete_vpc", "picks": {"vpc": "vpc-1"}},
    {"rule": "sync_with_fault", "picks": {"fault": "HH-K8S-002"}},
    {"rule": "remove_server_connection"},
    {"rule": "sync"},
    {"rule": "restore_server_connection"},
    {"rule": "sync"},
    {"rule": "delete_managed_object", "picks": {"switch": "leaf-02"}},
    {"rule": "delete_managed_object", "picks": {"switch": "leaf-03"}},
    {"rule": "sync_with_fault", "picks": {"fault": "HH-AUTH-020"}},
    {"rule": "edit_managed_object", "picks": {"switch": "leaf-02"}},
    {"rule": "delete_managed_object", "picks": {"switch": "leaf-03"}},
    {"rule": "drift_check"},
    {"rule": "sync"},
    {"rule": "start_maintenance"},
    {"rule": "sync"},
    {"rule": "end_maintenance"},
)
WORLD_RUN = "world.yaml"  # a saved run's file in its regression directory


class WorldRunError(ValueError):
    """A saved world run that cannot be read; the message names the file and the field."""


def _rules(machine: type[RuleBasedStateMachine]) -> dict[str, Any]:
    """The machine's rules by name (Hypothesis's rule record: its arguments and preconditions)."""
    found = {name: getattr(getattr(machine, name), RULE_MARKER, None) for name in dir(machine)}
    return {name: r for name, r in found.items() if r is not None}


def load_world_run(path: Path, rules: Sequence[str]) -> list[dict[str, Any]]:
    """The steps of a saved ``world.yaml`` (``kind: WorldRun``), each ``{rule, picks}``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise WorldRunError(f"{path}: not a readable YAML file: {exc}") from None
    if not isinstance(raw, dict) or raw.get("kind") != "WorldRun":
        raise WorldRunError(f"{path}: kind must be WorldRun")
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        raise WorldRunError(f"{path}: steps must be a non-empty list of {{rule, picks}}")
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or step.get("rule") not in rules:
            raise WorldRunError(f"{path}: steps[{index}].rule must be one of {', '.join(sorted(rules))}")
        if not isinstance(step.get("picks", {}), dict):
            raise WorldRunError(f"{path}: steps[{index}].picks must be a mapping of label to value")
    return [{"rule": step["rule"], "picks": dict(step.get("picks") or {})} for step in steps]


def save_world_run(directory: Path, steps: Sequence[Mapping[str, Any]], failure: str, *,
                   name: str = WORLD_RUN) -> Path:  # fmt: skip
    """Write the steps of a failing example as ``<directory>/world-<digest>/<name>``."""
    body = {"kind": "WorldRun", "found_by": "state_machines::world (Hypothesis, shrunk)",
            "failure": failure[:2000], "steps": [dict(s) for s in steps]}  # fmt: skip
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
    digest = hashlib.sha256(yaml.safe_dump(body["steps"]).encode()).hexdigest()[:10]
    path = directory / f"world-{digest}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def replay_run(machine: type[RuleBasedStateMachine], steps: Sequence[Mapping[str, Any]], where: str) -> list[str]:
    """Run saved steps as one example: the clean sync, each step whose precondition holds with the
    picks it names, the end-of-example teardown. Returns what was skipped."""
    rules = _rules(machine)
    example: Any = machine()
    skipped = []
    try:
        example.clean_sync()
        for index, step in enumerate(steps):
            rule_ = rules[step["rule"]]
            if not all(check(example) for check in rule_.preconditions):
                skipped.append(f"{where}: steps[{index}] {step['rule']}: its precondition does not hold; skipped")
                continue
            example.replaying = dict(step.get("picks") or {})
            getattr(example, step["rule"])(**({"data": None} if "data" in rule_.arguments else {}))
            example.replaying = None
    except BaseException as exc:
        exc.add_note(f"in the world run {where}, after {len(example.steps)} step(s)")
        example.teardown()  # in the handler: it sees the failure and only puts the world back
        raise
    example.teardown()
    return skipped


def run_world(world: World, specs: SpecSet, recorder: Recorder, *, root: Path, crds_dir: Path, tmp: Path,
              max_examples: int | None, regressions: Path) -> None:  # fmt: skip
    """The tour, every saved run under ``<root>/tests/regressions/*/world.yaml``, then Hypothesis's
    examples. A failing example's shrunk steps are saved under ``regressions``."""
    machine = world_machine(world, specs, recorder, root=root, crds_dir=crds_dir, tmp=tmp)
    rules = sorted(_rules(machine))
    saved = [(str(p.relative_to(root)), load_world_run(p, rules))
             for p in sorted((root / "tests" / "regressions").glob(f"*/{WORLD_RUN}"))]  # fmt: skip
    for where, steps in [("the tour (harness.suites.world.TOUR)", list(TOUR)), *saved]:
        for note in replay_run(machine, steps, where):
            recorder.warn(note)
    try:
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=max_examples or DEFAULT_EXAMPLES,
                stateful_step_count=STEPS,
                phases=search_phases(),
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    except Exception as exc:
        last = machine.examples[-1] if machine.examples else None  # type: ignore[attr-defined]
        if last is not None and last.steps:
            path = save_world_run(regressions, last.steps, str(exc))
            exc.add_note(f"the failing example's steps are saved as {path}; move its directory to "
                         f"tests/regressions/ to replay it before the drawn examples of every run")  # fmt: skip
        raise
