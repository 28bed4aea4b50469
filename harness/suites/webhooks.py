"""Fault injection without NetBox: every webhook recipe of the error catalogs, delivered to the
implementation's webhook endpoint (its service, started through the adapter), and the reaction
checked against the entry's outcome: the answer, the alert, the surfaced message, and that no sync
was queued that should not be (exactly one per valid delivery id)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from pathlib import Path
from typing import Any

import httpx

from harness.adapter import Adapter, Endpoints
from harness.generate.faults import FaultCase, active_alerts, alert_problems, message_problems, record_case
from harness.report.events import Recorder
from harness.targets.base import free_port
from harness.world.process import RunningService

FABRIC = "dc1"
OWNER, REPO = "acme", "fabric-gitops"
MAX_BODY = 5 * 1024 * 1024
# What each rejection is answered with (specs/errors/webhook.yaml descriptions and rejects).
EXPECTED_STATUS = {"HH-HOOK-001": 401, "HH-HOOK-002": 401, "HH-HOOK-003": 401, "HH-HOOK-004": 200,
                   "HH-HOOK-005": 202, "HH-HOOK-006": 400, "HH-HOOK-007": 413}  # fmt: skip


class RecipeError(ValueError):
    """A webhook recipe the suite cannot execute (the catalog entry names an unknown variant)."""


def payload(event: str) -> dict[str, Any]:
    """A delivery body of ``event`` for the configured repository, touching the fabric's files."""
    repo = {"full_name": f"{OWNER}/{REPO}", "name": REPO, "owner": {"login": OWNER}}
    if event == "push":
        commit = {"id": "a" * 40, "added": [], "removed": [], "modified": [f"fabrics/{FABRIC}/switch-leaf-01.yaml"]}
        return {"ref": "refs/heads/main", "before": "0" * 40, "after": "a" * 40, "repository": repo,
                "commits": [commit]}  # fmt: skip
    return {"action": "opened", "issue": {"number": 1, "title": "t"}, "repository": repo}


def delivery(recipe: dict[str, Any], secret: str) -> tuple[dict[str, str], bytes]:
    """Headers and raw body of the recipe's delivery (signature valid|missing|malformed|wrong)."""
    event = str(recipe.get("event", "push"))
    kind = recipe.get("body", "valid")
    if kind == "not_json":
        body = b"payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D"
    elif kind == "oversized":
        body = json.dumps({**payload(event), "padding": "x" * (MAX_BODY + 1024)}).encode()
    else:
        body = json.dumps(payload(event)).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    signature = {
        "valid": f"sha256={digest}",
        "malformed": f"sha256={digest.upper()[:40]}",
        "wrong": "sha256=" + hmac.new(b"another secret", body, hashlib.sha256).hexdigest(),
    }
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": str(uuid.uuid4()), "Content-Type": "application/json"}
    chosen = str(recipe.get("signature", "valid"))
    if chosen in signature:
        headers["X-Hub-Signature-256"] = signature[chosen]
    elif chosen != "missing":
        raise RecipeError(f"webhook recipe signature {chosen!r} is not valid|missing|malformed|wrong")
    return headers, body


def webhook_recipe(case: FaultCase, adapter: Adapter, root: Path, workdir: Path, recorder: Recorder) -> None:
    entry, recipe = case.entry, case.entry.inject
    secret, token = secrets.token_hex(16), secrets.token_hex(16)  # per run: never a fixed test secret
    endpoints = Endpoints(
        github_owner=OWNER, github_repo=REPO, workdir=workdir, spec_root=root,
        settings={"webhook_secret": secret, "api_token": token, "run_syncs": "false", "active_fabrics": FABRIC},
    )  # fmt: skip
    headers, body = delivery(recipe, secret)
    problems: list[str] = []
    with RunningService(adapter.service(endpoints, free_port())) as service, httpx.Client(timeout=30) as http:
        hook = f"{service.url}{service.service.webhook_path}"
        answer = first = http.post(hook, headers=headers, content=body)
        queued_first = adapter.observe(endpoints, FABRIC).get("open_syncs", [])
        if recipe.get("replay"):
            if first.status_code != 202 or len(queued_first) != 1:
                problems.append(f"{case.code}: the first delivery should start one sync, got {first.status_code}")
            answer = http.post(hook, headers=headers, content=body)
        observed = adapter.observe(endpoints, FABRIC)
    want = EXPECTED_STATUS.get(case.code)
    if want is None:
        problems.append(f"{case.code}: no expected answer is known for this webhook entry")
    elif answer.status_code != want:
        problems.append(f"{case.code}: answered {answer.status_code}, the catalog's entry means {want}")
    alerts = active_alerts(observed)
    problems += alert_problems(entry, alerts)
    problems += message_problems(entry, answer.text + " ".join(str(a.get("message")) for a in alerts))
    # preserves: nothing but the one sync a valid delivery asks for may have been queued
    allowed = 1 if recipe.get("replay") else 0
    queued = observed.get("open_syncs", [])
    if len(queued) != allowed:
        problems.append(f"{case.code}: {len(queued)} sync(s) queued, expected {allowed} (webhook_delivery preserved)")
    record_case(recorder, case, problems, [], {})
    assert not problems, "\n".join(problems)
