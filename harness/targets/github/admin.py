"""The twin's admin API under /_twin/: faults, reset, rate limits, webhook config, the delivery log and
whether mergeability is computed at once or, as GitHub does, on the first GET after a move."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from harness.targets.github.faults import Fault, FaultSpecError
from harness.targets.github.store import now_iso

if TYPE_CHECKING:
    from harness.targets.github.app import Twin

SECRET_ENV = "HARNESS_WEBHOOK_SECRET"


def _json(status: int, payload: Any) -> Response:
    data = b"" if payload is None else json.dumps(payload).encode()
    return Response(data, status=status, content_type="application/json")


def handle(twin: Twin, request: Request) -> Response:
    """Serve one admin request; every route but /_twin/health needs the twin's token."""
    path, method = request.path, request.method
    if path == "/_twin/health":
        return _json(200, {"ok": True})
    if twin.authorised(request) is not None:
        return _json(401, {"message": "the admin API needs the twin's token (Authorization: Bearer ...)"})
    try:
        body = json.loads(request.get_data() or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _json(400, {"message": f"request body is not JSON: {exc}"})
    try:
        return _route(twin, method, path, body)
    except FaultSpecError as exc:
        return _json(400, {"message": str(exc)})


def _ping(url: str) -> dict[str, Any]:
    """The ping GitHub sends when a hook is created."""
    stamp = now_iso()
    hook = {"type": "Repository", "id": 1, "name": "web", "active": True, "events": ["push", "pull_request"],
            "config": {"content_type": "json", "insecure_ssl": "0", "url": url},
            "created_at": stamp, "updated_at": stamp}  # fmt: skip
    return {"zen": "Design for failure.", "hook_id": 1, "hook": hook}


def _route(twin: Twin, method: str, path: str, body: Any) -> Response:
    if (method, path) == ("POST", "/_twin/faults"):
        twin.faults.add(Fault.parse(body))
        return _json(201, None)
    if (method, path) == ("DELETE", "/_twin/faults"):
        twin.faults.clear()
        return _json(204, None)
    if (method, path) == ("POST", "/_twin/reset"):
        twin.reset()
        return _json(204, None)
    if (method, path) == ("POST", "/_twin/rate_limit"):
        twin.limits.configure(body)
        return _json(200, twin.limits.snapshot())
    if (method, path) == ("PUT", "/_twin/webhook"):
        url = body.get("url") if isinstance(body, dict) else None
        if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
            raise FaultSpecError(f"webhook.url: {url!r} must be an http(s) URL or null")
        secret = body.get("secret") if isinstance(body.get("secret"), str) else os.environ.get(SECRET_ENV)
        twin.hooks.configure(url, secret)
        if url is not None:
            twin.hooks.emit("ping", _ping(url))
        return _json(200, {"url": url, "secret_set": bool(secret)})
    if (method, path) == ("PUT", "/_twin/mergeability"):
        deferred = body.get("deferred") if isinstance(body, dict) else None
        if not isinstance(deferred, bool):
            raise FaultSpecError(f"mergeability.deferred: {deferred!r} must be true or false")
        twin.store.deferred_mergeability = deferred
        return _json(200, {"deferred": deferred})
    if (method, path) == ("GET", "/_twin/deliveries"):
        return _json(200, twin.hooks.deliveries())
    parts = path.strip("/").split("/")
    if method == "POST" and len(parts) == 4 and parts[1] == "deliveries" and parts[3] == "redeliver":
        again = twin.hooks.redeliver(int(parts[2])) if parts[2].isdigit() else None
        if again is None:
            return _json(404, {"message": f"no delivery with id {parts[2]!r}"})
        return _json(202, again)
    return _json(404, {"message": f"no admin route {method} {path}; see harness/targets/github/admin.py"})
