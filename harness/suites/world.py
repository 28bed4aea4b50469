"""Model-based tests of the world (``state_machines::world``): a Hypothesis state machine whose rules
are actions on the real systems and on the implementation (through its adapter), checked after
every step against a small model of intent, Git and cluster content and against the invariants the
reported states declare after each step of the implementation, evaluated on NetBox, Git and the
cluster (:mod:`harness.world.invariants`).

Rules: change the NetBox intent (a connection's MTU), edit a managed object in the cluster, delete
one, add a labelled object NetBox does not have, run a sync, run a drift check. The model predicts:

- a sync finishes with fabric_sync ``in_sync``; the branch got one commit if the intent changed
  since the last sync and none otherwise; the cluster then holds exactly the committed objects,
  spec for spec, and nothing is left queued;
- a drift check reports fabric_sync ``out_of_sync`` when the intent or the cluster changed since
  the last sync and ``in_sync`` otherwise, and the edited object's drift state (``spec_drift``,
  ``desired_only``, ``actual_only``).

Every change of a reported state between two steps that the spec declares is recorded as that
transition taken (``state_machines/<m>.yaml::<source>-><dest>``); an undeclared one is a failure.
Each example starts from a clean sync of the world; the budget is ``--harness-max-examples``
(default 2 examples of at most 6 steps: every step is real work on real systems).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from harness.generate.faults import RESOURCE_FIELDS, machine_files, transition_element
from harness.report.events import Recorder
from harness.spec.models import SpecSet
from harness.suites.live_faults import Executor
from harness.world.bad_input import change_intent
from harness.world.invariants import check_invariants
from harness.world.live import World, rendered_keys

SWITCHES = ("wiring.githedgehog.com", "v1beta1", "default", "switches")
FOREIGN = "leaf-foreign-01"
DEFAULT_EXAMPLES, STEPS = 2, 6


@dataclass
class Model:
    """What the world must look like, as far as the rules changed it."""

    intent_changed: bool = False
    edited: set[str] = field(default_factory=set)  # Kind/name edited in the cluster
    deleted: set[str] = field(default_factory=set)
    foreign: set[str] = field(default_factory=set)

    @property
    def cluster_changed(self) -> bool:
        return bool(self.edited or self.deleted or self.foreign)

    def synced(self) -> None:
        self.intent_changed = False
        self.edited.clear()
        self.deleted.clear()
        self.foreign.clear()


def _states(observation: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """(machine, entity) -> state, for the machines whose entities a world step moves."""
    fabric = observation.get("fabric") or {}
    found = {("fabric_sync", str(fabric.get("name"))): str((fabric.get("fabric_sync") or {}).get("state"))}
    for r in observation.get("resources", []):
        for machine, key in RESOURCE_FIELDS.items():
            if (r.get(key) or {}).get("state"):
                found[(machine, f"{r['plural']}/{r['name']}")] = str(r[key]["state"])
    return found


def world_machine(world: World, specs: SpecSet, recorder: Recorder, *, root: Path, crds_dir: Path,
                  tmp: Path) -> type[RuleBasedStateMachine]:  # fmt: skip
    files = machine_files(specs, root)
    declared = {(m.id, s, t.dest) for m in specs.machines for t in m.transitions for s in t.sources}
    ctx = Executor(world, specs, crds_dir, tmp).ctx

    class WorldMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.model = Model()
            self.problems: list[str] = []
            self.before: dict[tuple[str, str], str] = {}

        # -- the start of every example: a clean sync -------------------------------------------
        @initialize()
        def clean_sync(self) -> None:
            result = world.act("sync")
            assert result.returncode == 0, f"the clean sync an example starts from failed: {result.stderr[-500:]}"
            self.model.synced()
            self.before = _states(world.observe())

        # -- actions on the systems ---------------------------------------------------------------
        @rule()
        def change_netbox_intent(self) -> None:
            change_intent(ctx)
            self.model.intent_changed = True

        @rule(data=st.data())
        def edit_managed_object(self, data: st.DataObject) -> None:
            name = data.draw(st.sampled_from(self._switches()), label="switch")
            edit = {"spec": {"description": "edited in the cluster"}}
            world.custom_objects().patch_namespaced_custom_object(*SWITCHES, name, edit)
            self.model.edited.add(f"Switch/{name}")

        @rule(data=st.data())
        def delete_managed_object(self, data: st.DataObject) -> None:
            name = data.draw(st.sampled_from(self._switches()), label="switch")
            world.custom_objects().delete_namespaced_custom_object(*SWITCHES, name)
            self.model.deleted.add(f"Switch/{name}")
            self.model.edited.discard(f"Switch/{name}")

        @rule()
        def add_foreign_object(self) -> None:
            api = world.custom_objects()
            template = next(o for k, o in world.cluster_objects().items() if k.startswith("Switch/"))
            meta = {"name": FOREIGN, "labels": dict(template["metadata"].get("labels") or {})}
            if f"Switch/{FOREIGN}" not in world.cluster_objects():
                api.create_namespaced_custom_object(*SWITCHES[:3], "switches", {
                    "apiVersion": template["apiVersion"], "kind": "Switch", "metadata": meta,
                    "spec": template["spec"]})  # fmt: skip
            self.model.foreign.add(f"Switch/{FOREIGN}")

        # -- actions of the implementation --------------------------------------------------------
        @rule()
        def sync(self) -> None:
            commits = len(world.commits())
            source = self.before.get(("fabric_sync", world.fabric.site_slug))
            result = world.act("sync")
            seen = world.observe()
            self._transitions(seen, through="syncing", source=source)
            if result.returncode != 0:
                self.problems.append(f"sync exited {result.returncode}: {result.stderr[-400:]}")
            state = (seen.get("fabric") or {}).get("fabric_sync", {}).get("state")
            if state != "in_sync":
                self.problems.append(f"after a sync fabric_sync is {state!r}, the model says in_sync")
            new = len(world.commits()) - commits
            if new != (1 if self.model.intent_changed else 0):
                self.problems.append(f"the sync made {new} commit(s); the intent "
                                     f"{'changed' if self.model.intent_changed else 'did not change'}")  # fmt: skip
            committed, cluster = rendered_keys(world.repo_files()), set(world.cluster_objects())
            if committed != cluster:
                self.problems.append(f"after a sync the cluster is not the branch: {sorted(committed ^ cluster)[:4]}")
            if seen.get("open_syncs"):
                self.problems.append(f"syncs left queued after a sync: {seen['open_syncs']}")
            self.model.synced()
            self._checked(seen, intent_seen=result.returncode == 0)

        @rule()
        def drift_check(self) -> None:
            result = world.act("drift")
            seen = world.observe()
            self._transitions(seen)
            if result.returncode != 0:
                self.problems.append(f"drift exited {result.returncode}: {result.stderr[-400:]}")
            want = "out_of_sync" if self.model.intent_changed or self.model.cluster_changed else "in_sync"
            state = (seen.get("fabric") or {}).get("fabric_sync", {}).get("state")
            if state != want:
                self.problems.append(f"after a drift check fabric_sync is {state!r}, the model says {want!r} "
                                     f"({self.model})")  # fmt: skip
            drift = {f"{r['plural']}/{r['name']}": (r.get("drift") or {}).get("state")
                     for r in seen.get("resources", [])}  # fmt: skip
            expected = {k: "spec_drift" for k in self.model.edited}
            expected |= {k: "desired_only" for k in self.model.deleted}
            expected |= {k: "actual_only" for k in self.model.foreign}
            for key, want_drift in expected.items():
                got = drift.get(f"switches/{key.split('/', 1)[1]}")
                if got != want_drift:
                    self.problems.append(f"{key}: drift state {got!r}, the model says {want_drift!r}")
            self._checked(seen)

        # -- after every step of the implementation ------------------------------------------------
        def _checked(self, seen: Mapping[str, Any], *, intent_seen: bool = False) -> None:
            """The invariants of the states it now reports, on the systems. Only after the
            implementation acted: an out-of-band change is not its to know before it looks.
            ``intent_seen``: right after a sync that completed, which read the intent NetBox holds
            (the render invariants are evaluated)."""
            self.problems += check_invariants(world, specs, recorder, files, seen, intent_seen=intent_seen)
            assert not self.problems, "\n".join(self.problems)

        def _switches(self) -> list[str]:
            names = sorted(k.split("/", 1)[1] for k in world.cluster_objects() if k.startswith("Switch/"))
            return [n for n in names if n != FOREIGN] or ["leaf-01"]

        def _transitions(
            self, seen: Mapping[str, Any], *, through: str | None = None, source: str | None = None
        ) -> None:
            """Record the declared edges the step took. A finished sync went through ``syncing``
            (start_sync, then sync_succeeded) whatever it started from; another step's change of
            fabric_sync must be one declared edge."""
            after = _states(seen)
            fabric_key = ("fabric_sync", world.fabric.site_slug)
            if through is not None and source is not None and after.get(fabric_key) == "in_sync":
                for edge in ((source, through), (through, "in_sync")):
                    if ("fabric_sync", *edge) in declared:
                        recorder.record(transition_element(files, "fabric_sync", *edge), "transition", "pass",
                                        "world step: sync")  # fmt: skip
            for key, dest in after.items():
                before = self.before.get(key)
                if before is None or before == dest or (through is not None and key == fabric_key):
                    continue
                if (key[0], before, dest) in declared:
                    recorder.record(transition_element(files, key[0], before, dest), "transition", "pass",
                                    f"world step: {key[1]}")  # fmt: skip
                elif key == fabric_key:
                    self.problems.append(f"fabric_sync went {before} -> {dest}, which the machine does not declare")
            self.before = after

    return WorldMachine


def run_world(world: World, specs: SpecSet, recorder: Recorder, *, root: Path, crds_dir: Path, tmp: Path,
              max_examples: int | None) -> None:  # fmt: skip
    machine = world_machine(world, specs, recorder, root=root, crds_dir=crds_dir, tmp=tmp)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=max_examples or DEFAULT_EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
