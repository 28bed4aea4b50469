"""Requests map to the contract operations they perform, at every boundary."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.proxy.match import OperationMatcher
from harness.spec.loader import load_specs
from harness.spec.models import SpecSet

ROOT = Path(__file__).resolve().parents[1]
SWITCHES = "/apis/wiring.githedgehog.com/v1beta1/namespaces/default/switches"


@pytest.fixture(scope="module")
def specs() -> SpecSet:
    loaded = load_specs([ROOT / "contracts"], ROOT / "specs" / "schema", ROOT)
    assert not loaded.diagnostics
    return loaded.specs


@pytest.mark.parametrize(
    ("boundary", "call", "expected"),
    [
        ("netbox", ("GET", "/api/dcim/devices/", {}), "netbox.dcim.devices.list"),
        ("netbox", ("PATCH", "/api/dcim/devices/42/", {}), "netbox.dcim.devices.update"),
        ("github", ("GET", "/repos/hedgehog/fabric/contents/managed/switches/leaf-01.yaml", {}), "github.contents.get"),
        ("github", ("PATCH", "/repos/hedgehog/fabric/git/refs/heads/hh/sync-1", {}), "github.git.update_ref"),
        ("github", ("GET", "/repos/hedgehog/fabric", {}), "github.repos.get"),
        ("kubernetes", ("GET", SWITCHES, {}), "k8s.switches.list"),
        ("kubernetes", ("GET", SWITCHES, {"watch": ["1"]}), "k8s.switches.watch"),
        ("kubernetes", ("GET", f"{SWITCHES}/leaf-01", {}), "k8s.switches.get"),
        ("kubernetes", ("PUT", f"{SWITCHES}/leaf-01", {}), "k8s.switches.update"),
        ("kubernetes", ("PATCH", f"{SWITCHES}/leaf-01", {}), "k8s.switches.patch"),
        ("kubernetes", ("PUT", f"{SWITCHES}/leaf-01/status", {}), "k8s.switches.update_status"),
        ("kubernetes", ("DELETE", f"{SWITCHES}/leaf-01", {}), "k8s.switches.delete"),
        ("kubernetes", ("POST", "/apis/vpc.githedgehog.com/v1beta1/namespaces/default/vpcs", {}), "k8s.vpcs.create"),
    ],
)
def test_requests_match_their_operation(
    specs: SpecSet, boundary: str, call: tuple[str, str, dict[str, list[str]]], expected: str
) -> None:
    match = OperationMatcher(specs, boundary).match(*call)
    assert match.finding is None and match.operation is not None
    assert match.operation.id == expected


def test_webhook_deliveries_are_told_apart_by_their_event_header(specs: SpecSet) -> None:
    matcher = OperationMatcher(specs, "webhook")
    push = matcher.match("POST", "/webhooks/github", headers=[("X-GitHub-Event", "push")])
    ping = matcher.match("POST", "/webhooks/github", headers=[("x-github-event", "ping")])
    issues = matcher.match("POST", "/webhooks/github", headers=[("X-GitHub-Event", "issues")])
    assert push.operation is not None and push.operation.id == "webhook.github.push"
    assert ping.operation is not None and ping.operation.id == "webhook.github.ping"
    assert issues.operation is None and issues.finding is not None


def test_a_wrong_plural_is_an_unknown_operation(specs: SpecSet) -> None:
    match = OperationMatcher(specs, "kubernetes").match("GET", "/apis/wiring.githedgehog.com/v1beta1/switchs")
    assert match.finding is not None and match.finding.kind == "unknown-operation"
    assert "switchs.wiring.githedgehog.com is in no kubernetes contract" in match.finding.message


def test_kubernetes_discovery_passes_through_unchecked(specs: SpecSet) -> None:
    matcher = OperationMatcher(specs, "kubernetes")
    for path in ("/api", "/apis", "/apis/wiring.githedgehog.com/v1beta1", "/version"):
        match = matcher.match("GET", path)
        assert match.passthrough and match.finding is None and match.operation is None


def test_an_unknown_boundary_is_a_clear_error(specs: SpecSet) -> None:
    with pytest.raises(ValueError, match="unknown boundary 'gitlab'; expected one of netbox, github"):
        OperationMatcher(specs, "gitlab")
