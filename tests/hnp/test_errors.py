"""The Kubernetes entries of the error catalog, injected at the contract proxy in front of the
stand-in, and HNP's reaction checked against each entry's outcome.

HNP only reads the cluster (one list per kind), so a recipe is executed where HNP meets it: on
the list of the recipe's resource (``k8s.switches.update`` -> ``k8s.switches.list``). The
outcome checked: the connection and sync states the entry names (after test-connection and
sync), the message carrying the entry's code, and retries when the fault is retryable and
transient. An entry whose trigger HNP's requests cannot meet (a write conflict, a watch) is
reported not applicable with the reason.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hh_hnp_harness.client import HNPClient
from hh_hnp_harness.findings import Observed
from hh_hnp_harness.states import state_table

from harness.generate.faults import expected_faulted
from harness.proxy.server import ContractProxy
from harness.pytest_plugin import NOT_APPLICABLE
from harness.spec.models import ErrorEntry
from harness.targets.kube.local import LocalKube

PROXY_KINDS = ("http_status", "connection_reset", "timeout", "kubernetes_conflict", "invalid_response")
CLUSTER_KINDS = ("crd_missing", "crd_version_not_served")
# HNP issues no writes and no watches: entries only a writer or a watcher can meet
WRITE_ONLY = {"kubernetes_conflict": "HNP never writes to the cluster (its sync only lists), so no write can conflict"}


def _recipe_for_hnp(recipe: dict[str, Any]) -> dict[str, Any]:
    """The recipe moved onto the list operation of its resource (what HNP requests)."""
    _, plural, _verb = str(recipe["operation"]).split(".")
    return {**recipe, "operation": f"k8s.{plural}.list"}


def _crds_without(source: Path, out: Path, resource: str, unserve: bool) -> Path:
    """A copy of the real CRDs lacking ``resource`` (plural.group), or serving it at v1beta2 only."""
    out.mkdir(exist_ok=True)
    plural, group = resource.split(".", 1)
    for path in source.glob("*.yaml"):
        if path.name != f"{group}_{plural}.yaml":
            shutil.copy(path, out / path.name)
        elif unserve:
            doc = yaml.safe_load(path.read_text())
            old = next(v for v in doc["spec"]["versions"] if v["name"] == "v1beta1")
            doc["spec"]["versions"].append({**old, "name": "v1beta2", "served": True, "storage": True})
            old["served"], old["storage"] = False, False
            (out / path.name).write_text(yaml.safe_dump(doc))
    return out


def _states(hnp: HNPClient, pk: int) -> dict[str, str]:
    row = hnp.get("fabrics", pk)
    table = state_table().machines
    return {
        "connection_status": table["connection_status"].state_of(str(row["connection_status"])),
        "fabric_sync": table["fabric_sync"].state_of(str(row["sync_status"])),
        "message": f"{row.get('connection_error', '')} {row.get('sync_error', '')}",
    }


def test_kubernetes_error_entry(  # noqa: PLR0917 - pytest passes fixtures positionally
    k8s_error: ErrorEntry,
    hnp: HNPClient,
    fabric: dict[str, Any],
    kube_proxy: ContractProxy,
    crds_dir: Path,
    tmp_path: Path,
    findings: Observed,
) -> None:
    kind = str(k8s_error.inject.get("kind"))
    if kind in WRITE_ONLY:
        pytest.skip(f"{NOT_APPLICABLE} {k8s_error.code}: {WRITE_ONLY[kind]}")
    if kind not in PROXY_KINDS + CLUSTER_KINDS:
        pytest.skip(
            f"{NOT_APPLICABLE} {k8s_error.code}: inject kind {kind} needs a writer or a watcher; HNP only lists"
        )
    pk = fabric["id"]
    code = k8s_error.code
    ok = hnp.action(pk, "test-connection")
    assert ok.body is not None and ok.body.get("success") is True, f"unfaulted test-connection failed: {ok.body}"

    standin: LocalKube | None = None
    original = kube_proxy.upstream
    if kind in CLUSTER_KINDS:
        crds = _crds_without(crds_dir, tmp_path / "crds", str(k8s_error.inject["resource"]), kind != "crd_missing")
        standin = LocalKube(crds=[crds], ready_delay=0.0)
        kube_proxy.upstream = standin.start().url.rstrip("/")
        times: int | None = None
    else:
        recipe = _recipe_for_hnp(dict(k8s_error.inject))
        times = None if recipe.get("times") == "always" else int(recipe.get("times", 1))
        injection = kube_proxy.inject(recipe, code=code)
    try:
        started = time.monotonic()
        sync = hnp.action(pk, "sync")
        sync_s = time.monotonic() - started
        after_sync = _states(hnp, pk)
        probe = hnp.action(pk, "test-connection")
        after_probe = _states(hnp, pk)
    finally:
        kube_proxy.upstream = original
        if standin is not None:
            standin.stop()

    _faulted, fails = expected_faulted(k8s_error, times)
    wanted = {(t.machine, t.trigger): t.to for t in k8s_error.transitions}
    if fails and ("fabric_sync", "sync_failed") in wanted and after_sync["fabric_sync"] != "error":
        findings.add(
            f"HNP-ERR-STATE-{code}",
            f"sync answered {sync.body}; sync_status {after_sync['fabric_sync']}, expected error",
        )
    if not fails and after_sync["fabric_sync"] == "error":
        findings.add(f"HNP-ERR-RETRY-{code}", f"a fault the catalog retries ({times}x) failed the sync: {sync.body}")
    if ("connection_status", "test_failed") in wanted and after_probe["connection_status"] != "failed":
        findings.add(
            "HNP-PROBE-BLIND",
            f"{code} at {k8s_error.inject.get('operation') or k8s_error.inject.get('resource')}: test-connection "
            f"answered success={(probe.body or {}).get('success')}, "
            f"connection_status {after_probe['connection_status']}",
        )
    if fails and after_sync["fabric_sync"] == "error" and code not in after_sync["message"]:
        findings.add(
            "HNP-NO-CODE", f"{code}: sync_error {after_sync['message'].strip()[:160]!r} carries no catalog code"
        )
    if kind == "timeout" and sync_s >= float(k8s_error.inject["delay_s"]):
        findings.add(
            "HNP-NO-TIMEOUT", f"{code}: sync waited {sync_s:.1f}s for a list held {k8s_error.inject['delay_s']}s"
        )
    if kind in PROXY_KINDS:
        assert injection.fired, f"{code}: HNP never requested {injection.operation}; the recipe did not fire"
    findings.verify()
