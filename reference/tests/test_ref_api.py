"""A real reference API server on loopback over a real SQLite file, for the webhook and API tests."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hh_reference.api import BackgroundServer, JournalSyncTrigger, create_app
from hh_reference.config import Config
from hh_reference.machines import StateMachineRegistry
from hh_reference.specs import load_catalog
from hh_reference.store import LAST_SYNC_COMMIT, Store
from openapi_spec_validator import OpenAPIV31SpecValidator

from harness.targets.base import free_port, wait_for

WEBHOOK_SECRET = "It's a Secret to Everybody"
API_TOKEN = "status-api-token-for-tests"


@dataclass
class RunningApi:
    url: str
    store: Store
    config: Config

    def client(self, *, auth: bool = True) -> httpx.Client:
        headers = {"Authorization": f"Bearer {API_TOKEN}"} if auth else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10.0)


def serve_api(tmp_path: Path, project_root: Path) -> Iterator[RunningApi]:
    """Run the real server on a free loopback port over a fresh state file until the generator is closed."""
    port = free_port()
    config = Config(
        webhook_secret=WEBHOOK_SECRET,
        api_token=API_TOKEN,
        github_owner="acme",
        github_repo="fabric-gitops",
        state_db=tmp_path / "state.sqlite3",
        spec_root=project_root,
        listen_port=port,
    )
    store = Store(config.state_db, StateMachineRegistry(project_root), load_catalog(project_root))
    server = BackgroundServer(create_app(config, store, JournalSyncTrigger(store)), "127.0.0.1", port)
    server.start()
    try:
        wait_for(lambda: server.started, 10.0, "the reference API server to start")
        yield RunningApi(f"http://127.0.0.1:{port}", store, config)
    finally:
        server.stop()
        store.close()


@pytest.fixture
def api(tmp_path: Path, project_root: Path) -> Iterator[RunningApi]:
    yield from serve_api(tmp_path, project_root)


def _seed(store: Store) -> int:
    """A fabric mid-life: synced once, one resource drifted, one alert."""
    store.fire("fabric_status", "dc1", "activate")
    store.fire("connection_status", "dc1/git", "configure")
    store.fire("fabric_sync", "dc1", "start_sync")
    store.fire("fabric_sync", "dc1", "sync_failed", code="HH-K8S-002")
    store.set_value("dc1", LAST_SYNC_COMMIT, "c" * 40)
    for name, dest in (("leaf-01", "desired_only"), ("leaf-02", "in_sync")):
        store.fire("resource_drift", f"dc1/switches/{name}", "observe", dest=dest)
    store.fire("resource_lifecycle", "dc1/switches/leaf-01", "commit")
    return store.raise_alert("dc1", "HH-K8S-002", "error", "HH-K8S-002: rejected").id


def test_fabric_state_resources_and_drift(api: RunningApi) -> None:
    _seed(api.store)
    with api.client() as client:
        fabrics = client.get("/api/v1/fabrics").json()["fabrics"]
        fabric = client.get("/api/v1/fabrics/dc1").json()
        resources = client.get("/api/v1/fabrics/dc1/resources").json()["resources"]
        drift = client.get("/api/v1/fabrics/dc1/drift").json()
    assert [f["name"] for f in fabrics] == ["dc1"]
    assert fabric["fabric_sync"] == {"state": "error", "code": "HH-K8S-002"}
    assert fabric["fabric_status"]["state"] == "active"
    assert fabric["connections"] == {
        "git": {"state": "pending", "code": None},
        "kubernetes": {"state": "unknown", "code": None},
    }
    assert fabric["last_sync_commit"] == "c" * 40
    # leaf-02 has drift only (never rendered, as a labelled object found in the cluster): no lifecycle
    assert [(r["name"], (r["lifecycle"] or {}).get("state"), r["drift"]["state"]) for r in resources] == [
        ("leaf-01", "committed", "desired_only"),
        ("leaf-02", None, "in_sync"),
    ]
    assert drift["summary"] == {"desired_only": 1, "in_sync": 1}
    assert [d["name"] for d in drift["drifted"]] == ["leaf-01"]


def test_transitions_are_the_fabric_log_paged_by_id(api: RunningApi) -> None:
    alert_id = _seed(api.store)
    api.store.fire("fabric_status", "dc2", "activate")  # another fabric's change is not listed
    with api.client() as c:
        first = c.get("/api/v1/fabrics/dc1/transitions", params={"limit": 3}).json()
        rest = c.get("/api/v1/fabrics/dc1/transitions", params={"after": first["next"]}).json()
        bad = c.get("/api/v1/fabrics/dc1/transitions", params={"after": "-1"})
    seen = first["transitions"] + rest["transitions"]
    assert [(t["machine"], t["entity"], t["from"], t["to"]) for t in seen] == [
        ("fabric_status", "dc1", "planned", "active"),
        ("connection_status", "git", "unknown", "pending"),
        ("fabric_sync", "dc1", "never_synced", "syncing"),
        ("fabric_sync", "dc1", "syncing", "error"),
        ("resource_drift", "switches/leaf-01", "unobserved", "desired_only"),
        ("resource_drift", "switches/leaf-02", "unobserved", "in_sync"),
        ("resource_lifecycle", "switches/leaf-01", "draft", "committed"),
        ("reconciliation_alert", str(alert_id), None, "active"),
    ]
    assert [t["id"] for t in seen] == sorted({t["id"] for t in seen})
    assert rest["next"] == seen[-1]["id"]
    assert bad.status_code == 400 and "after" in bad.json()["detail"]


def test_unknown_fabric_is_a_problem_404(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get("/api/v1/fabrics/nope")
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_status_api_requires_the_bearer_token(api: RunningApi) -> None:
    with api.client(auth=False) as client:
        assert client.get("/api/v1/fabrics").status_code == 401
        assert client.get("/api/v1/alerts", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/openapi.json").status_code == 200


def test_alert_actions_follow_the_alert_machine(api: RunningApi) -> None:
    alert_id = _seed(api.store)
    with api.client() as client:
        assert client.get("/api/v1/alerts", params={"state": "active"}).json()["alerts"][0]["id"] == alert_id
        refused = client.post(f"/api/v1/alerts/{alert_id}/acknowledge")
        assert refused.status_code == 409 and refused.json()["code"].startswith("HH-STATE-")
        acked = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={"operator": "ops"})
        assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
        suppressed = client.post(f"/api/v1/alerts/{alert_id}/suppress", json={"operator": "ops", "reason": "known"})
        assert suppressed.json()["state"] == "suppressed" and suppressed.json()["reason"] == "known"
        assert client.post(f"/api/v1/alerts/{alert_id}/resolve").status_code == 409
        assert client.post("/api/v1/alerts/999/resolve").status_code == 404
        assert client.post(f"/api/v1/alerts/{alert_id}/delete").status_code == 404
        assert client.post(f"/api/v1/alerts/{alert_id}/resolve", content=b"{not json").status_code == 400
        assert client.get("/api/v1/alerts", params={"state": "Active"}).status_code == 400


def test_sync_request_is_queued(api: RunningApi) -> None:
    with api.client() as client:
        response = client.post("/api/v1/fabrics/dc9/sync", json={"reason": "operator"})
        assert client.post("/api/v1/fabrics/Not_A_Label/sync").status_code == 404
        assert client.post("/api/v1/fabrics/dc9/sync", json={"reason": 5}).status_code == 400
    assert response.status_code == 202
    assert api.store.open_syncs() == [(response.json()["sync_id"], "dc9")]


def test_openapi_document_is_valid_openapi_3_1(api: RunningApi) -> None:
    with api.client(auth=False) as client:
        document = client.get("/openapi.json").json()
    OpenAPIV31SpecValidator(document).validate()
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    served = {(path, method) for path, item in document["paths"].items() for method in item}
    assert ("/webhooks/github", "post") in served and ("/api/v1/fabrics/{name}/sync", "post") in served
    assert len(served) == 13


@pytest.mark.slow
def test_schemathesis_finds_no_failures(api: RunningApi, tmp_path: Path) -> None:
    _seed(api.store)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{api.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {API_TOKEN}",
            "--max-examples",
            "30",
            "--seed",
            "1",
            "--checks",
            "all",
            "--no-color",
        ],
        cwd=tmp_path,  # schemathesis writes its .schemathesis cache into the working directory
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    # Guard against a vacuous pass: the run must have generated and checked cases for every operation.
    assert re.search(r"Tested: 1[12]\b", result.stdout), result.stdout[-3000:]
    assert re.search(r"[1-9]\d* generated, [1-9]\d* passed", result.stdout), result.stdout[-3000:]
