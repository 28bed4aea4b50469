"""The world suite's own model and choices, offline: what it predicts of the intent, which catalog
faults a world step arms, and how a removed cable is written back to NetBox."""

from __future__ import annotations

from pathlib import Path

from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, schema_dir
from harness.suites.world import Model, _cable_body, world_faults

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
