"""Every state machine spec loads into a working `transitions` machine and every
declared transition can be walked: reach its source, fire its trigger, land on its dest."""

from __future__ import annotations

from pathlib import Path

import pytest
from transitions import MachineError

from harness.spec.loader import load_specs
from harness.spec.machines import build_machine, isolating_guards
from harness.spec.models import StateMachine, Transition
from harness.spec.project import schema_dir

ROOT = Path(__file__).resolve().parents[1]


def _machines() -> list[StateMachine]:
    result = load_specs([ROOT / "state_machines", ROOT / "specs" / "errors"], schema_dir(ROOT), ROOT)
    assert not [d for d in result.diagnostics if d.severity == "error"], result.diagnostics
    return result.specs.machines


MACHINES = _machines()
EDGES = [
    pytest.param(m, t, src, id=f"{m.loc.doc.path.name}::{src}->{t.dest}")
    for m in MACHINES
    for t in m.transitions
    for src in t.sources
]


def test_the_required_machines_exist() -> None:
    ids = {m.id for m in MACHINES}
    required = {
        "fabric_sync",
        "fabric_status",
        "connection_status",
        "resource_lifecycle",
        "resource_drift",
        "reconciliation_alert",
        "pull_request",
    }
    assert required <= ids


@pytest.mark.parametrize(("machine", "transition", "source"), EDGES)
def test_declared_transition_can_be_walked(machine: StateMachine, transition: Transition, source: str) -> None:
    model = build_machine(machine, guard_values=isolating_guards(machine, transition))
    model.set_state(source)
    assert model.trigger(transition.trigger) is True
    assert model.state == transition.dest


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.id)
def test_every_state_is_reached_by_walking_from_initial(machine: StateMachine) -> None:
    reached = {machine.initial}
    frontier = [machine.initial]
    while frontier:
        state = frontier.pop()
        for t in machine.transitions:
            if state not in t.sources or t.dest in reached:
                continue
            model = build_machine(machine, guard_values=isolating_guards(machine, t))
            model.set_state(state)
            model.trigger(t.trigger)
            reached.add(model.state)
            frontier.append(model.state)
    assert reached == set(machine.state_names)


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.id)
def test_no_trigger_takes_a_forbidden_transition(machine: StateMachine) -> None:
    for forbidden in machine.forbidden:
        for trigger in {t.trigger for t in machine.transitions if forbidden.source in t.sources}:
            model = build_machine(machine, guards_default=True)
            model.set_state(forbidden.source)
            model.trigger(trigger)
            assert model.state != forbidden.dest, f"{trigger} took {forbidden.source} -> {forbidden.dest}"


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.id)
def test_final_states_accept_no_trigger(machine: StateMachine) -> None:
    for state in (s for s in machine.states if s.final):
        for trigger in {t.trigger for t in machine.transitions}:
            model = build_machine(machine, guards_default=True)
            model.set_state(state.name)
            with pytest.raises(MachineError):
                model.trigger(trigger)
            assert model.state == state.name


GUARDED = [
    pytest.param(m, t.trigger, src, t.dest, id=f"{m.loc.doc.path.name}::{src}->{t.dest}[{','.join(t.guards)}]")
    for m in MACHINES
    for t in m.transitions
    if t.guards
    for src in t.sources
]


@pytest.mark.parametrize(("machine", "trigger", "source", "dest"), GUARDED)
def test_a_false_guard_blocks_its_transition(machine: StateMachine, trigger: str, source: str, dest: str) -> None:
    model = build_machine(machine, guards_default=False)
    model.set_state(source)
    fired = model.trigger(trigger)
    unguarded_alternative = any(
        t.trigger == trigger and source in t.sources and not t.guards for t in machine.transitions
    )
    assert fired is False or unguarded_alternative
    if fired is False:
        assert model.state == source
