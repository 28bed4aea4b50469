"""GitHub webhook intake over real HTTP: signatures, replays, events, body limits, reconcile requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hh_reference.webhooks import MAX_BODY_BYTES
from test_ref_api import WEBHOOK_SECRET, RunningApi, serve_api


@pytest.fixture
def api(tmp_path: Path, project_root: Path) -> Iterator[RunningApi]:
    yield from serve_api(tmp_path, project_root)


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def push(paths: list[str], ref: str = "refs/heads/main", repo: str = "acme/fabric-gitops") -> dict[str, Any]:
    return {
        "ref": ref,
        "after": "a" * 40,
        "repository": {"full_name": repo},
        "commits": [{"id": "a" * 40, "added": paths, "modified": [], "removed": []}],
    }


def deliver(
    api: RunningApi,
    event: str,
    payload: Any,
    *,
    body: bytes | None = None,
    signature: str | None = "valid",
    delivery: str | None = None,
) -> httpx.Response:
    raw = body if body is not None else json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": event,
        "Content-Type": "application/json",
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
    }
    if signature == "valid":
        headers["X-Hub-Signature-256"] = sign(raw)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    with api.client(auth=False) as client:
        return client.post("/webhooks/github", content=raw, headers=headers)


def test_ping_is_answered_200(api: RunningApi) -> None:
    response = deliver(api, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1})
    assert response.status_code == 200 and response.json()["message"] == "pong"


def test_push_to_the_branch_requests_a_reconcile_of_the_touched_fabrics(api: RunningApi) -> None:
    response = deliver(
        api, "push", push(["fabrics/dc1/switches/leaf-01.yaml", "fabrics/dc2/vpcs/v1.yaml", "README.md"])
    )
    assert response.status_code == 202
    assert response.json()["fabrics"] == ["dc1", "dc2"]
    opened = api.store.open_syncs()
    assert sorted(fabric for _, fabric in opened) == ["dc1", "dc2"]
    assert sorted(response.json()["sync_ids"]) == sorted(sync_id for sync_id, _ in opened)


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (push(["fabrics/dc1/switches/leaf-01.yaml"], ref="refs/heads/feature"), "refs/heads/feature"),
        (push(["docs/readme.md"]), "changed nothing under fabrics/"),
        (push(["fabrics/Not A Fabric/x.yaml", "fabrics/top-level.yaml"]), "changed nothing under fabrics/"),
        (push(["fabrics/dc1/switches/leaf-01.yaml"], repo="evil/other"), "evil/other"),
    ],
)
def test_pushes_that_do_not_concern_the_fabrics_are_ignored(api: RunningApi, payload: dict[str, Any], why: str) -> None:
    response = deliver(api, "push", payload)
    assert response.status_code == 200 and why in response.json()["message"]
    assert api.store.open_syncs() == []


def test_merged_pull_request_reconciles_its_fabric(api: RunningApi) -> None:
    payload = {
        "action": "closed",
        "number": 7,
        "repository": {"full_name": "acme/fabric-gitops"},
        "pull_request": {"number": 7, "merged": True, "base": {"ref": "main"}, "head": {"ref": "hh-sync/dc1"}},
    }
    response = deliver(api, "pull_request", payload)
    assert response.status_code == 202 and response.json()["fabrics"] == ["dc1"]
    assert len(api.store.open_syncs()) == 1


def test_sync_pull_request_closed_without_merge_reconciles_its_fabric(api: RunningApi) -> None:
    pull = {"number": 8, "merged": False, "base": {"ref": "main"}, "head": {"ref": "hh-sync/dc1"}}
    payload = {"action": "closed", "number": 8, "repository": {"full_name": "acme/fabric-gitops"}, "pull_request": pull}
    response = deliver(api, "pull_request", payload)
    assert response.status_code == 202 and response.json()["fabrics"] == ["dc1"]
    other = dict(payload, pull_request=dict(pull, head={"ref": "feature/x"}))
    ignored = deliver(api, "pull_request", other)
    assert ignored.status_code == 200 and "not a sync pull request" in ignored.json()["message"]
    assert len(api.store.open_syncs()) == 1


@pytest.mark.parametrize(
    ("signature", "status", "code"),
    [
        (None, 401, "HH-HOOK-001"),
        ("sha1=" + "0" * 40, 401, "HH-HOOK-002"),
        ("sha256=" + "G" * 64, 401, "HH-HOOK-002"),
        ("sha256=" + "0" * 63, 401, "HH-HOOK-002"),
        ("sha256=" + "0" * 64, 401, "HH-HOOK-003"),
        ("wrong-secret", 401, "HH-HOOK-003"),
    ],
)
def test_bad_signatures_are_rejected_with_their_code(
    api: RunningApi, signature: str | None, status: int, code: str
) -> None:
    body = json.dumps(push(["fabrics/dc1/switches/leaf-01.yaml"])).encode()
    if signature == "wrong-secret":
        signature = sign(body, "another secret")
    response = deliver(api, "push", None, body=body, signature=signature)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code and code in response.json()["detail"]
    assert api.store.open_syncs() == []
    assert WEBHOOK_SECRET not in response.text


def test_forged_deliveries_raise_one_alert(api: RunningApi) -> None:
    for _ in range(3):
        deliver(api, "push", push([]), signature="sha256=" + "1" * 64)
    alerts = [a for a in api.store.alerts() if a.code == "HH-HOOK-003"]
    assert len(alerts) == 1 and alerts[0].state == "active"


def test_replayed_delivery_is_acknowledged_and_does_nothing(api: RunningApi) -> None:
    payload = push(["fabrics/dc1/switches/leaf-01.yaml"])
    first = deliver(api, "push", payload, delivery="delivery-1")
    again = deliver(api, "push", payload, delivery="delivery-1")
    assert first.status_code == 202
    assert again.status_code == 200 and again.json()["code"] == "HH-HOOK-004"
    assert len(api.store.open_syncs()) == 1


def test_a_forged_request_does_not_burn_a_delivery_id(api: RunningApi) -> None:
    payload = push(["fabrics/dc1/switches/leaf-01.yaml"])
    assert deliver(api, "push", payload, delivery="delivery-2", signature="sha256=" + "0" * 64).status_code == 401
    assert deliver(api, "push", payload, delivery="delivery-2").status_code == 202


def test_unsupported_event_is_ignored_with_202(api: RunningApi) -> None:
    response = deliver(api, "issues", {"action": "opened"})
    assert response.status_code == 202 and response.json()["code"] == "HH-HOOK-005"


def test_signed_body_that_is_not_a_json_object_is_400(api: RunningApi) -> None:
    for body in (b"payload=%7B%7D", b"[1, 2]", b"\xff\xfe"):
        response = deliver(api, "push", None, body=body)
        assert response.status_code == 400 and response.json()["code"] == "HH-HOOK-006"


def test_missing_delivery_id_is_400(api: RunningApi) -> None:
    raw = json.dumps(push(["fabrics/dc1/x/y.yaml"])).encode()
    headers = {"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(raw)}
    with api.client(auth=False) as client:
        response = client.post("/webhooks/github", content=raw, headers=headers)
    assert response.status_code == 400 and "X-GitHub-Delivery" in response.json()["detail"]


def test_oversized_body_is_413_streamed_or_declared(api: RunningApi) -> None:
    big = b"{" + b" " * MAX_BODY_BYTES + b"}"
    response = deliver(api, "push", None, body=big)
    assert response.status_code == 413 and response.json()["code"] == "HH-HOOK-007"

    def chunks() -> Any:
        for _ in range(6):
            yield b" " * (1024 * 1024)

    headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-stream", "X-Hub-Signature-256": "sha256=" + "0" * 64}
    with api.client(auth=False) as client:
        streamed = client.post("/webhooks/github", content=chunks(), headers=headers)
    assert streamed.status_code == 413 and streamed.json()["code"] == "HH-HOOK-007"


def test_logs_carry_codes_but_never_the_secret_or_signature(api: RunningApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    forged = "sha256=" + "2" * 64
    deliver(api, "push", push([]), signature=forged, delivery="d-log")
    deliver(api, "push", push(["fabrics/dc1/switches/leaf-01.yaml"]), delivery="d-log-ok")
    assert "HH-HOOK-003" in caplog.text and "d-log" in caplog.text
    assert WEBHOOK_SECRET not in caplog.text and forged not in caplog.text
