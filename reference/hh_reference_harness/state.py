"""The reference's state layer as a :class:`harness.adapter.MachineBinding`: its public Python API
(``hh_reference.store.Store``) on a fresh SQLite file per example; triggers are taken the way the
integration takes them, and the states it persists are observed."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from hh_reference.errors import IntegrationError
from hh_reference.machines import StateMachineRegistry
from hh_reference.specs import ErrorCatalog, load_catalog
from hh_reference.store import Store

from harness.adapter import FireResult


@cache
def specs_of(spec_root: Path) -> tuple[StateMachineRegistry, ErrorCatalog]:
    """The machines and the catalog, read once per process (not once per Hypothesis example)."""
    return StateMachineRegistry(spec_root), load_catalog(spec_root)


class ReferenceStateBinding:
    """One clean store per instance (per Hypothesis example)."""

    def __init__(self, spec_root: Path) -> None:
        self._error_type: type[Exception] = IntegrationError
        self._dir = tempfile.TemporaryDirectory(prefix="hh-binding-")
        registry, catalog = specs_of(spec_root.resolve())
        self.store: Any = Store(Path(self._dir.name) / "state.sqlite3", registry, catalog)

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
