"""Binding for the reference integration's state layer, through its public Python API
(``hh_reference.store.Store``) on a fresh SQLite file: triggers are taken the way the
integration takes them, and the states it persists are observed."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from harness.bindings.base import FireResult


class ReferenceStateBinding:
    """One clean store per instance (per Hypothesis example)."""

    def __init__(self, spec_root: Path) -> None:
        # Imported here: the harness must work without the reference installed, and only
        # this binding knows the reference's public API.
        from hh_reference.errors import IntegrationError  # noqa: PLC0415
        from hh_reference.machines import StateMachineRegistry  # noqa: PLC0415
        from hh_reference.specs import load_catalog  # noqa: PLC0415
        from hh_reference.store import Store  # noqa: PLC0415

        self._error_type: type[Exception] = IntegrationError
        self._dir = tempfile.TemporaryDirectory(prefix="hh-binding-")
        self.store: Any = Store(
            Path(self._dir.name) / "state.sqlite3", StateMachineRegistry(spec_root), load_catalog(spec_root)
        )

    def fire(self, machine_id: str, entity: str, trigger: str, dest: str | None) -> FireResult:
        try:
            state = self.store.fire(machine_id, entity, trigger, dest=dest)
        except self._error_type as exc:
            return FireResult(False, self.observe(machine_id, entity), getattr(exc, "code", None), str(exc))
        return FireResult(True, str(state))

    def observe(self, machine_id: str, entity: str) -> str:
        return str(self.store.state(machine_id, entity))

    def invariant(self, machine_id: str, entity: str, name: str) -> bool | None:
        return None  # the state layer alone cannot see NetBox, Git or the cluster

    def close(self) -> None:
        self.store.close()
        self._dir.cleanup()
