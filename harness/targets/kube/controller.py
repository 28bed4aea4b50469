"""A small fabric controller: sets status.conditions Ready some time after each spec write.

Like Hedgehog's controller it works asynchronously: a client that wants Ready must
watch or poll. Whether an object becomes Ready is configurable for the whole server
(``outcome``) and per object with the annotation :data:`OUTCOME_ANNOTATION`, so a test
can make "wait until Ready" fail through the public API alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from harness.targets.kube.store import Key
from harness.targets.kube.writes import now

OUTCOME_ANNOTATION = "harness.githedgehog.com/ready-outcome"


class Outcome(StrEnum):
    """What the controller does with an object: mark it Ready, mark it failed, or never touch it."""

    READY = "True"
    FAILED = "False"
    NEVER = "Never"


@dataclass(frozen=True)
class ControllerConfig:
    """``ready_delay`` seconds after a spec write the outcome is applied."""

    ready_delay: float = 0.2
    outcome: Outcome = Outcome.READY


StatusWriter = Callable[[Key, int, dict[str, Any]], None]


def ready_condition(outcome: Outcome, generation: int) -> dict[str, Any]:
    """The Ready condition the controller writes for ``outcome``."""
    ok = outcome is Outcome.READY
    return {
        "type": "Ready",
        "status": outcome.value,
        "reason": "Applied" if ok else "ApplyFailed",
        "message": "the fabric applied the object" if ok else "the fabric could not apply the object",
        "lastTransitionTime": now(),
        "observedGeneration": generation,
    }


class FabricController:
    """Schedules a Ready condition per written generation on the server's event loop."""

    def __init__(self, config: ControllerConfig, write_status: StatusWriter) -> None:
        self.config = config
        self._write_status = write_status
        self._pending: dict[Key, asyncio.TimerHandle] = {}

    def observe(self, key: Key, obj: dict[str, Any]) -> None:
        """Called after a create or a spec change; replaces any pending work for the same object."""
        outcome = self._outcome(obj)
        if key in self._pending:
            self._pending.pop(key).cancel()
        if outcome is Outcome.NEVER:
            return
        generation = int(obj["metadata"].get("generation", 1))
        loop = asyncio.get_running_loop()
        self._pending[key] = loop.call_later(
            self.config.ready_delay, self._fire, key, generation, ready_condition(outcome, generation)
        )

    def forget(self, key: Key) -> None:
        """The object is gone: drop its pending work."""
        if key in self._pending:
            self._pending.pop(key).cancel()

    def cancel_all(self) -> None:
        """Stop everything scheduled (reset, shutdown)."""
        for handle in self._pending.values():
            handle.cancel()
        self._pending.clear()

    def _outcome(self, obj: dict[str, Any]) -> Outcome:
        annotations = obj.get("metadata", {}).get("annotations") or {}
        raw = annotations.get(OUTCOME_ANNOTATION)
        if raw is None:
            return self.config.outcome
        try:
            return Outcome(raw)
        except ValueError:
            return self.config.outcome

    def _fire(self, key: Key, generation: int, condition: dict[str, Any]) -> None:
        self._pending.pop(key, None)
        condition["lastTransitionTime"] = now()
        self._write_status(key, generation, condition)
