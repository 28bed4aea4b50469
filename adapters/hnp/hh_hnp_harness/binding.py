"""Drive the harness's state machines through HNP's own interfaces, and read the states back.

Each trigger is performed the way the declared table (state_map.yaml) says: a REST PATCH of
the fabric's field, a session action (test-connection, sync), or creating the fabric. States are
read through REST and translated by the same table; a machine HNP has no field for raises
``LookupError`` naming the reason, so the caller can report it as not observable.
"""

from __future__ import annotations

from typing import Any

from harness.adapter import FireResult
from hh_hnp_harness.client import HNPClient
from hh_hnp_harness.configure import ensure_fabric
from hh_hnp_harness.states import MachineMap, state_table


class HNPBinding:
    """A MachineBinding over one HNP fabric (``entity`` is the fabric's name)."""

    def __init__(self, client: HNPClient, kube_server: str) -> None:
        self.client = client
        self.kube_server = kube_server

    def _map(self, machine_id: str) -> MachineMap:
        table = state_table()
        if machine_id in table.not_applicable:
            raise LookupError(f"{machine_id}: not observable in HNP ({table.not_applicable[machine_id]})")
        if machine_id not in table.machines:
            raise LookupError(f"{machine_id}: the HNP state table does not map this machine")
        return table.machines[machine_id]

    def fabric(self, name: str) -> dict[str, Any] | None:
        found = self.client.named("fabrics", name)
        return found[0] if found else None

    def fire(self, machine_id: str, entity: str, trigger: str, dest: str | None) -> FireResult:
        mapping = self._map(machine_id)
        way = mapping.triggers.get(trigger)
        if way is None:
            raise LookupError(f"{machine_id}.{trigger}: HNP offers no way to perform it")
        if way.via == "rest_create":
            ensure_fabric(self.client, entity, self.kube_server)
            return FireResult(True, self.observe(machine_id, entity))
        fabric = self.fabric(entity)
        if fabric is None:
            return FireResult(False, "absent", message=f"no fabric {entity!r}")
        if way.via == "rest_patch":
            response = self.client.patch("fabrics", fabric["id"], {mapping.field: way.value})
            return FireResult(response.is_success, self.observe(machine_id, entity), message=response.text[:300])
        reply = self.client.action(fabric["id"], str(way.action))
        accepted = bool(reply.body and reply.body.get("success"))
        message = str((reply.body or {}).get("error") or (reply.body or {}).get("message") or reply.text[:300])
        return FireResult(accepted, self.observe(machine_id, entity), message=message)

    def observe(self, machine_id: str, entity: str) -> str:
        mapping = self._map(machine_id)
        fabric = self.fabric(entity)
        if fabric is None:
            return "absent"
        return mapping.state_of(str(fabric[mapping.field]))

    def invariant(self, machine_id: str, entity: str, name: str) -> bool | None:
        return None  # HNP exposes nothing the machines' invariants are stated over

    def close(self) -> None:
        self.client.close()
