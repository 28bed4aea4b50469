"""The mapping invariants the world suite evaluates on the target branch: what is recorded for each
kind the branch holds, and what is a problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.generate.property import Context, check_objects
from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, schema_dir
from harness.targets.kube.server import load_registry
from harness.world.mapping import _record

ROOT = Path(__file__).resolve().parents[1]
SPECS = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs


class Events:
    """What a Recorder would write (the recording is not what these tests are about)."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, str]] = []

    def record(self, element: str, kind: str, verdict: str, detail: str, reproduction: str | None = None) -> None:
        self.records.append((element, verdict, detail))


@pytest.fixture(scope="module")
def ctx(crds_dir: Path) -> Context:
    return Context.build(SPECS, load_registry([crds_dir]), ROOT)


def _switch(name: str, api_version: str = "wiring.githedgehog.com/v1beta1") -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": "Switch", "metadata": {"name": name, "namespace": "default"},
            "spec": {"role": "server-leaf", "description": "a leaf"}}  # fmt: skip


def _files(objects: list[dict[str, Any]]) -> dict[str, bytes]:
    return {f"fabrics/hh-e2e/switches/{o['metadata']['name']}.yaml": b"..." for o in objects}


def test_a_branch_that_holds_the_render_passes_every_invariant_of_its_kinds(ctx: Context) -> None:
    objects = [_switch("leaf-01")]
    failures = check_objects(ctx, objects, _files(objects), {("Switch", "leaf-01")}, "fabrics", fabric="hh-e2e")
    events = Events()
    problems = _record(ctx, objects, failures, events, "a sync")  # type: ignore[arg-type]
    assert problems == []
    recorded = {element.rsplit(":", 1)[1] for element, verdict, _ in events.records if verdict == "pass"}
    assert {"valid_against_contract", "accepted_by_crd", "served_api_version", "dns_label_name"} <= recorded
    assert all(element.startswith("contracts/mappings/switch.yaml::") for element, _, _ in events.records)


def test_an_object_with_an_unserved_api_version_or_a_missing_name_is_a_problem(ctx: Context) -> None:
    objects = [_switch("leaf-01", "wiring.githedgehog.com/v1alpha2")]
    expected = {("Switch", "leaf-01"), ("Switch", "leaf-02")}
    failures = check_objects(ctx, objects, _files(objects), expected, "fabrics", fabric="hh-e2e")
    events = Events()
    problems = _record(ctx, objects, failures, events, "a sync")  # type: ignore[arg-type]
    broken = {element.rsplit(":", 1)[1] for element, verdict, _ in events.records if verdict == "fail"}
    assert {"served_api_version", "dns_label_name"} <= broken
    assert any("Switch.served_api_version" in p and "v1alpha2" in p for p in problems)
    assert any("Switch.dns_label_name" in p and "leaf-02" in p for p in problems)
