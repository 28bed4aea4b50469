"""Error-catalog injection recipes the proxy executes at an operation.

``FaultPlan`` holds the armed recipes. ``plan.arm(recipe, code=...)`` accepts an ``inject``
mapping from an error-catalog entry (kinds ``http_status``, ``connection_reset``, ``timeout``,
``invalid_response``, ``kubernetes_conflict``, ``git_concurrent_update``); ``plan.take(op_id)``
returns the fault to apply to the next request of that operation, counting it, so exactly the
first ``times`` matching requests are faulted (``times: always`` faults every one; no ``times``
means once). ``plan.injections`` is the log a test reads to assert retries.

The other catalog kinds are executed elsewhere: ``crd_missing`` / ``crd_version_not_served`` by
the Kubernetes target, ``webhook`` by the webhook sender, ``bad_input`` by fixtures, ``crash``
by the crash-safety runner.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PROXY_KINDS = (
    "http_status", "connection_reset", "timeout", "invalid_response", "kubernetes_conflict", "git_concurrent_update",
)  # fmt: skip
_REQUIRED = {"http_status": ("operation", "status"), "timeout": ("operation", "delay_s")}


class FaultError(ValueError):
    """A recipe the proxy cannot execute; the message names the field and what would be valid."""


@dataclass
class Injection:
    """One armed recipe and how often it fired."""

    code: str
    recipe: dict[str, Any]
    times: int | None  # None = always
    fired_at: list[float] = field(default_factory=list)  # time.monotonic() of each firing
    failures: list[str] = field(default_factory=list)  # why a git_concurrent_update could not be made

    @property
    def kind(self) -> str:
        return str(self.recipe["kind"])

    @property
    def operation(self) -> str:
        return str(self.recipe["operation"])

    @property
    def fired(self) -> int:
        return len(self.fired_at)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times


class FaultPlan:
    """Thread-safe set of armed recipes, keyed by operation id."""

    def __init__(self, operations: Mapping[str, object]) -> None:
        self._operations = operations
        self._lock = threading.Lock()
        self._armed: list[Injection] = []
        self.injections: list[Injection] = []

    def arm(self, recipe: Mapping[str, Any], *, code: str) -> Injection:
        """Arm ``recipe`` (an error-catalog ``inject`` mapping) for error ``code``."""
        kind = recipe.get("kind")
        if kind not in PROXY_KINDS:
            raise FaultError(
                f"{code}: inject.kind {kind!r} is not executed by the proxy; it runs {', '.join(PROXY_KINDS)}"
            )
        for name in _REQUIRED.get(str(kind), ("operation",)):
            if name not in recipe:
                raise FaultError(f"{code}: inject.{name} is required for kind {kind}")
        if recipe["operation"] not in self._operations:
            raise FaultError(
                f"{code}: inject.operation {recipe['operation']!r} is no operation at this proxy's boundary"
            )
        times = recipe.get("times", 1)
        if times != "always" and not (isinstance(times, int) and times >= 1):
            raise FaultError(f"{code}: inject.times must be a positive integer or 'always', not {times!r}")
        injection = Injection(code, dict(recipe), None if times == "always" else times)
        with self._lock:
            self._armed.append(injection)
            self.injections.append(injection)
        return injection

    def take(self, operation_id: str) -> Injection | None:
        """The first armed, not yet exhausted injection for ``operation_id``, counted as fired."""
        with self._lock:
            for injection in self._armed:
                if injection.operation == operation_id and not injection.exhausted:
                    injection.fired_at.append(time.monotonic())
                    return injection
        return None

    def clear(self) -> None:
        """Disarm every recipe; the log of what fired is kept until the next clear."""
        with self._lock:
            self._armed.clear()
            self.injections = []


@dataclass(frozen=True)
class Canned:
    """An answer the proxy gives instead of upstream's."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


def http_status_answer(recipe: Mapping[str, Any]) -> Canned:
    """The recipe's status, headers and body (dicts and lists JSON-encoded)."""
    headers = [(str(k), str(v)) for k, v in recipe.get("headers", {}).items()]
    body = recipe.get("body")
    if body is None:
        raw = b""
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = json.dumps(body).encode()
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
    return Canned(int(recipe["status"]), "", headers, raw)


def invalid_response_answer(recipe: Mapping[str, Any]) -> Canned:
    """200 with the recipe's text: markup is served as HTML (a login page), anything else as JSON."""
    text = str(recipe.get("body", "{"))
    ctype = "text/html; charset=utf-8" if text.lstrip().startswith("<") else "application/json"
    return Canned(200, "OK", [("Content-Type", ctype)], text.encode())


def kubernetes_conflict_answer(path_params: Mapping[str, str]) -> Canned:
    """409 with the Status object kube-apiserver sends for a stale resourceVersion."""
    plural, group, name = path_params.get("plural", ""), path_params.get("group", ""), path_params.get("name", "")
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": (
            f'Operation cannot be fulfilled on {plural}.{group} "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again"
        ),
        "reason": "Conflict",
        "details": {"name": name, "group": group, "kind": plural},
        "code": 409,
    }
    return Canned(409, "Conflict", [("Content-Type", "application/json")], json.dumps(status).encode())
