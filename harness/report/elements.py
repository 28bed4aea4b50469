"""Spec element ids, and the universe of elements a run can exercise.

An element id is ``<spec file relative to the project root>::<name>``; the name depends on
the kind: an operation id, a ``source->dest`` edge, an error code, a mapping field (prefixed
with its variant), ``invariant:<name>``, or a pattern's crash point ``crash-after:<step>``.
Generators, the recorder, the report and the test ids all use these functions, so the ids agree
everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.spec.models import Loc, SpecSet, StateMachine

KINDS = ("operation", "transition", "error", "field", "invariant", "crash")


@dataclass(frozen=True)
class Element:
    """One thing the specs promise and a run can exercise."""

    id: str
    kind: str
    file: str
    detail: str = ""


@dataclass(frozen=True)
class Edge:
    """One (source, dest) edge of a state machine, with every trigger that takes it."""

    id: str
    source: str
    dest: str
    triggers: tuple[str, ...]


@dataclass(frozen=True)
class MachineGraph:
    """What the HTML report needs to draw a machine; built from the spec, not re-read."""

    id: str
    file: str
    initial: str
    states: tuple[str, ...]
    final: tuple[str, ...]
    edges: tuple[Edge, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "file": self.file,
            "initial": self.initial,
            "states": list(self.states),
            "final": list(self.final),
            "edges": [
                {"id": e.id, "source": e.source, "dest": e.dest, "triggers": list(e.triggers)} for e in self.edges
            ],
        }


@dataclass
class Universe:
    """Every element of a spec set, in spec order, and the machines to draw."""

    elements: list[Element] = field(default_factory=list)
    machines: list[MachineGraph] = field(default_factory=list)


def operation_id(file: str, operation: str) -> str:
    """``contracts/netbox/dcim.yaml::netbox.dcim.devices.list``."""
    return f"{file}::{operation}"


def transition_id(file: str, source: str, dest: str) -> str:
    """``state_machines/fabric_sync.yaml::syncing->in_sync`` (one id per edge, whatever the trigger)."""
    return f"{file}::{source}->{dest}"


def error_id(file: str, code: str) -> str:
    """``specs/errors/github.yaml::HH-GIT-006``."""
    return f"{file}::{code}"


def field_id(file: str, to: str, variant: str | None = None) -> str:
    """``contracts/mappings/switch.yaml::spec.role``; a variant's field is ``<variant>:<to>``."""
    return f"{file}::{variant}:{to}" if variant else f"{file}::{to}"


def invariant_id(file: str, name: str) -> str:
    """``state_machines/fabric_sync.yaml::invariant:last_commit_matches_render``."""
    return f"{file}::invariant:{name}"


def crash_id(file: str, step: str) -> str:
    """``specs/patterns/gitops_sync.yaml::crash-after:apply``: a run killed right after the step."""
    return f"{file}::crash-after:{step}"


def spec_file(loc: Loc, root: Path) -> str:
    """The spec file of ``loc`` relative to ``root``, with forward slashes."""
    path = loc.doc.path.resolve()
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        # A spec outside the project: its full path is still a stable, unique id.
        return path.as_posix()


def machine_graph(machine: StateMachine, file: str) -> MachineGraph:
    """The machine's states and its edges, triggers merged per (source, dest)."""
    triggers: dict[tuple[str, str], list[str]] = {}
    for transition in machine.transitions:
        for source in transition.sources:
            names = triggers.setdefault((source, transition.dest), [])
            if transition.trigger not in names:
                names.append(transition.trigger)
    edges = tuple(Edge(transition_id(file, s, d), s, d, tuple(t)) for (s, d), t in triggers.items())
    final = tuple(s.name for s in machine.states if s.final)
    return MachineGraph(machine.id, file, machine.initial, machine.state_names, final, edges)


def universe(specs: SpecSet, root: Path) -> Universe:
    """All elements of ``specs`` (ids relative to ``root``), each id once."""
    out = Universe()
    seen: set[str] = set()

    def add(element: Element) -> None:
        if element.id not in seen:
            seen.add(element.id)
            out.elements.append(element)

    for contract in specs.contracts:
        file = spec_file(contract.loc, root)
        for op in contract.operations:
            add(Element(operation_id(file, op.id), "operation", file, op.summary))
    for machine in specs.machines:
        file = spec_file(machine.loc, root)
        graph = machine_graph(machine, file)
        out.machines.append(graph)
        for edge in graph.edges:
            add(Element(edge.id, "transition", file, ", ".join(edge.triggers)))
        for name, text in machine.invariants.items():
            add(Element(invariant_id(file, name), "invariant", file, text))
    for catalog in specs.catalogs:
        file = spec_file(catalog.loc, root)
        for entry in catalog.errors:
            add(Element(error_id(file, entry.code), "error", file, entry.title))
    for mapping in specs.mappings:
        file = spec_file(mapping.loc, root)
        for f in mapping.fields:
            add(Element(field_id(file, f.to), "field", file, f.transform))
        for variant in mapping.variants:
            for f in variant.fields:
                add(Element(field_id(file, f.to, variant.id), "field", file, f.transform))
        for name in mapping.invariants:
            add(Element(invariant_id(file, name), "invariant", file))
    for pattern in (p for p in specs.patterns if p.action is not None):
        file = spec_file(pattern.loc, root)
        for step in pattern.steps:
            if step.crash_point:
                add(Element(crash_id(file, step.name), "crash", file, f"killed right after {step.name}"))
    return out
