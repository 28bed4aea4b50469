"""The fabric status, connection and sync machines, driven through HNP's own interfaces.

What a REST client can do to the status fields: for every transition a machine forbids, put the
fabric in the source state through REST and ask for the destination. What HNP's actions do: test
connection and sync against the stand-in, through the contract proxy. States HNP cannot show are
reported from the adapter's declared table, never skipped.
"""

from __future__ import annotations

from typing import Any

import pytest
from hh_hnp_harness.client import HNPClient
from hh_hnp_harness.findings import Observed
from hh_hnp_harness.states import state_table

from harness.proxy.server import ContractProxy
from harness.spec.models import SpecSet

MACHINES = ("fabric_sync", "fabric_status", "connection_status")


@pytest.mark.parametrize("machine_id", MACHINES)
def test_rest_client_cannot_take_forbidden_transitions(
    machine_id: str, harness_specs: SpecSet, hnp: HNPClient, fabric: dict[str, Any], findings: Observed
) -> None:
    machine = harness_specs.machine(machine_id)
    assert machine is not None
    mapping = state_table().machines[machine_id]
    taken = []
    for forbidden in machine.forbidden:
        sources, dests = mapping.hnp_values(forbidden.source), mapping.hnp_values(forbidden.dest)
        if not sources or not dests:
            continue  # a state HNP cannot show; reported by test_unobservable_states_are_declared
        set_source = hnp.patch("fabrics", fabric["id"], {mapping.field: sources[0]})
        if not set_source.is_success:
            continue  # HNP refuses to enter the source through REST, so it cannot leave it through REST either
        response = hnp.patch("fabrics", fabric["id"], {mapping.field: dests[0]})
        if response.is_success and mapping.state_of(hnp.get("fabrics", fabric["id"])[mapping.field]) == forbidden.dest:
            taken.append(
                f"{forbidden.source}->{forbidden.dest} (PATCH {mapping.field}={dests[0]!r}: {response.status_code})"
            )
    if taken:
        findings.add(f"HNP-REST-{machine_id}", "; ".join(taken))
    findings.verify()


@pytest.mark.parametrize("machine_id", MACHINES)
def test_unobservable_states_are_declared(machine_id: str, harness_specs: SpecSet) -> None:
    """Every state of the machine is mapped from an HNP value or declared not observable with a reason."""
    machine = harness_specs.machine(machine_id)
    assert machine is not None
    mapping = state_table().machines[machine_id]
    undeclared = [
        s.name for s in machine.states if not mapping.hnp_values(s.name) and s.name not in mapping.not_observable
    ]
    assert not undeclared, f"{machine_id}: states neither mapped nor declared not observable: {undeclared}"
    assert all(reason.strip() for reason in mapping.not_observable.values())


def test_hnp_values_all_map_to_machine_states(harness_specs: SpecSet) -> None:
    """The table maps every HNP value onto a state the machine has (a typo would hide a state)."""
    for machine_id, mapping in state_table().machines.items():
        machine = harness_specs.machine(machine_id)
        assert machine is not None
        names = {s.name for s in machine.states}
        assert set(mapping.states.values()) <= names, f"{machine_id}: {set(mapping.states.values()) - names}"


def test_connection_test_against_the_standin(
    hnp: HNPClient, fabric: dict[str, Any], kube_proxy: ContractProxy, findings: Observed
) -> None:
    """connection_status: unknown -> (testing) -> connected through the test-connection action."""
    reply = hnp.action(fabric["id"], "test-connection")
    assert reply.body is not None, f"test-connection answered {reply.status} {reply.content_type}"
    state = state_table().machines["connection_status"].state_of(hnp.get("fabrics", fabric["id"])["connection_status"])
    assert reply.body.get("success") is True and state == "connected", (reply.body, state)
    paths = sorted({e.path for e in kube_proxy.exchanges})
    # the spec's probe is a read of the Hedgehog API (k8s.switches.list); HNP probes /version and namespaces
    if not any("switches" in p for p in paths):
        findings.add("HNP-PROBE", f"test-connection requested only {paths}")
    findings.verify()


