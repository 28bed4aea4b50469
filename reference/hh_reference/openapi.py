"""The OpenAPI 3.1 description of the status API and the webhook endpoint, as the server serves it.

State enums come from the state machine specs, so the document cannot drift from the machines.
Every error answer is ``application/problem+json`` (RFC 9457) with the catalog code when the
failure is catalogued.
"""

from __future__ import annotations

from typing import Any

from hh_reference.machines import StateMachineRegistry

PROBLEM = "application/problem+json"
FABRIC_NAME = {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", "maxLength": 63}


AFTER = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
LIMIT = {"type": "integer", "minimum": 1, "maximum": 1000}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": _ref("Problem")}}}


def _machine_state(registry: StateMachineRegistry, machine_id: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["state", "code"],
        "additionalProperties": False,
        "properties": {
            "state": {"enum": list(registry.spec(machine_id).states)},
            "code": {"type": ["string", "null"], "description": "The HH- code of the failure that caused the state."},
        },
    }


def _obj(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "additionalProperties": False, "properties": properties}


def _schemas(registry: StateMachineRegistry) -> dict[str, Any]:
    nullable = {"type": ["string", "null"]}
    return {
        "Problem": _obj(
            ["title", "status", "detail"],
            {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {"type": "string"},
                "code": {"type": "string", "pattern": "^HH-[A-Z0-9]{2,8}-[0-9]{3}$"},
            },
        ),
        "Fabric": _obj(
            ["name", "fabric_sync", "fabric_status", "connections", "last_sync_commit"],
            {
                "name": FABRIC_NAME,
                "fabric_sync": _machine_state(registry, "fabric_sync"),
                "fabric_status": _machine_state(registry, "fabric_status"),
                "connections": _obj(
                    ["kubernetes", "git"],
                    {
                        "kubernetes": _machine_state(registry, "connection_status"),
                        "git": _machine_state(registry, "connection_status"),
                    },
                ),
                "last_sync_commit": nullable,
                "pull_requests": {
                    "description": "The fabric's sync pull requests by number (pull-request mode).",
                    "type": "object",
                    "propertyNames": {"pattern": "^[1-9][0-9]*$"},
                    "additionalProperties": _machine_state(registry, "pull_request"),
                },
            },
        ),
        "FabricList": _obj(["fabrics"], {"fabrics": {"type": "array", "items": _ref("Fabric")}}),
        "Resource": _obj(
            ["plural", "name", "lifecycle", "drift"],
            {
                "plural": {"type": "string"},
                "name": {"type": "string"},
                "lifecycle": {
                    "anyOf": [_machine_state(registry, "resource_lifecycle"), {"type": "null"}],
                    "description": "null for an object the integration never rendered (one found in the cluster "
                    "with the fabric's label that no NetBox object renders): it has drift, not a lifecycle.",
                },
                "drift": _machine_state(registry, "resource_drift"),
            },
        ),
        "ResourceList": _obj(
            ["fabric", "resources"], {"fabric": FABRIC_NAME, "resources": {"type": "array", "items": _ref("Resource")}}
        ),
        "DriftReport": _obj(
            ["fabric", "summary", "drifted"],
            {
                "fabric": FABRIC_NAME,
                "summary": {
                    "type": "object",
                    "propertyNames": {"enum": list(registry.spec("resource_drift").states)},
                    "additionalProperties": {"type": "integer", "minimum": 1},
                },
                "drifted": {
                    "description": "Every resource whose drift kind is not in_sync.",
                    "type": "array",
                    "items": _obj(
                        ["plural", "name", "kind", "code"],
                        {
                            "plural": {"type": "string"},
                            "name": {"type": "string"},
                            "kind": {"enum": list(registry.spec("resource_drift").states)},
                            "code": nullable,
                        },
                    ),
                },
            },
        ),
        "TransitionList": _obj(
            ["fabric", "transitions", "next"],
            {
                "fabric": FABRIC_NAME,
                "transitions": {
                    "description": "State changes, oldest first; from is null when the entity was created.",
                    "type": "array",
                    "items": _obj(
                        ["id", "machine", "entity", "from", "to", "trigger", "code"],
                        {
                            "id": {"type": "integer", "minimum": 1},
                            "machine": {"enum": sorted(registry.specs)},
                            "entity": {"type": "string"},
                            "from": nullable,
                            "to": {"type": "string"},
                            "trigger": {"type": "string"},
                            "code": nullable,
                        },
                    ),
                },
                "next": {"type": "integer", "minimum": 0, "description": "The after of the next page."},
            },
        ),
        "Alert": _obj(
            ["id", "fabric", "code", "severity", "message", "state", "created_at", "operator", "reason"],
            {
                "id": {"type": "integer", "minimum": 1},
                "fabric": {"type": "string"},
                "code": {"type": "string", "pattern": "^HH-[A-Z0-9]{2,8}-[0-9]{3}$"},
                "severity": {"enum": ["info", "warning", "error", "critical"]},
                "message": {"type": "string"},
                "state": {"enum": list(registry.spec("reconciliation_alert").states)},
                "created_at": {"type": "number", "description": "Unix time in seconds."},
                "operator": nullable,
                "reason": nullable,
            },
        ),
        "AlertList": _obj(["alerts"], {"alerts": {"type": "array", "items": _ref("Alert")}}),
        "AlertAction": _obj(
            [],
            {
                "operator": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 200,
                    "description": "Required to acknowledge or suppress.",
                },
                "reason": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "Required to suppress."},
            },
        ),
        "SyncRequest": _obj([], {"reason": {"type": "string", "minLength": 1, "maxLength": 200}}),
        "SyncAccepted": _obj(
            ["fabric", "sync_id", "reason"],
            {"fabric": FABRIC_NAME, "sync_id": {"type": "string"}, "reason": {"type": "string"}},
        ),
        "Health": _obj(["status"], {"status": {"const": "ok"}}),
        "WebhookResult": _obj(
            ["message"],
            {
                "message": {"type": "string"},
                "code": {"type": "string"},
                "fabrics": {"type": ["array", "null"], "items": FABRIC_NAME},
                "sync_ids": {"type": "array", "items": {"type": "string"}},
                "skipped": {
                    "description": "Fabrics the sync trigger does not know.",
                    "type": "array",
                    "items": FABRIC_NAME,
                },
            },
        ),
    }


