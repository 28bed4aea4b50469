"""Fault injection without NetBox: every webhook recipe of the error catalogs, sent to the
reference's real /webhooks/github endpoint (uvicorn on loopback over a real SQLite state file),
and the reaction checked against the entry's outcome: the answer, the alert, the surfaced
message, and that no sync was started that should not be (exactly one per delivery id)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hh_reference.api import BackgroundServer, JournalSyncTrigger, create_app
from hh_reference.config import Config
from hh_reference.machines import StateMachineRegistry
from hh_reference.specs import load_catalog
from hh_reference.store import Store

from harness.generate.faults import FaultCase, alert_problems, fault_cases, message_problems, record_case
from harness.report.events import Recorder
from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, schema_dir
from harness.targets.base import free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
SPECS = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs
CASES = [c for c in fault_cases(SPECS, ROOT) if c.offline]
FABRIC = "dc1"
OWNER, REPO = "acme", "fabric-gitops"
SECRET = "webhook-secret-for-fault-tests"
API_TOKEN = "status-token-for-fault-tests"
MAX_BODY = 5 * 1024 * 1024
# What each rejection is answered with (specs/errors/webhook.yaml descriptions and rejects).
EXPECTED_STATUS = {"HH-HOOK-001": 401, "HH-HOOK-002": 401, "HH-HOOK-003": 401, "HH-HOOK-004": 200,
                   "HH-HOOK-005": 202, "HH-HOOK-006": 400, "HH-HOOK-007": 413}  # fmt: skip

pytestmark = pytest.mark.fault


@dataclass
class Endpoint:
    url: str
    store: Store

    def get(self, path: str) -> Any:
        with httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=10) as c:
            response = c.get(path)
            response.raise_for_status()
            return response.json()


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[Endpoint]:
    port = free_port()
    config = Config(webhook_secret=SECRET, api_token=API_TOKEN, github_owner=OWNER, github_repo=REPO,
                    state_db=tmp_path / "state.sqlite3", spec_root=ROOT, listen_port=port)  # fmt: skip
    store = Store(config.state_db, StateMachineRegistry(ROOT), load_catalog(ROOT))
    store.fire("fabric_status", FABRIC, "activate")
    server = BackgroundServer(create_app(config, store, JournalSyncTrigger(store)), "127.0.0.1", port)
    server.start()
    try:
        wait_for(lambda: server.started, 10.0, "the reference API server to start")
        yield Endpoint(f"http://127.0.0.1:{port}", store)
    finally:
        server.stop()
        store.close()


def payload(event: str) -> dict[str, Any]:
    """A delivery body of ``event`` for the configured repository, touching the fabric's files."""
    repo = {"full_name": f"{OWNER}/{REPO}", "name": REPO, "owner": {"login": OWNER}}
    if event == "push":
        commit = {"id": "a" * 40, "added": [], "removed": [], "modified": [f"fabrics/{FABRIC}/switch-leaf-01.yaml"]}
        return {"ref": "refs/heads/main", "before": "0" * 40, "after": "a" * 40, "repository": repo,
                "commits": [commit]}  # fmt: skip
    return {"action": "opened", "issue": {"number": 1, "title": "t"}, "repository": repo}


def delivery(recipe: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    """Headers and raw body of the recipe's delivery (signature valid|missing|malformed|wrong)."""
    event = str(recipe.get("event", "push"))
    kind = recipe.get("body", "valid")
    if kind == "not_json":
        body = b"payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D"
    elif kind == "oversized":
        pad = "x" * (MAX_BODY + 1024)
        body = json.dumps({**payload(event), "padding": pad}).encode()
    else:
        body = json.dumps(payload(event)).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    signature = {
        "valid": f"sha256={digest}",
        "malformed": f"sha256={digest.upper()[:40]}",
        "wrong": "sha256=" + hmac.new(b"another secret", body, hashlib.sha256).hexdigest(),
    }
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": str(uuid.uuid4()), "Content-Type": "application/json"}
    if recipe.get("signature", "valid") in signature:
        headers["X-Hub-Signature-256"] = signature[str(recipe.get("signature", "valid"))]
    elif recipe.get("signature") != "missing":
        pytest.fail(f"webhook recipe signature {recipe.get('signature')!r} is not valid|missing|malformed|wrong")
    return headers, body


def post(url: str, headers: dict[str, str], body: bytes) -> httpx.Response:
    with httpx.Client(timeout=30) as client:
        return client.post(f"{url}/webhooks/github", headers=headers, content=body)


@pytest.mark.parametrize("case", CASES, ids=[c.element for c in CASES])
def test_webhook_recipe(case: FaultCase, endpoint: Endpoint, recorder: Recorder) -> None:
    entry, recipe = case.entry, case.entry.inject
    headers, body = delivery(recipe)
    problems: list[str] = []
    first = post(endpoint.url, headers, body)
    answer = first
    syncs_after_first = endpoint.store.open_syncs(FABRIC)
    if recipe.get("replay"):
        if first.status_code != 202 or len(syncs_after_first) != 1:
            problems.append(f"{case.code}: the first delivery should start one sync, got {first.status_code}")
        answer = post(endpoint.url, headers, body)
    want = EXPECTED_STATUS.get(case.code)
    if want is None:
        problems.append(f"{case.code}: no expected answer is known for this webhook entry; extend EXPECTED_STATUS")
    elif answer.status_code != want:
        problems.append(f"{case.code}: answered {answer.status_code}, the catalog's entry means {want}")
    surfaced = answer.text
    alerts = endpoint.get("/api/v1/alerts?state=active")["alerts"]
    problems += alert_problems(entry, alerts)
    problems += message_problems(entry, surfaced + " ".join(str(a.get("message")) for a in alerts))
    # preserves: nothing but the one sync a valid delivery asks for may have been queued
    allowed = 1 if recipe.get("replay") else 0
    queued = endpoint.store.open_syncs(FABRIC)
    if len(queued) != allowed:
        problems.append(f"{case.code}: {len(queued)} sync(s) queued, expected {allowed} (webhook_delivery preserved)")
    record_case(recorder, case, problems, [], {})
    assert not problems, "\n".join(problems)
