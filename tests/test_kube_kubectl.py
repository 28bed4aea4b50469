"""kubectl against ``harness serve kube``, and ClusterKube driving that server through its kubeconfig."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from harness.targets.base import TargetError
from harness.targets.kube.cluster import ClusterKube
from harness.targets.kube.local import default_crds_dir

KUBECTL = "/usr/bin/kubectl"
CORPUS = Path(__file__).parent / "data" / "kube"
SPINE = CORPUS / "valid" / "switch-spine-01.yaml"


def serve(*extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "serve", "kube", "--crds", str(default_crds_dir()), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    kubeconfig = tmp_path_factory.mktemp("kube") / "kubeconfig"
    proc = serve("--kubeconfig", str(kubeconfig), "--ready-delay", "0.05")
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the server prints exactly one line once it listens
    try:
        yield json.loads(line)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0


def kubectl(served: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBECTL, "--kubeconfig", served["kubeconfig"], *args], capture_output=True, text=True, timeout=30, check=False
    )


def test_serve_prints_url_and_writes_kubeconfig(served: dict[str, str]) -> None:
    assert served["url"].startswith("http://127.0.0.1:")
    assert Path(served["kubeconfig"]).read_text().count(served["url"]) == 1


def test_kubectl_apply_get_delete_a_hedgehog_manifest(served: dict[str, str], tmp_path: Path) -> None:
    applied = kubectl(served, "apply", "-f", str(SPINE))
    assert applied.returncode == 0, applied.stderr
    assert "switch.wiring.githedgehog.com/spine-01 created" in applied.stdout
    assert "unchanged" in kubectl(served, "apply", "-f", str(SPINE)).stdout

    changed = tmp_path / "spine.yaml"
    changed.write_text(SPINE.read_text().replace("asn: 65100", "asn: 65110"))
    assert "configured" in kubectl(served, "apply", "-f", str(changed)).stdout

    got = kubectl(served, "get", "switches", "-o", "json")
    listing: dict[str, Any] = json.loads(got.stdout)
    [item] = listing["items"]
    assert item["spec"]["asn"] == 65110 and item["metadata"]["generation"] == 2

    deleted = kubectl(served, "delete", "-f", str(changed))
    assert 'switch.wiring.githedgehog.com "spine-01" deleted' in deleted.stdout
    assert json.loads(kubectl(served, "get", "switches", "-o", "json").stdout)["items"] == []


def test_kubectl_apply_reports_server_side_validation(served: dict[str, str]) -> None:
    invalid = kubectl(served, "apply", "-f", str(CORPUS / "invalid" / "switch-role-not-in-enum.yaml"))
    assert invalid.returncode == 1
    assert 'spec.role: Unsupported value: "access-leaf"' in invalid.stderr
    unknown = kubectl(served, "apply", "-f", str(CORPUS / "invalid" / "server-unknown-field.yaml"))
    assert unknown.returncode == 1 and 'unknown field "spec.rackUnit"' in unknown.stderr


def test_kubectl_get_namespaces_and_wait_for_ready(served: dict[str, str]) -> None:
    assert "kube-system" in kubectl(served, "get", "namespaces", "-o", "name").stdout
    assert kubectl(served, "apply", "-f", str(CORPUS / "valid" / "vlannamespace-default.yaml")).returncode == 0
    waited = kubectl(served, "wait", "--for=condition=Ready", "vlannamespace/default", "--timeout=10s")
    assert waited.returncode == 0, waited.stderr
    kubectl(served, "delete", "vlannamespace", "default")


def test_cluster_target_resets_hedgehog_objects_through_kubeconfig(served: dict[str, str]) -> None:
    target = ClusterKube(kubeconfig=Path(served["kubeconfig"]), namespace="default")
    endpoint = target.start()
    try:
        assert endpoint.url == served["url"] and target.healthy()
        api = config.new_client_from_config(config_file=served["kubeconfig"])
        custom = client.CustomObjectsApi(api)
        assert kubectl(served, "apply", "-f", str(CORPUS / "valid" / "wiring-servers.yaml")).returncode == 0
        assert (
            len(
                custom.list_namespaced_custom_object("wiring.githedgehog.com", "v1beta1", "default", "servers")["items"]
            )
            == 2
        )
        target.reset()
        for plural in ("servers", "connections"):
            assert (
                custom.list_namespaced_custom_object("wiring.githedgehog.com", "v1beta1", "default", plural)["items"]
                == []
            )
        api.close()
    finally:
        target.stop()


def test_cluster_target_without_a_reachable_cluster_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="cannot load kubeconfig"):
        ClusterKube(kubeconfig=tmp_path / "missing").start()


def test_serve_on_a_taken_port_exits_2_without_traceback() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        proc = serve("--port", str(sock.getsockname()[1]))
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "already in use" in err and "Traceback" not in err


def test_serve_with_a_bad_crd_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("kind: CustomResourceDefinition\napiVersion: apiextensions.k8s.io/v1\nspec: [\n")
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "serve", "kube", "--crds", str(tmp_path)],
        capture_output=True, text=True, timeout=30, check=False, env={**os.environ},
    )  # fmt: skip
    assert proc.returncode == 2
    assert "bad.yaml:4" in proc.stderr and "Traceback" not in proc.stderr


def test_kubectl_get_pages_through_a_list_with_chunk_size(served: dict[str, str]) -> None:
    valid = sorted((CORPUS / "valid").glob("switch-*.yaml"))
    assert len(valid) >= 2, "the corpus needs two Switch manifests to page through"
    for manifest in valid:
        assert kubectl(served, "apply", "-f", str(manifest)).returncode == 0
    whole = kubectl(served, "get", "switches", "-o", "name").stdout.split()
    paged = kubectl(served, "get", "switches", "-o", "name", "--chunk-size=1", "-v=6")
    assert paged.stdout.split() == whole and len(whole) >= 2
    assert "continue=" in paged.stderr  # kubectl followed the continue token, one object a request
    for manifest in valid:
        kubectl(served, "delete", "-f", str(manifest))


def test_kubectl_server_side_apply_conflicts_and_force_conflicts(served: dict[str, str], tmp_path: Path) -> None:
    created = kubectl(served, "apply", "--server-side", "-f", str(SPINE))
    assert created.returncode == 0, created.stderr
    assert "switch.wiring.githedgehog.com/spine-01 serverside-applied" in created.stdout
    changed = tmp_path / "spine.yaml"
    changed.write_text(SPINE.read_text().replace("asn: 65100", "asn: 65110"))

    refused = kubectl(served, "apply", "--server-side", "--field-manager=fabricator", "-f", str(changed))
    assert refused.returncode == 1
    assert 'Apply failed with 1 conflict: conflict with "kubectl": .spec.asn' in refused.stderr
    got: dict[str, Any] = json.loads(kubectl(served, "get", "switch", "spine-01", "-o", "json").stdout)
    assert got["spec"]["asn"] == 65100

    forced = kubectl(
        served, "apply", "--server-side", "--field-manager=fabricator", "--force-conflicts", "-f", str(changed)
    )
    assert forced.returncode == 0, forced.stderr
    shown = kubectl(served, "get", "switch", "spine-01", "-o", "json", "--show-managed-fields")
    obj: dict[str, Any] = json.loads(shown.stdout)
    owned = {e["manager"]: e["fieldsV1"]["f:spec"] for e in obj["metadata"]["managedFields"]}
    assert obj["spec"]["asn"] == 65110
    assert "f:asn" in owned["fabricator"] and "f:asn" not in owned["kubectl"]
    kubectl(served, "delete", "-f", str(changed))


def test_kubectl_moves_a_client_side_applied_object_to_server_side_apply(served: dict[str, str]) -> None:
    assert kubectl(served, "apply", "-f", str(SPINE)).returncode == 0
    moved = kubectl(served, "apply", "--server-side", "-f", str(SPINE))
    assert moved.returncode == 0, moved.stderr
    assert "serverside-applied" in moved.stdout
    shown = kubectl(served, "get", "switch", "spine-01", "-o", "json", "--show-managed-fields")
    managers = {(e["manager"], e["operation"]) for e in json.loads(shown.stdout)["metadata"]["managedFields"]}
    # kubectl rewrote the client-side manager's entry into its own apply entry (a JSON patch of managedFields)
    assert ("kubectl", "Apply") in managers and ("kubectl-client-side-apply", "Update") not in managers
    kubectl(served, "delete", "-f", str(SPINE))
