"""The deficient implementation's adapter (``--harness-adapter tests.deficient.adapter``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from harness.adapter import Command, Endpoints, FireResult, ImportIssue, MachineBinding, Renderer, Service, hookimpl

GROUPS = {"VPC": "vpc", "VPCAttachment": "vpc", "IPv4Namespace": "vpc"}


class NaiveRenderer:
    """One object per switch/server device, named as NetBox names it, under naive plural paths."""

    prefix = "fabrics"

    def render(self, site: Mapping[str, Any], records: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        objects = []
        for device in records.get("devices", []):
            kind = "Switch" if device.get("role") == "hedgehog-switch" else "Server"
            objects.append({
                "apiVersion": "wiring.githedgehog.com/v1alpha2",
                "kind": kind,
                "metadata": {"name": str(device.get("name")), "namespace": "default"},
                "spec": {},
            })  # fmt: skip
        return objects

    def files(self, fabric: str, objects: list[dict[str, Any]]) -> dict[str, bytes]:
        return {
            f"{self.prefix}/{fabric}/{o['kind'].lower()}s/{o['metadata']['name']}.yaml": yaml.safe_dump(o).encode()
            for o in objects
        }

    def reimport(self, files: Mapping[str, bytes]) -> tuple[list[dict[str, Any]], list[ImportIssue]]:
        return [yaml.safe_load(data) for data in files.values()], []


@cache
def _machines(spec_root: Path) -> dict[str, Any]:
    docs = (
        yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((spec_root / "state_machines").glob("*.yaml"))
    )
    return {doc["id"]: doc for doc in docs}


class AnyTriggerBinding:
    """Keeps a state per entity; any trigger the machine declares moves to its destination."""

    def __init__(self, spec_root: Path) -> None:
        self.machines = _machines(spec_root)
        self.states: dict[tuple[str, str], str] = {}

    def fire(self, machine_id: str, entity: str, trigger: str, dest: str | None) -> FireResult:
        machine = self.machines[machine_id]
        moves = [t for t in machine["transitions"] if t["trigger"] == trigger]
        if not moves:
            return FireResult(False, self.observe(machine_id, entity), "HH-STATE-001", "unknown trigger")
        target = dest or moves[0]["dest"]
        self.states[machine_id, entity] = target
        return FireResult(True, target)

    def observe(self, machine_id: str, entity: str) -> str:
        return self.states.get((machine_id, entity), str(self.machines[machine_id]["initial"]))

    def invariant(self, machine_id: str, entity: str, name: str) -> bool | None:
        return None

    def close(self) -> None:
        return None


@hookimpl
def harness_adapter_info() -> Mapping[str, str]:
    return {"name": "deficient", "version": "0"}


@hookimpl
def harness_renderer(spec_root: Path) -> Renderer:
    return NaiveRenderer()


@hookimpl
def harness_machine_binding(endpoints: Endpoints) -> MachineBinding:
    return AnyTriggerBinding(Path(endpoints.spec_root))


@hookimpl
def harness_service(endpoints: Endpoints, port: int) -> Service:
    queue = Path(endpoints.workdir) / "deliveries.jsonl"
    argv = [sys.executable, "-m", "tests.deficient.service", str(port), str(queue)]
    url = f"http://127.0.0.1:{port}"
    return Service(Command(argv, cwd=Path(__file__).resolve().parents[2], ready_url=f"{url}/healthz"), url)


@hookimpl
def harness_observe(endpoints: Endpoints, fabric: str) -> Mapping[str, Any]:
    queue = Path(endpoints.workdir) / "deliveries.jsonl"
    lines = queue.read_text(encoding="utf-8").splitlines() if queue.exists() else []
    return {"fabric": {"name": fabric}, "resources": [], "alerts": [], "open_syncs": [json.loads(x) for x in lines]}
