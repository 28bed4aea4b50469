"""The HTTP server: GitHub webhooks and the status API (Starlette, served by uvicorn on listen_host).

Errors are ``application/problem+json`` with the catalog code. The status API requires
``Authorization: Bearer <api_token>`` when an api_token is configured; /healthz, /openapi.json and the
webhook (authenticated by its HMAC signature) are open.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from typing import Any, Protocol

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hh_reference import __version__
from hh_reference.config import Config
from hh_reference.errors import IntegrationError
from hh_reference.openapi import PROBLEM, build_openapi
from hh_reference.store import ENDPOINTS, LAST_SYNC_COMMIT, Alert, Store, connection_key
from hh_reference.webhooks import FABRIC_NAME, MAX_BODY_BYTES, WebhookReceiver

log = logging.getLogger(__name__)
ALERT_ACTIONS = ("acknowledge", "resolve", "suppress")
_STATUS_BY_CATEGORY = {"STATE": 409, "SYNC": 409, "VAL": 422}


class SyncTrigger(Protocol):
    """Queues a sync run. Raises LookupError for an unknown fabric, IntegrationError when it cannot queue."""

    def request_sync(self, fabric: str, reason: str) -> str:
        """Queue a sync of ``fabric`` and return its sync id."""
        ...


class JournalSyncTrigger:
    """Queues a run by opening it in the store's sync journal; a worker picks up ``Store.open_syncs``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def request_sync(self, fabric: str, reason: str) -> str:
        """Open a run for ``fabric``; LookupError when the name cannot be a fabric (not a DNS label)."""
        if not FABRIC_NAME.fullmatch(fabric):
            raise LookupError(f"'{fabric}' is not a fabric name (a DNS label)")
        return self.store.begin_sync(fabric, reason)


