"""Check one recorded exchange against the contract operation it matched.

``ContractChecker(specs, boundary)`` compiles each schema once (Draft 2020-12) and caches the
validator per (operation, part). ``checker.check(exchange, match)`` returns the findings and
fills ``exchange.error_codes`` with the catalog entries whose ``trigger.http`` recognises the
answer. Checked: request path parameters, query, headers and body; the response status (declared
by the operation, or recognised by the error catalog for it); the response body for that status.

Kubernetes operations declare no schemas of their own: request bodies of create, update and
update_status, and objects answered by get/create/update/patch/list, are checked against the
contract resource's schema with ``metadata`` reduced to the fields the integration owns (the
server adds uid, resourceVersion and friends) and ``status`` left open. Merge-patch bodies are
partial by design and watch streams are events, so neither is schema-checked.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs

from jsonschema import Draft202012Validator

from harness.proxy.exchange import Exchange, Finding, json_body
from harness.proxy.match import Match
from harness.spec.models import ErrorEntry, Operation, Resource, SpecSet

MAX_FINDINGS_PER_PART = 20
_KUBE_SUCCESS = {
    "get": ("200",), "list": ("200",), "watch": ("200",), "create": ("200", "201", "202"),
    "update": ("200", "201"), "patch": ("200",), "update_status": ("200", "201"), "delete": ("200", "202"),
}  # fmt: skip
_KUBE_BODY_VERBS = ("create", "update", "update_status")
_KUBE_OBJECT_VERBS = ("get", "create", "update", "patch", "update_status")


class ContractChecker:
    """Validates exchanges of one boundary; validators are compiled lazily and cached."""

    def __init__(self, specs: SpecSet, boundary: str) -> None:
        self.boundary = boundary
        self._entries = [e for e in specs.errors().values() if e.boundary == boundary and "http" in e.trigger]
        self._validators: dict[tuple[str, str, int], Draft202012Validator] = {}
        self._kube_schemas: dict[str, dict[str, Any]] = {}

    def check(self, exchange: Exchange, match: Match) -> list[Finding]:
        """Findings for ``exchange``; the match's own finding (unknown operation) comes first."""
        if match.finding is not None:
            return [match.finding]
        op = match.operation
        if op is None:
            return []
        findings = list(self._check_request(op, match, exchange))
        if exchange.status is not None:
            exchange.error_codes = self.recognised(op, exchange)
            findings.extend(self._check_response(op, match, exchange))
        return findings

    def recognised(self, op: Operation, exchange: Exchange) -> list[str]:
        """Codes of the catalog entries whose trigger.http matches this answer of ``op``."""
        text = exchange.response_body.decode("utf-8", "replace")
        return [e.code for e in self._entries if _triggers(e, op.id, exchange, text)]

    def _check_request(self, op: Operation, match: Match, ex: Exchange) -> Iterator[Finding]:
        request = op.request
        if "path_params" in request:
            params = {k: _coerce(v, _prop(request["path_params"], k)) for k, v in match.path_params.items()}
            yield from self._validate(op, "request.path_params", request["path_params"], params)
        if "query" in request:
            yield from self._validate(op, "request.query", request["query"], _query(ex.query, request["query"]))
        if "headers" in request:
            yield from self._validate(op, "request.headers", request["headers"], _headers(ex, request["headers"]))
        body_schema = request.get("body")
        if (
            body_schema is None
            and match.resource is not None
            and op.kubernetes
            and op.kubernetes.verb in _KUBE_BODY_VERBS
        ):
            body_schema = self._kube_schema(match.resource)
        if body_schema is not None:
            yield from self._body(op, "request.body", body_schema, ex.request_body, ex.request_header("content-type"))

    def _check_response(self, op: Operation, match: Match, ex: Exchange) -> Iterator[Finding]:
        status = str(ex.status)
        declared: Sequence[str] = tuple(op.responses)
        if not declared and op.kubernetes is not None:
            declared = _KUBE_SUCCESS.get(op.kubernetes.verb, ())
        if status not in declared:
            if not ex.error_codes:
                yield Finding(
                    "status", op.id, "response.status", "",
                    f"status {status} is neither declared by the operation ({', '.join(declared) or 'none'}) "
                    f"nor recognised by the {self.boundary} error catalog",
                )  # fmt: skip
            return
        schema = op.responses.get(status, {}).get("body")
        if schema is not None:
            yield from self._body(op, "response.body", schema, ex.response_body, ex.response_header("content-type"))
        elif match.resource is not None and op.kubernetes is not None:
            if status.startswith("2"):
                yield from self._kube_response(op, match.resource, ex)
            else:  # a declared failure answer of the API server is a Status object
                yield from self._body(op, "response.body", _kube_status_schema(int(status)), ex.response_body,
                                      ex.response_header("content-type"))  # fmt: skip

    def _kube_response(self, op: Operation, resource: Resource, ex: Exchange) -> Iterator[Finding]:
        verb = op.kubernetes.verb if op.kubernetes else ""
        if verb not in (*_KUBE_OBJECT_VERBS, "list"):
            return
        is_json, value = json_body(ex.response_body, ex.response_header("content-type"))
        if not is_json or isinstance(value, ValueError):
            yield Finding("unparseable", op.id, "response.body", "", "expected a JSON object from the API server")
            return
        schema = self._kube_schema(resource)
        if verb != "list":
            yield from self._validate(op, "response.body", schema, value)
            return
        items = value.get("items") if isinstance(value, dict) else None
        if not isinstance(items, list):
            yield Finding("schema", op.id, "response.body", "/items", "a list answer must carry an items array")
            return
        for i, item in enumerate(items):
            yield from self._validate(op, "response.body", schema, item, prefix=f"/items/{i}")

    def _kube_schema(self, resource: Resource) -> dict[str, Any]:
        if resource.key not in self._kube_schemas:
            self._kube_schemas[resource.key] = _kube_object_schema(resource)
        return self._kube_schemas[resource.key]

    def _body(
        self, op: Operation, part: str, schema: dict[str, Any], raw: bytes, ctype: str | None
    ) -> Iterator[Finding]:
        is_json, value = json_body(raw, ctype)
        if isinstance(value, ValueError):
            yield Finding("unparseable", op.id, part, "", f"declared JSON but does not parse: {value}")
        elif not is_json:
            yield Finding("unparseable", op.id, part, "", "the contract declares a JSON body; none was sent")
        else:
            yield from self._validate(op, part, schema, value)

    def _validate(
        self, op: Operation, part: str, schema: dict[str, Any], value: Any, prefix: str = ""
    ) -> Iterator[Finding]:
        key = (op.id, part, id(schema))  # a part has one schema per status; schemas live as long as the specs
        validator = self._validators.get(key)
        if validator is None:
            validator = self._validators[key] = Draft202012Validator(schema)
        errors = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
        for error in errors[:MAX_FINDINGS_PER_PART]:
            pointer = prefix + "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in error.absolute_path)
            yield Finding("schema", op.id, part, pointer, error.message[:300])


