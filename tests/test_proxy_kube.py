"""The contract proxy in front of the Kubernetes stand-in, driven by the official kubernetes client.

The client is pointed at the proxy through a kubeconfig, exactly as the integration would be;
every assertion is about what the client saw or what the proxy recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
from urllib3.exceptions import ProtocolError

from harness.proxy.server import ContractProxy
from harness.replay.cassette import load_cassette
from harness.spec.loader import load_specs
from harness.spec.models import SpecSet
from harness.targets.base import wait_for
from harness.targets.kube.kubeconfig import write_kubeconfig
from harness.targets.kube.local import LocalKube

ROOT = Path(__file__).resolve().parents[1]
WIRING, V, NS = "wiring.githedgehog.com", "v1beta1", "default"


@pytest.fixture(scope="module")
def specs() -> SpecSet:
    loaded = load_specs([ROOT / "contracts", ROOT / "specs" / "errors"], ROOT / "specs" / "schema", ROOT)
    assert not loaded.diagnostics
    return loaded.specs


@pytest.fixture(scope="module")
def started() -> Iterator[tuple[LocalKube, str]]:
    target = LocalKube(ready_delay=30)  # no status writes racing the replace calls
    endpoint = target.start()
    yield target, endpoint.url
    target.stop()


@pytest.fixture
def proxy(started: tuple[LocalKube, str], specs: SpecSet) -> Iterator[ContractProxy]:
    kube, kube_url = started
    kube.reset()
    with ContractProxy(kube_url, specs, "kubernetes") as running:
        yield running


@pytest.fixture
def custom(proxy: ContractProxy, tmp_path: Path) -> Iterator[client.CustomObjectsApi]:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", proxy.url)
    api = config.new_client_from_config(config_file=str(kubeconfig))
    yield client.CustomObjectsApi(api)
    api.close()


def switch(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": f"{WIRING}/{V}", "kind": "Switch", "metadata": {"name": name},
            "spec": {"role": "server-leaf", **spec}}  # fmt: skip


def ops(proxy: ContractProxy) -> list[str | None]:
    return [ex.operation_id for ex in proxy.exchanges]


def test_client_calls_are_recorded_and_matched_to_contract_operations(
    proxy: ContractProxy, custom: client.CustomObjectsApi
) -> None:
    created = custom.create_namespaced_custom_object(WIRING, V, NS, "switches", switch("leaf-01"))
    custom.get_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01")
    custom.list_namespaced_custom_object(WIRING, V, NS, "switches")
    custom.patch_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01", {"spec": {"asn": 65101}})
    current = custom.get_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01")
    custom.replace_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01", current)
    custom.delete_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01")

    assert ops(proxy) == [
        "k8s.switches.create", "k8s.switches.get", "k8s.switches.list", "k8s.switches.patch",
        "k8s.switches.get", "k8s.switches.update", "k8s.switches.delete",
    ]  # fmt: skip
    assert proxy.findings == []
    first = proxy.exchanges[0]
    assert first.status == 201 and json.loads(first.response_body)["metadata"]["uid"] == created["metadata"]["uid"]
    assert first.path_params == {"group": WIRING, "version": V, "namespace": NS, "plural": "switches"}


def test_a_request_body_outside_the_contract_is_reported(proxy: ContractProxy, custom: client.CustomObjectsApi) -> None:
    # The stand-in accepts what the CRD allows; the contract is stricter (asn >= 1).
    custom.create_namespaced_custom_object(WIRING, V, NS, "switches", switch("leaf-01", asn=0))
    [finding] = [f for f in proxy.findings if f.part == "request.body"]
    assert (finding.kind, finding.operation_id, finding.pointer) == ("schema", "k8s.switches.create", "/spec/asn")


def test_a_retired_api_version_is_an_unknown_operation(proxy: ContractProxy, custom: client.CustomObjectsApi) -> None:
    with pytest.raises(ApiException):
        custom.list_namespaced_custom_object(WIRING, "v1alpha2", NS, "switches")
    [finding] = proxy.findings
    assert finding.kind == "unknown-operation"
    assert "v1alpha2 is not served for switches; the contract has wiring.githedgehog.com/v1beta1" in finding.message


def test_watch_events_stream_through_before_the_watch_ends(
    proxy: ContractProxy, custom: client.CustomObjectsApi
) -> None:
    created = custom.create_namespaced_custom_object(WIRING, V, NS, "switches", switch("leaf-01"))
    seen: list[str] = []
    w = watch.Watch()

    def run() -> None:
        try:
            since = created["metadata"]["resourceVersion"]
            stream = w.stream(custom.list_namespaced_custom_object, WIRING, V, NS, "switches",
                              resource_version=since, timeout_seconds=60)  # fmt: skip
            for event in stream:
                seen.append(f"{event['type']} {event['object']['spec'].get('asn')}")
        except ProtocolError:
            seen.append("closed")  # Watch.stop() shuts the client's socket down under the read

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    custom.patch_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01", {"spec": {"asn": 65101}})
    # The server keeps this watch open for 60 s; a buffering proxy would deliver nothing until then.
    wait_for(lambda: "MODIFIED 65101" in seen, 10, "the MODIFIED event through the proxy")
    w.stop()
    thread.join(10)
    assert not thread.is_alive()
    # The next event meets the closed client socket, which ends the relay and records the exchange.
    custom.patch_namespaced_custom_object(WIRING, V, NS, "switches", "leaf-01", {"spec": {"asn": 65102}})
    wait_for(lambda: "k8s.switches.watch" in ops(proxy), 10, "the watch exchange to be recorded")
    [watched] = [ex for ex in proxy.exchanges if ex.operation_id == "k8s.switches.watch"]
    assert b"65101" in watched.response_body, watched.reason


def test_http_status_fault_fires_exactly_times_then_upstream_answers(
    proxy: ContractProxy, custom: client.CustomObjectsApi, specs: SpecSet
) -> None:
    entry = specs.errors()["HH-K8S-006"]  # 429 with retry-after, twice (its recipe's operation is a prune's delete)
    injection = proxy.inject({**entry.inject, "operation": "k8s.switches.list"}, code=entry.code)
    # urllib3 under the kubernetes client honours Retry-After on 429: one call, three requests.
    listing = custom.list_namespaced_custom_object(WIRING, V, NS, "switches")
    assert listing["items"] == []
    assert [ex.status for ex in proxy.exchanges] == [429, 429, 200]
    first = proxy.exchanges[0]
    assert (
        first.response_header("retry-after") == "1" and json.loads(first.response_body)["reason"] == "TooManyRequests"
    )
    assert injection.fired == 2
    assert [ex.fault for ex in proxy.exchanges] == ["HH-K8S-006", "HH-K8S-006", None]
    assert proxy.exchanges[0].error_codes == ["HH-K8S-006"] and proxy.findings == []


def test_connection_reset_fault_drops_the_connection_times_times(proxy: ContractProxy, specs: SpecSet) -> None:
    entry = specs.errors()["HH-NET-020"]  # connection_reset on k8s.switches.update, twice
    proxy.inject(entry.inject, code=entry.code)
    url = f"{proxy.url}/apis/{WIRING}/{V}/namespaces/{NS}/switches/leaf-01"
    outcomes = []
    with httpx.Client(timeout=5) as http:  # httpx does not retry, so every reset is visible
        for _ in range(3):
            try:
                outcomes.append(http.put(url, json=switch("leaf-01")).status_code)
            except httpx.TransportError as exc:
                outcomes.append(type(exc).__name__)
    assert outcomes[:2] == ["ReadError", "ReadError"]  # ECONNRESET: a reset, not a clean close
    assert outcomes[2] == 404  # forwarded: the stand-in has no leaf-01 to replace
    assert proxy.injections[0].fired == 2
    assert [ex.status for ex in proxy.exchanges] == [None, None, 404]


def test_timeout_fault_holds_the_request_then_closes(proxy: ContractProxy, specs: SpecSet) -> None:
    entry = specs.errors()["HH-NET-021"]  # timeout on k8s.servers.get, once (12 s in the catalog)
    proxy.inject({**entry.inject, "delay_s": 0.5}, code=entry.code)
    url = f"{proxy.url}/apis/{WIRING}/{V}/namespaces/{NS}/servers/server-01"
    with httpx.Client(timeout=5) as http:
        started = time.monotonic()
        with pytest.raises(httpx.TransportError):
            http.get(url)
        assert time.monotonic() - started >= 0.45
        assert http.get(url).status_code == 404
    assert proxy.injections[0].fired == 1


def test_kubernetes_conflict_fault_answers_a_real_status(
    proxy: ContractProxy, custom: client.CustomObjectsApi, specs: SpecSet
) -> None:
    entry = specs.errors()["HH-K8S-001"]  # kubernetes_conflict on k8s.connections.update, once
    proxy.inject(entry.inject, code=entry.code)
    conn = {"apiVersion": f"{WIRING}/{V}", "kind": "Connection", "metadata": {"name": "spine-01--fabric--leaf-01"},
            "spec": {"fabric": {"links": [{"spine": {"port": "spine-01/E1/1", "ip": "172.30.128.0/31"},
                                           "leaf": {"port": "leaf-01/E1/49", "ip": "172.30.128.1/31"}}]}}}  # fmt: skip
    current = custom.create_namespaced_custom_object(WIRING, V, NS, "connections", conn)
    name = conn["metadata"]["name"]
    with pytest.raises(ApiException) as info:
        custom.replace_namespaced_custom_object(WIRING, V, NS, "connections", name, current)
    status = json.loads(info.value.body)
    assert info.value.status == 409 and status["reason"] == "Conflict" and status["kind"] == "Status"
    assert status["details"] == {"name": name, "group": WIRING, "kind": "connections"}
    assert "the object has been modified" in status["message"]
    custom.replace_namespaced_custom_object(WIRING, V, NS, "connections", name, current)
    assert proxy.injections[0].fired == 1 and "HH-K8S-001" in proxy.exchanges[1].error_codes


def test_invalid_response_fault_is_reported_as_unparseable(
    proxy: ContractProxy, custom: client.CustomObjectsApi
) -> None:
    custom.create_namespaced_custom_object(WIRING, V, NS, "switches", switch("leaf-01"))
    recipe = {"kind": "invalid_response", "operation": "k8s.switches.get", "body": "<html>sign in</html>"}
    proxy.inject(recipe, code="TEST-INVALID")
    with httpx.Client(timeout=5) as http:
        answer = http.get(f"{proxy.url}/apis/{WIRING}/{V}/namespaces/{NS}/switches/leaf-01")
    assert answer.status_code == 200 and answer.text == "<html>sign in</html>"
    [finding] = proxy.findings
    assert (finding.kind, finding.operation_id, finding.part) == ("unparseable", "k8s.switches.get", "response.body")


def test_a_recipe_the_proxy_cannot_run_is_refused_with_its_code(proxy: ContractProxy, specs: SpecSet) -> None:
    entry = specs.errors()["HH-K8S-003"]  # crd_missing: the Kubernetes target's job
    with pytest.raises(ValueError, match=r"HH-K8S-003: inject\.kind 'crd_missing' is not executed by the proxy"):
        proxy.inject(entry.inject, code=entry.code)
    with pytest.raises(ValueError, match=r"'k8s\.nothing\.get' is no operation"):
        proxy.inject({"kind": "http_status", "operation": "k8s.nothing.get", "status": 500}, code="X")


def test_recorded_kube_exchanges_round_trip_through_a_cassette(
    proxy: ContractProxy, custom: client.CustomObjectsApi, specs: SpecSet, tmp_path: Path
) -> None:
    custom.create_namespaced_custom_object(WIRING, V, NS, "switches", switch("leaf-01"))
    custom.list_namespaced_custom_object(WIRING, V, NS, "switches")
    path = proxy.write_cassette(tmp_path / "kube.yaml")
    loaded = load_cassette(path, specs, "kubernetes", strict=True)
    assert [ex.operation_id for ex in loaded.exchanges] == ["k8s.switches.create", "k8s.switches.list"]
    assert [ex.response_body for ex in loaded.exchanges] == [ex.response_body for ex in proxy.exchanges]
