"""What a binding provides to the generated stateful tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class FireResult:
    """The system's answer to a trigger: accepted (and the state it reports) or refused with a code."""

    accepted: bool
    state: str
    code: str | None = None
    message: str = ""


class MachineBinding(Protocol):
    """Performs triggers on, and observes, the entities of state machines in a system under test.

    A fresh binding is made per Hypothesis example (a clean system), and closed after it."""

    def fire(self, machine_id: str, entity: str, trigger: str, dest: str | None) -> FireResult:
        """Ask the system to take ``trigger`` (towards ``dest`` when guards choose among several)."""
        ...

    def observe(self, machine_id: str, entity: str) -> str:
        """The state the system reports for ``entity``."""
        ...

    def invariant(self, machine_id: str, entity: str, name: str) -> bool | None:
        """Evaluate a named invariant on the system; None when this binding cannot observe it."""
        ...

    def close(self) -> None: ...
