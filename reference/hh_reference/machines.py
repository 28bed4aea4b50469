"""Executable state machines built with ``transitions`` from ``state_machines/*.yaml``.

A spec may give one trigger several destinations from the same state, told apart by guards that
describe the real system (e.g. resource_drift ``observe``). The integration evaluates those guards
itself and names the destination it observed; the machine then checks that exactly that transition
is declared. A transition listed under ``forbidden`` is refused even if a declaration slipped in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transitions import EventData, Machine, MachineError

from hh_reference.specs import MachineSpec, load_machines


class UnknownMachine(LookupError):
    """A machine id the spec root does not define: a programming error."""


@dataclass
class _Model:
    state: str


def _dest_is(dest: str) -> Any:
    def check(event: EventData) -> bool:
        wanted = event.kwargs.get("dest")
        return wanted is None or wanted == dest

    return check


class StateMachineRegistry:
    """Every machine of a spec root, ready to answer "may ``trigger`` fire in ``state``, and to where?"."""

    def __init__(self, spec_root: Path) -> None:
        self.spec_root = spec_root
        self.specs: dict[str, MachineSpec] = load_machines(spec_root)

    def spec(self, machine_id: str) -> MachineSpec:
        """The spec of ``machine_id``; UnknownMachine when it is not defined."""
        try:
            return self.specs[machine_id]
        except KeyError:
            raise UnknownMachine(
                f"state machine '{machine_id}' is not defined in {self.spec_root}/state_machines "
                f"(known: {', '.join(sorted(self.specs))})"
            ) from None

    def build(self, machine_id: str, state: str) -> tuple[_Model, Machine]:
        """A ``transitions.Machine`` for the spec, with a model standing in ``state``."""
        spec = self.spec(machine_id)
        model = _Model(state)
        machine = Machine(
            model=model,
            states=list(spec.states),
            transitions=[
                {
                    "trigger": t.trigger,
                    "source": list(t.sources),
                    "dest": t.dest,
                    "conditions": [_dest_is(t.dest)],
                }
                for t in spec.transitions
            ],
            initial=state,
            auto_transitions=False,
            send_event=True,
        )
        return model, machine

    def destinations(self, machine_id: str, state: str, trigger: str) -> tuple[str, ...]:
        """Every declared destination of ``trigger`` from ``state`` (several when guards decide)."""
        spec = self.spec(machine_id)
        dests = [t.dest for t in spec.transitions if t.trigger == trigger and state in t.sources]
        return tuple(dict.fromkeys(d for d in dests if (state, d) not in spec.forbidden))

    def allowed(self, machine_id: str, state: str, trigger: str, dest: str | None = None) -> str | None:
        """The destination ``trigger`` takes from ``state``, or None when not allowed.

        With several declared destinations the caller must name the one its guards selected
        (``dest``); without it the answer is None, because the machine cannot choose.
        """
        spec = self.spec(machine_id)
        if state not in spec.states:
            return None
        candidates = self.destinations(machine_id, state, trigger)
        if dest is None and len(candidates) != 1:
            return None
        if dest is not None and dest not in candidates:
            return None
        model, machine = self.build(machine_id, state)
        try:
            fired = machine.events[trigger].trigger(model, dest=dest)
        except (KeyError, MachineError):
            return None
        return model.state if fired else None