def _triggers(entry: ErrorEntry, op_id: str, ex: Exchange, text: str) -> bool:
    http = entry.trigger["http"]
    if "operations" in http and op_id not in http["operations"]:
        return False
    statuses = http["status"] if isinstance(http["status"], list) else [http["status"]]
    if ex.status not in statuses:
        return False
    if any(ex.response_header(k) != v for k, v in http.get("headers", {}).items()):
        return False
    return str(http.get("body_contains", "")) in text


def _prop(schema: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    prop = schema.get("properties", {}).get(name, {})
    return prop if isinstance(prop, Mapping) else {}


def _coerce(value: str, schema: Mapping[str, Any]) -> Any:
    """A query or path string as the type its schema expects; unconvertible strings stay strings."""
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    try:
        if "integer" in types:
            return int(value)
        if "number" in types:
            return float(value)
    except ValueError:
        return value
    if "boolean" in types and value in ("true", "false"):
        return value == "true"
    return value


def _query(raw: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, values in parse_qs(raw, keep_blank_values=True).items():
        prop = _prop(schema, name)
        if prop.get("type") == "array" or len(values) > 1:
            out[name] = [_coerce(v, prop.get("items", {})) for v in values]
        else:
            out[name] = _coerce(values[0], prop)
    return out


def _headers(ex: Exchange, schema: Mapping[str, Any]) -> dict[str, str]:
    # Header names are case-insensitive; present them under the spelling the schema uses.
    spelling = {name.lower(): name for name in schema.get("properties", {})}
    return {spelling.get(k.lower(), k): v for k, v in ex.request_headers}


def _kube_status_schema(code: int) -> dict[str, Any]:
    """The metav1.Status an API server answers a failed request with."""
    return {
        "type": "object",
        "required": ["kind", "apiVersion", "status", "code"],
        "properties": {
            "kind": {"const": "Status"},
            "apiVersion": {"const": "v1"},
            "status": {"const": "Failure"},
            "code": {"const": code},
            "reason": {"type": "string"},
            "message": {"type": "string"},
        },
    }


def _kube_object_schema(resource: Resource) -> dict[str, Any]:
    schema = copy.deepcopy(resource.schema)
    props = schema.setdefault("properties", {})
    owned = props.get("metadata", {}).get("properties", {})
    props["metadata"] = {"type": "object", "properties": owned}
    props["status"] = {}
    return schema
