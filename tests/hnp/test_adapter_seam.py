"""HNP through the adapter seam, as `harness run` reaches any implementation: its actions as
commands the harness runs, its observations in the shape of the observation contract."""

from __future__ import annotations

from typing import Any

import pytest
from hh_hnp_harness.client import HNPClient

from harness.adapter import Adapter, Endpoints, NotProvided
from harness.world.process import run_action


def test_observation_fits_the_observation_contract(
    hnp_adapter: Adapter, hnp_endpoints: Endpoints, fabric: dict[str, Any]
) -> None:
    """The adapter's observe hook answers in the contract's shape (Adapter.observe validates it)."""
    seen = hnp_adapter.observe(hnp_endpoints, fabric["name"])
    assert seen["fabric"]["fabric_sync"] == {"state": "never_synced"}
    assert seen["fabric"]["connections"]["cluster"] == {"state": "unknown"}


def test_sync_as_a_command_the_harness_runs(
    hnp_adapter: Adapter, hnp_endpoints: Endpoints, fabric: dict[str, Any], hnp: HNPClient
) -> None:
    """test_connection then sync, each a process the harness starts; exit 0 means HNP reported success."""
    probe = run_action(hnp_adapter.command("test_connection", hnp_endpoints, fabric=fabric["name"]))
    assert probe.returncode == 0, probe.stderr
    sync = run_action(hnp_adapter.command("sync", hnp_endpoints, fabric=fabric["name"]))
    observed = hnp_adapter.observe(hnp_endpoints, fabric["name"])["fabric"]["fabric_sync"]["state"]
    # exit status and observed state agree: success is never reported next to an error state
    assert (sync.returncode == 0) == (observed in ("in_sync", "out_of_sync")), (sync.returncode, sync.stderr, observed)


def test_actions_hnp_does_not_have_are_not_provided(hnp_adapter: Adapter, hnp_endpoints: Endpoints) -> None:
    """drift and import (the GitOps side) and a service: HNP has none at this commit; the seam says so."""
    for action in ("drift", "import"):
        try:
            hnp_adapter.command(action, hnp_endpoints, fabric="x")
        except NotProvided as exc:
            assert action in str(exc) or "harness_command" in str(exc)
        else:
            raise AssertionError(f"{action}: the HNP adapter offered a command for an action HNP does not have")
    assert not hnp_adapter.provides("harness_service")
    assert not hnp_adapter.provides("harness_renderer")


def test_machine_binding_fires_through_hnp_and_observes_through_rest(
    hnp_adapter: Adapter, hnp_endpoints: Endpoints, fabric: dict[str, Any]
) -> None:
    """The binding performs a trigger the way state_map.yaml declares it and reads the state back."""
    binding = hnp_adapter.machine_binding(hnp_endpoints)
    try:
        activated = binding.fire("fabric_status", fabric["name"], "activate", "active")
        assert (activated.accepted, activated.state) == (True, "active")
        tested = binding.fire("connection_status", fabric["name"], "start_test", None)
        assert (tested.accepted, tested.state) == (True, "connected")
        assert binding.observe("fabric_sync", fabric["name"]) == "never_synced"
        with pytest.raises(LookupError, match="not observable in HNP"):
            binding.observe("resource_lifecycle", fabric["name"])
    finally:
        binding.close()
