"""The declared table (state_map.yaml) from HNP's fabric fields to the harness's state machines."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import yaml


@dataclass(frozen=True)
class TriggerWay:
    """How one machine trigger is performed through HNP."""

    via: str  # rest_patch | action | rest_create
    value: str | None = None
    action: str | None = None


@dataclass(frozen=True)
class MachineMap:
    """One machine: the HNP field, HNP value -> machine state, and what HNP cannot show."""

    machine: str
    field: str
    states: dict[str, str]
    not_observable: dict[str, str]
    triggers: dict[str, TriggerWay]

    def state_of(self, hnp_value: str) -> str:
        """The machine state an HNP value means; an unmapped value is reported as itself, prefixed."""
        return self.states.get(hnp_value, f"unmapped:{hnp_value}")

    def hnp_values(self, state: str) -> list[str]:
        """The HNP values that mean ``state`` (empty when HNP cannot show it)."""
        return [value for value, mapped in self.states.items() if mapped == state]


@dataclass(frozen=True)
class StateTable:
    machines: dict[str, MachineMap]
    not_applicable: dict[str, str]


@cache
def state_table() -> StateTable:
    """The table shipped with this adapter, parsed once."""
    raw: dict[str, Any] = yaml.safe_load(files("hh_hnp_harness").joinpath("state_map.yaml").read_text("utf-8"))
    machines = {
        name: MachineMap(
            machine=name,
            field=str(body["field"]),
            states={str(k): str(v) for k, v in body["states"].items()},
            not_observable={str(k): str(v) for k, v in (body.get("not_observable") or {}).items()},
            triggers={str(k): TriggerWay(**v) for k, v in (body.get("triggers") or {}).items()},
        )
        for name, body in raw["machines"].items()
    }
    return StateTable(machines, {str(k): str(v) for k, v in raw.get("not_applicable", {}).items()})