def problem(
    status: int, title: str, detail: str, code: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """An RFC 9457 problem response; ``code`` is the catalog code when the failure is catalogued."""
    body: dict[str, Any] = {
        "type": f"urn:hh:error:{code}" if code else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if code:
        body["code"] = code
    return Response(json.dumps(body), status_code=status, media_type=PROBLEM, headers=headers)


def error_response(error: IntegrationError) -> Response:
    """The problem response of a catalogued failure: 409 state, 422 validation, 502 upstream."""
    category = error.code.split("-")[1]
    status = _STATUS_BY_CATEGORY.get(category, 502)
    return problem(status, "Integration error", error.message, error.code)


def _alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "fabric": alert.fabric,
        "code": alert.code,
        "severity": alert.severity,
        "message": alert.message,
        "state": alert.state,
        "created_at": alert.created_at,
        "operator": alert.operator,
        "reason": alert.reason,
    }


async def _json_body(request: Request, allowed: dict[str, int]) -> dict[str, str]:
    """An optional JSON object body whose keys are in ``allowed`` (name -> max length), values strings."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HTTPException(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "the body must be a JSON object")
    for key, value in data.items():
        if key not in allowed:
            raise HTTPException(400, f"unknown field '{key}'; allowed: {', '.join(sorted(allowed))}")
        if not isinstance(value, str) or not 1 <= len(value) <= allowed[key]:
            raise HTTPException(400, f"'{key}' must be a string of 1..{allowed[key]} characters")
    return data


class StatusApi:
    """Route handlers over a Store, a SyncTrigger and an optional WebhookReceiver."""

    def __init__(
        self, config: Config, store: Store, sync_trigger: SyncTrigger, receiver: WebhookReceiver | None
    ) -> None:
        self.config = config
        self.store = store
        self.sync_trigger = sync_trigger
        self.receiver = receiver
        self.document = build_openapi(store.registry, auth=bool(config.api_token), version=__version__)

    def _authorize(self, request: Request) -> None:
        if not self.config.api_token:
            return
        given = request.headers.get("authorization", "")
        expected = f"Bearer {self.config.api_token}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    def _fabric(self, request: Request) -> str:
        self._authorize(request)
        name = str(request.path_params["name"])
        if name not in self.store.fabrics():
            raise HTTPException(404, f"no fabric named '{name}' has recorded state")
        return name

    def _machine(self, machine_id: str, entity: str) -> dict[str, Any]:
        found = self.store.entities(entity.split("/", 1)[0], machine_id).get(entity)
        state, code = found if found else (self.store.registry.spec(machine_id).initial, None)
        return {"state": state, "code": code}

    def _fabric_json(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "fabric_sync": self._machine("fabric_sync", name),
            "fabric_status": self._machine("fabric_status", name),
            "connections": {e: self._machine("connection_status", connection_key(name, e)) for e in ENDPOINTS},
            "last_sync_commit": self.store.get_value(name, LAST_SYNC_COMMIT),
            "pull_requests": {
                entity.rsplit("/", 1)[1]: {"state": state, "code": code}
                for entity, (state, code) in self.store.entities(name, "pull_request").items()
            },
        }

    def _resources(self, fabric: str) -> list[dict[str, Any]]:
        """Every object with a lifecycle (rendered at some point) or a drift state; one that only has
        drift (found in the cluster, never rendered) has no lifecycle: null, not the initial draft."""
        lifecycles = self.store.entities(fabric, "resource_lifecycle")
        keys = set(lifecycles) | set(self.store.entities(fabric, "resource_drift"))
        resources = []
        for key in sorted(keys):
            _, plural, name = key.split("/", 2)
            resources.append(
                {
                    "plural": plural,
                    "name": name,
                    "lifecycle": self._machine("resource_lifecycle", key) if key in lifecycles else None,
                    "drift": self._machine("resource_drift", key),
                }
            )
        return resources

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(self.document)

    async def fabrics(self, request: Request) -> Response:
        self._authorize(request)
        return JSONResponse({"fabrics": [self._fabric_json(n) for n in self.store.fabrics()]})

    async def fabric(self, request: Request) -> Response:
        return JSONResponse(self._fabric_json(self._fabric(request)))

    async def resources(self, request: Request) -> Response:
        fabric = self._fabric(request)
        return JSONResponse({"fabric": fabric, "resources": self._resources(fabric)})

    async def drift(self, request: Request) -> Response:
        fabric = self._fabric(request)
        summary: dict[str, int] = {}
        drifted = []
        for item in self._resources(fabric):
            kind = item["drift"]["state"]
            summary[kind] = summary.get(kind, 0) + 1
            if kind != "in_sync":
                drifted.append(
                    {"plural": item["plural"], "name": item["name"], "kind": kind, "code": item["drift"]["code"]}
                )
        return JSONResponse({"fabric": fabric, "summary": summary, "drifted": drifted})

    async def transitions(self, request: Request) -> Response:
        """The fabric's state changes after log id ``after``, oldest first, ``limit`` at most: each
        entity named as the fabric view names it (the fabric, the endpoint, the pull request's
        number, ``<plural>/<name>``, the alert id)."""
        fabric = self._fabric(request)
        after = _int_param(request, "after", 0, 0, MAX_ROW_ID)
        limit = _int_param(request, "limit", 1000, 1, 1000)
        found = self.store.history(fabric, after, limit)
        return JSONResponse(
            {
                "fabric": fabric,
                "transitions": [
                    {
                        "id": log_id,
                        "machine": t.machine,
                        "entity": _entity_name(fabric, t.machine, t.entity),
                        "from": t.from_state,
                        "to": t.to_state,
                        "trigger": t.trigger,
                        "code": t.code,
                    }
                    for log_id, t in found
                ],
                "next": found[-1][0] if found else after,
            }
        )

    async def alerts(self, request: Request) -> Response:
        self._authorize(request)
        state = request.query_params.get("state")
        states = self.store.registry.spec("reconciliation_alert").states
        if state is not None and state not in states:
            raise HTTPException(400, f"state must be one of {', '.join(states)}")
        fabric = request.query_params.get("fabric")
        if fabric is not None and not 1 <= len(fabric) <= 63:
            raise HTTPException(400, "fabric must be 1..63 characters")
        return JSONResponse({"alerts": [_alert_json(a) for a in self.store.alerts(fabric=fabric, state=state)]})

    async def alert_action(self, request: Request) -> Response:
        self._authorize(request)
        alert_id = int(request.path_params["id"])
        trigger = str(request.path_params["action"])
        if trigger not in ALERT_ACTIONS:
            raise HTTPException(404, f"no alert action '{trigger}'; actions: {', '.join(ALERT_ACTIONS)}")
        body = await _json_body(request, {"operator": 200, "reason": 2000})
        try:
            if alert_id > MAX_ROW_ID:  # SQLite's row ids are 64-bit
                raise KeyError(alert_id)
            self.store.alert(alert_id)
        except KeyError:
            raise HTTPException(404, f"no alert with id {alert_id}") from None
        try:
            alert = self.store.update_alert(alert_id, trigger, operator=body.get("operator"), reason=body.get("reason"))
        except IntegrationError as error:
            return error_response(error)
        return JSONResponse(_alert_json(alert))

    async def sync(self, request: Request) -> Response:
        self._authorize(request)
        name = str(request.path_params["name"])
        body = await _json_body(request, {"reason": 200})
        reason = body.get("reason", "requested through the status API")
        try:
            sync_id = self.sync_trigger.request_sync(name, reason)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None
        except IntegrationError as error:
            return error_response(error)
        return JSONResponse({"fabric": name, "sync_id": sync_id, "reason": reason}, status_code=202)

    async def webhook(self, request: Request) -> Response:
        delivery = request.headers.get("x-github-delivery", "")
        if self.receiver is None:
            return problem(
                503, "Webhooks disabled", "no webhook_secret is configured, so deliveries cannot be verified"
            )
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            result = self.receiver.oversized(delivery)
        else:
            body = bytearray()
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > MAX_BODY_BYTES:
                    break
            result = self.receiver.handle(dict(request.headers), bytes(body))
        if result.status >= 400:
            return problem(result.status, "Webhook delivery rejected", result.message, result.code)
        content: dict[str, Any] = {"message": result.message}
        if result.code:
            content["code"] = result.code
        if result.action is not None:
            fabrics = result.action.fabrics if result.action.fabrics is not None else tuple(self.store.fabrics())
            content["fabrics"] = list(fabrics)
            content["sync_ids"] = []
            for fabric in fabrics:
                try:
                    content["sync_ids"].append(self.sync_trigger.request_sync(fabric, result.action.reason))
                except LookupError as exc:
                    # A directory in Git for a fabric the integration does not manage: report, skip, go on.
                    log.warning("webhook delivery %s: no sync for %s: %s", delivery or "-", fabric, exc)
                    content.setdefault("skipped", []).append(fabric)
                except IntegrationError as error:
                    return error_response(error)
        return JSONResponse(content, status_code=result.status)


MAX_ROW_ID = 2**63 - 1


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise HTTPException(400, f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _entity_name(fabric: str, machine: str, key: str) -> str:
    """A store key as the fabric view names the entity: ``<fabric>/pr/7`` is pull request ``7``."""
    if key == fabric:
        return key
    rest = key.removeprefix(f"{fabric}/")
    if machine in ("pull_request", "reconciliation_alert"):
        return rest.split("/", 1)[-1]
    return rest


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, "Request refused", str(exc.detail), headers=dict(exc.headers or {}))


def create_app(config: Config, store: Store, sync_trigger: SyncTrigger) -> Starlette:
    """The ASGI application. Webhooks are answered 503 when no webhook_secret is configured."""
    receiver = None
    if config.webhook_secret:
        receiver = WebhookReceiver(
            secret=config.webhook_secret,
            branch=config.github_branch,
            repository=f"{config.github_owner}/{config.github_repo}"
            if config.github_owner and config.github_repo
            else "",
            gitops_path=config.gitops_path,
            store=store,
            catalog=store.catalog,
        )
    api = StatusApi(config, store, sync_trigger, receiver)
    routes = [
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/openapi.json", api.openapi, methods=["GET"]),
        Route("/webhooks/github", api.webhook, methods=["POST"]),
        Route("/api/v1/fabrics", api.fabrics, methods=["GET"]),
        Route("/api/v1/fabrics/{name}", api.fabric, methods=["GET"]),
        Route("/api/v1/fabrics/{name}/resources", api.resources, methods=["GET"]),
        Route("/api/v1/fabrics/{name}/drift", api.drift, methods=["GET"]),
        Route("/api/v1/fabrics/{name}/transitions", api.transitions, methods=["GET"]),
        Route("/api/v1/fabrics/{name}/sync", api.sync, methods=["POST"]),
        Route("/api/v1/alerts", api.alerts, methods=["GET"]),
        Route("/api/v1/alerts/{id:int}/{action:str}", api.alert_action, methods=["POST"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})


class BackgroundServer:
    """Serve an app with uvicorn in a thread (tests, and ``reference serve`` next to a sync worker)."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, name="reference-api", daemon=True)

    @property
    def started(self) -> bool:
        """Whether uvicorn is accepting connections."""
        return bool(self.server.started)

    def start(self) -> None:
        """Start serving; poll ``started`` to know when it accepts connections."""
        self.thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask uvicorn to shut down and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout_s)