def test_sync_of_an_empty_cluster(hnp: HNPClient, fabric: dict[str, Any], findings: Observed) -> None:
    """fabric_sync from never_synced: a completed sync of an empty fabric ends in_sync (nothing differs)."""
    connected = hnp.action(fabric["id"], "test-connection")
    assert connected.body is not None and connected.body.get("success") is True, connected.body
    reply = hnp.action(fabric["id"], "sync")
    state = state_table().machines["fabric_sync"].state_of(hnp.get("fabrics", fabric["id"])["sync_status"])
    if state != "in_sync":
        findings.add("HNP-SYNC-EMPTY", f"sync of an empty cluster answered {reply.body} and left sync_status {state}")
    findings.verify()


def test_sync_without_a_tested_connection_is_refused_without_a_state_change(
    hnp: HNPClient, fabric: dict[str, Any], findings: Observed
) -> None:
    """start_sync's guard cluster_connected: refused, and sync_status stays never_synced."""
    reply = hnp.action(fabric["id"], "sync")
    assert reply.body is not None and reply.body.get("success") is False, reply.body
    state = state_table().machines["fabric_sync"].state_of(hnp.get("fabrics", fabric["id"])["sync_status"])
    if state != "never_synced":
        findings.add("HNP-GUARD", f"refused sync ({reply.body.get('error')}) moved sync_status never_synced -> {state}")
    findings.verify()


def test_actions_the_way_an_api_client_calls_them(hnp: HNPClient, fabric: dict[str, Any], findings: Observed) -> None:
    """With the API token and no session: HNP's actions, and its REST endpoints /sync/ and /status/."""
    refused = []
    for action in ("test-connection", "sync"):
        reply = hnp.action(fabric["id"], action, logged_in=False)
        if reply.body is None:
            refused.append(f"POST /plugins/hedgehog/fabrics/<pk>/{action}/ -> {reply.status} {reply.content_type}")
    if refused:
        findings.add("HNP-SESSION-ONLY", "; ".join(refused))
    before = hnp.get("fabrics", fabric["id"])
    sync = hnp.rest.post("/api/plugins/hedgehog/sync/", json={"fabric": fabric["id"]})
    status = hnp.rest.get("/api/plugins/hedgehog/status/")
    after = hnp.get("fabrics", fabric["id"])
    broken = [
        f"{r.request.method} {r.request.url.path} -> {r.status_code}" for r in (sync, status) if r.status_code >= 500
    ]
    if broken:
        findings.add("HNP-REST-ENDPOINTS-500", "; ".join(broken) + f": {sync.text[:120]}")
    unchanged = (before["sync_status"], before["last_sync"]) == (after["sync_status"], after["last_sync"])
    if sync.is_success and unchanged:
        findings.add(
            "HNP-REST-SYNC-STUB", f"POST /api/plugins/hedgehog/sync/ -> {sync.status_code}, sync_status unchanged"
        )
    findings.verify()


def test_fabric_rest_does_not_disclose_the_cluster_token(
    hnp: HNPClient, fabric: dict[str, Any], findings: Observed
) -> None:
    """The bearer token HNP uses for the cluster is a secret: REST must not return it."""
    row = hnp.get("fabrics", fabric["id"])
    if row.get("kubernetes_token"):
        findings.add(
            "HNP-TOKEN-LEAK", "GET /api/plugins/hedgehog/fabrics/<pk>/ returns kubernetes_token (value not shown)"
        )
    findings.verify()


def test_any_logged_in_user_can_sync(hnp: HNPClient, fabric: dict[str, Any], findings: Observed) -> None:
    """The configured login user has no object permissions; a change to the fabric must need change permission."""
    reply = hnp.action(fabric["id"], "test-connection")
    if reply.body is not None:
        findings.add(
            "HNP-NO-PERMISSION-CHECK",
            f"a user without permissions ran test-connection: {reply.status}, success={reply.body.get('success')}",
        )
    findings.verify()
