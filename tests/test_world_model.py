"""The world suite's own model and choices, offline: what it predicts of the intent, which catalog
faults a world step arms, and how a removed cable is written back to NetBox."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, schema_dir
from harness.suites.world import TOUR, Model, WorldRunError, _cable_body, load_world_run, save_world_run, world_faults
from harness.suites.world_review import TOUR as REVIEW_TOUR
from harness.world.history import Machines, changes_between, check_changes

ROOT = Path(__file__).resolve().parents[1]


def test_two_mtu_flips_or_a_cable_put_back_are_the_intent_the_last_sync_saw() -> None:
    model = Model()
    model.mtu_flipped = True
    assert model.intent_changed
    model.mtu_flipped = False
    assert not model.intent_changed
    model.removed = [{"a_terminations": []}]
    assert model.intent_changed
    model.synced()
    assert not model.intent_changed
    model.removed = []  # put back after a sync that saw it gone: a change again
    assert model.intent_changed


def test_a_completed_sync_ends_the_uncertainty_a_failed_one_left() -> None:
    model = Model(uncertain=True)
    model.edited.add("Switch/leaf-01")
    model.synced()
    assert not model.uncertain
    assert not model.cluster_changed


def test_a_hand_change_replaces_the_last_one_and_is_unseen_until_a_sync() -> None:
    model = Model()
    model.changed_by_hand("Switch/leaf-01", "edited")
    model.changed_by_hand("Switch/leaf-01", "reverted")
    assert (model.edited, model.reverted, model.unseen) == (set(), {"Switch/leaf-01"}, {"switches/leaf-01"})
    model.changed_by_hand("Connection/server-07--unbundled--leaf-03", "deleted")
    assert model.deleted == {"Connection/server-07--unbundled--leaf-03"}
    assert "connections/server-07--unbundled--leaf-03" in model.unseen
    assert model.cluster_changed  # reverted alone would not be: deleted is
    model.synced()
    assert not (model.edited or model.reverted or model.deleted or model.unseen)


def test_world_faults_are_unretried_http_statuses_outside_pull_requests() -> None:
    specs = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs
    cases = world_faults(specs, ROOT)
    assert cases, "the catalog has unretried HTTP-status recipes"
    for case in cases:
        assert case.kind == "http_status"
        assert not case.entry.retryable
        assert not str(case.entry.inject["operation"]).startswith("github.pulls.")
    codes = {c.code for c in cases}
    assert "HH-AUTH-021" in codes  # a refused Connection delete: what a removed cable's prune meets
    assert "HH-GIT-003" not in codes  # retried with backoff: too slow for a world step


def test_a_removed_cable_is_written_back_with_values_not_nested_objects() -> None:
    listed = {
        "id": 7,
        "status": {"value": "connected", "label": "Connected"},
        "a_terminations": [{"object_type": "dcim.interface", "object_id": 11, "object": {"id": 11}}],
        "b_terminations": [{"object_type": "dcim.interface", "object_id": 12, "object": {"id": 12}}],
        "custom_fields": {
            "hh_connection": "server-07--unbundled--leaf-03",
            "hh_connection_kind": {"value": "unbundled", "label": "unbundled"},
            "hh_vpc_subnets": [{"id": 3, "display": "10.0.0.0/24"}],
            "hh_native_vlan_subnet": None,
            "hh_mtu": 9000,
        },
    }
    body = _cable_body(listed)
    assert body == {
        "a_terminations": [{"object_type": "dcim.interface", "object_id": 11}],
        "b_terminations": [{"object_type": "dcim.interface", "object_id": 12}],
        "status": "connected",
        "custom_fields": {
            "hh_connection": "server-07--unbundled--leaf-03",
            "hh_connection_kind": "unbundled",
            "hh_vpc_subnets": [3],
            "hh_native_vlan_subnet": None,
            "hh_mtu": 9000,
        },
    }


def _machines() -> Machines:
    return Machines.of(load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs)


def _change(n: int, machine: str, entity: str, src: str | None, dest: str) -> dict[str, object]:
    return {"id": n, "machine": machine, "entity": entity, "from": src, "to": dest, "trigger": "t"}


def test_a_sync_reported_change_by_change_takes_each_declared_edge() -> None:
    before = {("fabric_sync", "f"): "in_sync", ("resource_lifecycle", "switches/leaf-01"): "synced"}
    after = {("fabric_sync", "f"): "in_sync", ("resource_lifecycle", "switches/leaf-01"): "synced",
             ("reconciliation_alert", "f/4"): "active"}  # fmt: skip
    changes = [
        _change(1, "fabric_sync", "f", "in_sync", "syncing"),
        _change(2, "resource_lifecycle", "switches/leaf-01", "synced", "committed"),
        _change(3, "resource_lifecycle", "switches/leaf-01", "committed", "pending"),
        _change(4, "resource_lifecycle", "switches/leaf-01", "pending", "synced"),
        _change(5, "reconciliation_alert", "4", None, "active"),
        _change(6, "fabric_sync", "f", "syncing", "in_sync"),
    ]
    checked = check_changes(_machines(), "f", changes, before, after)
    assert checked.problems == []
    assert checked.taken == [
        ("fabric_sync", "in_sync", "syncing"),
        ("resource_lifecycle", "synced", "committed"),
        ("resource_lifecycle", "committed", "pending"),
        ("resource_lifecycle", "pending", "synced"),
        ("fabric_sync", "syncing", "in_sync"),
    ]


def test_undeclared_discontinuous_or_unfinished_changes_are_problems() -> None:
    machines = _machines()
    before = {("fabric_sync", "f"): "in_sync", ("resource_lifecycle", "switches/leaf-01"): "synced"}
    undeclared = check_changes(machines, "f", [_change(1, "fabric_sync", "f", "in_sync", "error")], before,
                               {("fabric_sync", "f"): "error"})  # fmt: skip
    assert undeclared.taken == [] and "declares no such transition" in undeclared.problems[0]
    jumped = check_changes(machines, "f", [_change(1, "fabric_sync", "f", "error", "syncing")], before,
                           {("fabric_sync", "f"): "syncing"})  # fmt: skip
    assert any("it was 'in_sync' there, not 'error'" in p for p in jumped.problems)
    unfinished = check_changes(machines, "f", [_change(1, "fabric_sync", "f", "in_sync", "syncing")], before,
                               {("fabric_sync", "f"): "in_sync"})  # fmt: skip
    assert any("leaves it 'syncing'" in p for p in unfinished.problems)
    reborn = check_changes(machines, "f", [_change(1, "resource_lifecycle", "switches/leaf-01", None, "draft")],
                           before, {})  # fmt: skip
    assert any("cannot start a new life" in p for p in reborn.problems)
    born_late = check_changes(machines, "f", [_change(1, "resource_lifecycle", "switches/x", None, "synced")], {}, {})
    assert any("comes into being in 'draft'" in p for p in born_late.problems)


def test_a_saved_world_run_reads_back_and_a_bad_one_names_its_field(tmp_path: Path) -> None:
    rules = ["sync", "edit_managed_object"]
    steps = [{"rule": "edit_managed_object", "picks": {"switch": "leaf-01"}}, {"rule": "sync", "picks": {}}]
    path = save_world_run(tmp_path, steps, "AssertionError: after a sync fabric_sync is 'error'")
    assert path.name == "world.yaml" and path.parent.name.startswith("world-")
    assert load_world_run(path, rules) == steps
    assert save_world_run(tmp_path, steps, "another message") == path  # named by its steps
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: WorldRun\nsteps:\n  - {rule: sink}\n", encoding="utf-8")
    with pytest.raises(WorldRunError, match=r"bad.yaml: steps\[0\].rule must be one of edit_managed_object, sync"):
        load_world_run(bad, rules)
    bad.write_text("kind: Regression\n", encoding="utf-8")
    with pytest.raises(WorldRunError, match="kind must be WorldRun"):
        load_world_run(bad, rules)


@pytest.mark.parametrize(("module", "tour"), [("world.py", TOUR), ("world_review.py", REVIEW_TOUR)])
def test_the_tour_takes_every_world_rule(module: str, tour: tuple[dict[str, object], ...]) -> None:
    import ast  # noqa: PLC0415

    source = (ROOT / "harness" / "suites" / module).read_text(encoding="utf-8")
    rules = {node.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef)
             and any(ast.unparse(d).startswith("rule(") for d in node.decorator_list)}  # fmt: skip
    assert rules and rules == {step["rule"] for step in tour}


def test_without_a_report_the_ends_of_a_step_show_declared_edges_and_paths() -> None:
    machines = _machines()
    assert machines.reachable("pull_request", "open", "merged")
    assert machines.reachable("pull_request", "merged", "open")  # a final state: a new life from none
    assert not machines.reachable("pull_request", "open", "none")
    assert not machines.reachable("connection_status", "failed", "unknown")
    before = {("fabric_sync", "f"): "in_sync", ("pull_request", "3"): "open", ("reconciliation_alert", "f/1"): "active"}
    after = {("fabric_sync", "f"): "awaiting_merge", ("pull_request", "3"): "mergeable",
             ("reconciliation_alert", "f/1"): "suppressed"}  # fmt: skip
    seen = changes_between(machines, "f", before, after, through="syncing", source="in_sync")
    assert {("fabric_sync", "in_sync", "syncing"), ("fabric_sync", "syncing", "awaiting_merge")} <= set(seen.taken)
    assert ("reconciliation_alert", "active", "suppressed") in seen.taken
    assert seen.problems == []  # open -> mergeable: not one edge, but a declared path (through checks_pending)
    back = changes_between(machines, "f", {("pull_request", "3"): "checks_failed"}, {("pull_request", "3"): "none"})
    assert back.taken == [] and "no declared path" in back.problems[0]
    jumped = changes_between(machines, "f", {("fabric_sync", "f"): "in_sync"}, {("fabric_sync", "f"): "awaiting_merge"})
    assert jumped.taken == [] and "does not declare" in jumped.problems[0]
