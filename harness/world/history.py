"""The state changes an implementation reports making (``harness_transitions``), read on from a
cursor and checked against the machines and against what the implementation reports before and
after a world step.

A step of the world (a sync, a drift check, an operator's change) moves an entity through several
states inside one run; the observation shows only the ends. The reported changes fill in the
middle, and they can be wrong in ways the harness checks:

- an edge the machine does not declare (``from`` -> ``to``), or an entity that comes into being in
  a state other than its machine's initial one;
- a change that does not start where the entity was (the state observed before the step, or the
  previous reported change of the step);
- a last change that does not end where the implementation then reports the entity.

Every declared edge a step reports is a transition taken through that world step.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from harness.adapter import NotProvided
from harness.generate.faults import RESOURCE_FIELDS, transition_element
from harness.report.events import Recorder
from harness.spec.models import SpecSet
from harness.world.live import World

Key = tuple[str, str]  # (machine, entity as the world suite names it)
Edge = tuple[str, str, str]  # (machine, source, dest)


@dataclass(frozen=True)
class Machines:
    """What the checks need of the state machines: the declared edges, initial and final states."""

    declared: frozenset[Edge]
    initial: Mapping[str, str]
    final: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, specs: SpecSet) -> Machines:
        return cls(
            declared=frozenset((m.id, s, t.dest) for m in specs.machines for t in m.transitions for s in t.sources),
            initial={m.id: m.initial for m in specs.machines},
            final={m.id: frozenset(s.name for s in m.states if s.final) for m in specs.machines},
        )

    def reachable(self, machine: str, src: str, dst: str) -> bool:
        """``dst`` by declared edges from ``src`` (from a final state: from the initial one, a new life)."""
        edges: dict[str, set[str]] = {}
        for m, a, b in self.declared:
            if m == machine:
                edges.setdefault(a, set()).add(b)
        seen: set[str] = set()
        todo = [self.initial.get(machine, src) if src in self.final.get(machine, ()) else src]
        while todo:
            here = todo.pop()
            if here == dst:
                return True
            if here not in seen:
                seen.add(here)
                todo += edges.get(here, ())
        return False


def world_key(fabric: str, change: Mapping[str, Any]) -> Key:
    """The key the world suite's state map uses for a reported change's entity: an alert is
    ``<fabric>/<id>``, everything else as the observation names it."""
    machine, entity = str(change["machine"]), str(change["entity"])
    return (machine, f"{fabric}/{entity}") if machine == "reconciliation_alert" else (machine, entity)


def observed_states(observation: Mapping[str, Any]) -> dict[Key, str]:
    """(machine, entity) -> state of every entity an observation shows, keyed as
    :func:`world_key` keys the reported changes."""
    fabric = observation.get("fabric") or {}
    name = str(fabric.get("name"))
    found = {(m, name): str((fabric.get(m) or {}).get("state")) for m in ("fabric_sync", "fabric_status")}
    for machine, group in (("connection_status", "connections"), ("pull_request", "pull_requests")):
        for entity, value in (fabric.get(group) or {}).items():
            if (value or {}).get("state"):
                found[(machine, str(entity))] = str(value["state"])
    for alert in observation.get("alerts", []):
        if alert.get("id") is not None:
            found[("reconciliation_alert", f"{name}/{alert['id']}")] = str(alert.get("state"))
    for r in observation.get("resources", []):
        for machine, key in RESOURCE_FIELDS.items():
            if (r.get(key) or {}).get("state"):
                found[(machine, f"{r['plural']}/{r['name']}")] = str(r[key]["state"])
    return found


@dataclass
class Checked:
    taken: list[Edge] = field(default_factory=list)  # declared edges, in the order reported
    problems: list[str] = field(default_factory=list)


def check_changes(
    machines: Machines,
    fabric: str,
    changes: Iterable[Mapping[str, Any]],
    before: Mapping[Key, str],
    after: Mapping[Key, str],
) -> Checked:
    """Check one step's reported ``changes`` against the machines, the states observed ``before``
    the step and ``after`` it (maps from :func:`world_key` keys; an entity missing from a map is
    one that observation does not show)."""
    out = Checked()
    where: dict[Key, str | None] = {}  # the state each changed entity is in, as far as the changes go
    for change in changes:
        key = world_key(fabric, change)
        machine, src, dest = key[0], change["from"], str(change["to"])
        what = f"{machine} {key[1]}: reported {src or '(created)'} -> {dest} ({change.get('trigger')})"
        if machine not in machines.initial:
            out.problems.append(f"{what}: no state machine {machine!r} is declared")
            continue
        was = where[key] if key in where else before.get(key)
        if src is None:  # a new entity, or a new life after a final state
            if dest != machines.initial[machine]:
                out.problems.append(f"{what}: an entity comes into being in {machines.initial[machine]!r}")
            elif was is not None and was not in machines.final[machine] and was != machines.initial[machine]:
                out.problems.append(f"{what}: it was {was!r}, not final, so it cannot start a new life")
        else:
            if (machine, src, dest) in machines.declared:
                out.taken.append((machine, src, dest))
            else:
                out.problems.append(f"{what}: the machine declares no such transition")
            if was is not None and was != src:
                out.problems.append(f"{what}: it was {was!r} there, not {src!r}")
        where[key] = dest
    for key, state in where.items():
        if key in after and after[key] != state:
            out.problems.append(f"{key[0]} {key[1]}: its last reported change leaves it {state!r}, "
                                f"but the implementation then reports {after[key]!r}")  # fmt: skip
    return out


# machines whose entities change by one declared edge per world step (a run moves a resource, a
# connection or a pull request through several)
ONE_STEP = frozenset({"fabric_status", "reconciliation_alert"})


def changes_between(
    machines: Machines, fabric: str, before: Mapping[Key, str], after: Mapping[Key, str], *,
    through: str | None = None, source: str | None = None,
) -> Checked:  # fmt: skip
    """Without the implementation's report, what the ends of a step show: a finished sync went
    through ``through`` (``syncing``: start_sync, then sync_succeeded or sync_failed) from
    ``source`` whatever it ended in; another change of fabric_sync, or of a machine in
    :data:`ONE_STEP`, must be one declared edge; a change of anything else must have a declared
    path (a run may move it several steps)."""
    out, fabric_key = Checked(), ("fabric_sync", fabric)
    final = after.get(fabric_key)
    if through is not None and source is not None and final is not None and final != through:
        for edge in ((source, through), (through, final)):
            if ("fabric_sync", *edge) in machines.declared:
                out.taken.append(("fabric_sync", *edge))
            elif edge[0] != edge[1]:
                out.problems.append(f"fabric_sync went {edge[0]} -> {edge[1]} in a sync, "
                                    "which the machine does not declare")  # fmt: skip
    for key, dest in after.items():
        was = before.get(key)
        if was is None or was == dest or (through is not None and key == fabric_key):
            continue
        if (key[0], was, dest) in machines.declared:
            out.taken.append((key[0], was, dest))
        elif key == fabric_key or key[0] in ONE_STEP:
            out.problems.append(f"{key[0]} {key[1]} went {was} -> {dest}, which the machine does not declare")
        elif not machines.reachable(key[0], was, dest):
            out.problems.append(f"{key[0]} {key[1]} went {was} -> {dest}: no declared path leads there")
    return out


@contextmanager
def reported_changes(world: World, specs: SpecSet, recorder: Recorder, files: Mapping[str, str], *, label: str,
                     problems: list[str]) -> Iterator[None]:  # fmt: skip
    """Around a stretch of work on ``world`` (an item's runs): every change the implementation
    reports making meanwhile is checked (problems, prefixed with ``label``, appended to
    ``problems``) and each declared edge recorded as taken there. Nothing when the adapter
    reports no changes, or when the work raised."""
    history = History.of(world)
    history.read()  # what came before
    before = observed_states(world.observe()) if history.provided else {}
    yield
    changes = history.read()
    if changes is None:
        return
    checked = check_changes(Machines.of(specs), world.fabric.site_slug, changes, before,
                            observed_states(world.observe()))  # fmt: skip
    problems += [f"{label}: {p}" for p in checked.problems]
    for edge in dict.fromkeys(checked.taken):
        recorder.record(transition_element(files, *edge), "transition", "pass",
                        f"{label}: reported by the implementation")  # fmt: skip


class History:
    """Reads the reported changes of one fabric on from a cursor kept across steps, examples and
    items (:meth:`of`: one per world).

    ``provided`` is False when the adapter has no ``harness_transitions``: the caller then sees
    only the ends of each step."""

    @classmethod
    def of(cls, world: World) -> History:
        """The world's one History (kept on the world: a dataclass, neither hashable nor slotted)."""
        found = world.__dict__.get("_history")
        if not isinstance(found, History):
            found = cls(world)
            world.__dict__["_history"] = found
        return found

    def __init__(self, world: World) -> None:
        self.world = world
        self.cursor: int | None = None  # None: not read yet
        self.provided = world.adapter.provides("harness_transitions")

    def read(self) -> Sequence[Mapping[str, Any]] | None:
        """The changes since the last read (None when the adapter reports none at all)."""
        if not self.provided:
            return None
        try:
            world = self.world
            found = world.adapter.transitions(world.endpoints, world.fabric.site_slug, self.cursor or 0)
        except NotProvided:
            self.provided = False
            return None
        if found:
            self.cursor = int(found[-1]["id"])
        elif self.cursor is None:
            self.cursor = 0
        return found

    def skip(self) -> None:
        """Move the cursor past everything reported so far (what happened before the suite began)."""
        if self.cursor is None:
            self.read()