def _get(
    summary: str, ok: dict[str, Any], *, params: list[dict[str, Any]], auth: bool, not_found: bool
) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": ok}
    if params and any(p["in"] == "query" for p in params):
        responses["400"] = _problem("A query parameter is invalid.")
    if auth:
        responses["401"] = _problem("Missing or wrong bearer token.")
    if not_found:
        responses["404"] = _problem("No such fabric.")
    return {"summary": summary, "parameters": params, "responses": responses}


def build_openapi(registry: StateMachineRegistry, *, auth: bool, version: str) -> dict[str, Any]:
    """The document for a server whose status API requires a bearer token iff ``auth``."""
    name = {"name": "name", "in": "path", "required": True, "schema": FABRIC_NAME}
    alert_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
    denied = {"401": _problem("Missing or wrong bearer token.")} if auth else {}
    paths: dict[str, Any] = {
        "/healthz": {
            "get": {"summary": "Liveness", "security": [], "responses": {"200": _json(_ref("Health"), "Alive.")}}
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1.")},
            }
        },
        "/api/v1/fabrics": {
            "get": _get(
                "Every fabric with its machine states",
                _json(_ref("FabricList"), "Fabrics."),
                params=[],
                auth=auth,
                not_found=False,
            )
        },
        "/api/v1/fabrics/{name}": {
            "get": _get(
                "One fabric's machine states",
                _json(_ref("Fabric"), "The fabric."),
                params=[name],
                auth=auth,
                not_found=True,
            )
        },
        "/api/v1/fabrics/{name}/resources": {
            "get": _get(
                "Lifecycle and drift state of every managed object",
                _json(_ref("ResourceList"), "Resources."),
                params=[name],
                auth=auth,
                not_found=True,
            )
        },
        "/api/v1/fabrics/{name}/drift": {
            "get": _get(
                "Three-way drift report", _json(_ref("DriftReport"), "Drift."), params=[name], auth=auth, not_found=True
            )
        },
        "/api/v1/fabrics/{name}/transitions": {
            "get": _get(
                "The fabric's state changes, oldest first, after a log id",
                _json(_ref("TransitionList"), "State changes."),
                params=[
                    name,
                    {"name": "after", "in": "query", "required": False, "schema": AFTER},
                    {"name": "limit", "in": "query", "required": False, "schema": LIMIT},
                ],
                auth=auth,
                not_found=True,
            )
        },
        "/api/v1/fabrics/{name}/sync": {
            "post": {
                "summary": "Request a sync run",
                "parameters": [name],
                "requestBody": {"required": False, "content": {"application/json": {"schema": _ref("SyncRequest")}}},
                "responses": {
                    "202": _json(_ref("SyncAccepted"), "Queued."),
                    "400": _problem("The body is not a valid SyncRequest."),
                    **denied,
                    "404": _problem("No such fabric."),
                    "409": _problem("A sync cannot start now (catalog code given)."),
                    "502": _problem("An upstream system failed (catalog code given)."),
                },
            }
        },
        "/api/v1/alerts": {
            "get": _get(
                "Alerts, oldest first",
                _json(_ref("AlertList"), "Alerts."),
                params=[
                    {
                        "name": "state",
                        "in": "query",
                        "required": False,
                        "schema": {"enum": list(registry.spec("reconciliation_alert").states)},
                    },
                    {
                        "name": "fabric",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 63},
                    },
                ],
                auth=auth,
                not_found=False,
            )
        },
        "/webhooks/github": {
            "post": {
                "summary": "GitHub webhook deliveries (push, pull_request, ping), authenticated by X-Hub-Signature-256",
                "security": [],
                "parameters": [
                    {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
                    for h in ("X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256")
                ],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {
                    "200": _json(
                        _ref("WebhookResult"), "Ping, ignored event, or a replay already processed (HH-HOOK-004)."
                    ),
                    "202": _json(
                        _ref("WebhookResult"), "Reconcile requested, or an unsupported event ignored (HH-HOOK-005)."
                    ),
                    "400": _problem("Body not a JSON object (HH-HOOK-006) or no X-GitHub-Delivery."),
                    "401": _problem("Signature missing, malformed or wrong (HH-HOOK-001/002/003)."),
                    "413": _problem("Body larger than 5 MiB (HH-HOOK-007)."),
                },
            }
        },
    }
    for action, needs in (("acknowledge", "operator"), ("resolve", "nothing"), ("suppress", "operator and reason")):
        paths[f"/api/v1/alerts/{{id}}/{action}"] = {
            "post": {
                "summary": f"{action.capitalize()} an alert (body needs: {needs})",
                "parameters": [alert_id],
                "requestBody": {"required": False, "content": {"application/json": {"schema": _ref("AlertAction")}}},
                "responses": {
                    "200": _json(_ref("Alert"), "The alert in its new state."),
                    "400": _problem("The body is not a valid AlertAction."),
                    **denied,
                    "404": _problem("No such alert."),
                    "409": _problem(
                        "Not allowed from the alert's state, or a required field is missing (HH-STATE-001)."
                    ),
                },
            }
        }
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Hedgehog reference integration status API", "version": version},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": _schemas(registry)},
    }
    if auth:
        document["components"]["securitySchemes"] = {
            "bearerAuth": {"type": "http", "scheme": "bearer", "description": "The api_token from the configuration."}
        }
        document["security"] = [{"bearerAuth": []}]
    return document
