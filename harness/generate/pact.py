"""Consumer pacts (Pact V4) generated from the NetBox and GitHub contracts.

A :class:`PactCase` is one request the reference makes (an operation id, the concrete path,
query and body, the provider state it needs). :func:`build_pact` turns a list of cases into a
``pact.Pact``: the request exactly as given, checked against the operation's request schemas
first (a case the contract does not allow is a :class:`PactGenerationError`), and the expected
answer as Pact matchers derived from the operation's response schema for the case's status
(:func:`schema_matchers`): required, non-nullable properties only, matched by type, enums by
regex, arrays by ``each_like``. Extra fields in a provider's answer are allowed, as in Pact.

:func:`exercise` plays every case against the Pact mock server (the consumer side) and writes
the pact file; :func:`verify` replays the file against a real provider with a state handler.
Set ``PACT_DO_NOT_TRACK=true`` before importing pact.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from harness.spec.models import Operation, SpecSet

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # no usage telemetry from a test harness

from pact import Pact, Verifier, match  # after the telemetry opt-out

CONSUMER = "hh-reference"


class PactGenerationError(ValueError):
    """A case the contract does not support; the message names the operation and the field."""


@dataclass(frozen=True)
class PactCase:
    """One consumer request: the operation it exercises and the provider state it needs."""

    operation: str
    path: str
    state: str = ""
    state_params: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    status: int = 200
    non_empty: bool = False  # the state guarantees list answers hold at least one item

    @property
    def description(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{self.operation}: {self.path}{'?' + query if query else ''} -> {self.status}"


def _types(schema: Mapping[str, Any]) -> list[str]:
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


def _nullable(schema: Mapping[str, Any]) -> bool:
    return "null" in _types(schema) or any("null" in _types(s) for s in schema.get("anyOf", []))


def schema_matchers(schema: Mapping[str, Any], *, non_empty: bool = False) -> Any:
    """Pact matchers for the answers ``schema`` allows; ``None`` where no matcher can say it."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema and schema["enum"] and all(isinstance(v, str) for v in schema["enum"]):
        values = schema["enum"]
        return match.regex(values[0], regex="^(" + "|".join(re.escape(v) for v in values) + ")$")
    types = [t for t in _types(schema) if t != "null"]
    kind = types[0] if len(types) == 1 else ("object" if "properties" in schema else None)
    if kind == "object":
        props = schema.get("properties", {})
        out = {}
        for name in schema.get("required", []):
            sub = props.get(name)
            if isinstance(sub, Mapping) and not _nullable(sub):
                value = schema_matchers(sub, non_empty=non_empty)
                if value is not None:
                    out[name] = value
        return out
    if kind == "array":
        item = schema_matchers(schema.get("items", {}), non_empty=non_empty)
        return match.each_like(item, min=1) if non_empty and item is not None else match.type([])
    examples: dict[str, Callable[[], Any]] = {
        "string": lambda: match.str(str(schema.get("example", "text"))),
        "integer": lambda: match.int(int(schema.get("minimum", 1))),
        "number": lambda: match.number(1.5),
        "boolean": lambda: match.bool(True),
    }
    return examples[kind]() if kind in examples else None


def _check_request(op: Operation, case: PactCase) -> None:
    parts = (("query", dict(case.query)), ("body", case.body))
    for part, value in parts:
        schema = op.request.get(part)
        if value in (None, {}) or schema is None:
            if value not in (None, {}) and schema is None:
                raise PactGenerationError(f"{op.id}: the case sends a {part} the contract does not declare")
            continue
        # Query values travel as strings; the contract types them, so compare typed values.
        typed = (
            {k: _typed(v, schema.get("properties", {}).get(k, {})) for k, v in value.items()}
            if part == "query"
            else value
        )
        errors = list(Draft202012Validator(schema).iter_errors(typed))
        if errors:
            raise PactGenerationError(f"{op.id}: request.{part} of the case breaks the contract: {errors[0].message}")


def _typed(value: str, schema: Mapping[str, Any]) -> Any:
    return int(value) if "integer" in _types(schema) and value.lstrip("-").isdigit() else value


def build_pact(specs: SpecSet, provider: str, cases: Sequence[PactCase]) -> Pact:
    """A Pact V4 between the reference and ``provider`` with one interaction per case."""
    pact = Pact(CONSUMER, provider).with_specification("V4")
    operations = specs.operations()
    for case in cases:
        op = operations.get(case.operation)
        if op is None or op.http is None:
            raise PactGenerationError(f"{case.operation}: no HTTP operation of that id in the contracts")
        _check_request(op, case)
        response = op.responses.get(str(case.status))
        if response is None:
            raise PactGenerationError(f"{op.id}: the contract declares no {case.status} answer")
        interaction = pact.upon_receiving(case.description)
        if case.state:
            interaction.given(case.state, dict(case.state_params))
        interaction.with_request(op.http.method, case.path)
        for name, value in case.query.items():
            interaction.with_query_parameter(name, value)
        interaction.with_header("Accept", "application/json")
        if case.body is not None:
            interaction.with_body(case.body, content_type="application/json")
        interaction.will_respond_with(case.status)
        if "body" in response:
            interaction.with_body(schema_matchers(response["body"], non_empty=case.non_empty), "application/json")
    return pact


def exercise(pact: Pact, specs: SpecSet, cases: Sequence[PactCase], out: Path) -> Path:
    """Send every case to the Pact mock server (the consumer side), then write the pact file.

    The mock server raises when a case's request does not match its interaction."""
    operations = specs.operations()
    with pact.serve(addr="127.0.0.1", verbose=False) as server, httpx.Client(timeout=10) as http:
        base = str(server.url).rstrip("/")
        for case in cases:
            http_binding = operations[case.operation].http
            assert http_binding is not None  # build_pact refused operations without one
            headers = {"Accept": "application/json"}
            http.request(http_binding.method, base + case.path, params=dict(case.query), json=case.body,
                         headers=headers)  # fmt: skip
    pact.write_file(out, overwrite=True)
    return out


def verify(
    pact_dir: Path,
    provider: str,
    url: str,
    state_handler: Callable[..., None],
    *,
    headers: Mapping[str, str] | None = None,
    timeout_ms: int = 10_000,
) -> Verifier:
    """Replay the pacts in ``pact_dir`` against ``url``; raises on a mismatch (``.output()`` says which).

    The verifier connects to ``localhost``: a ``127.0.0.1`` URL fails its host check, so pass
    ``http://localhost:<port>``."""
    verifier = Verifier(provider).add_transport(url=url).set_request_timeout(timeout_ms)
    verifier.state_handler(state_handler, teardown=True)
    for name, value in (headers or {}).items():
        verifier.add_custom_header(name, value)
    verifier.add_source(pact_dir)
    return verifier.verify()
