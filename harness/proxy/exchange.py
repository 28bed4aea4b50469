"""What the proxy records: one HTTP exchange and the contract findings about it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One way an exchange disagrees with its contract.

    ``kind`` is ``unknown-operation``, ``schema`` (a body, query, header or path parameter
    fails its schema), ``status`` (a status the operation does not declare and no catalog
    entry recognises) or ``unparseable`` (a body that should be JSON is not).
    ``part`` names where: ``request.body``, ``request.query``, ``request.path_params``,
    ``request.headers``, ``response.status`` or ``response.body``.
    """

    kind: str
    operation_id: str | None
    part: str
    pointer: str
    message: str

    def __str__(self) -> str:
        where = f"{self.part}{self.pointer}" if self.pointer else self.part
        return f"{self.operation_id or '<no operation>'}: {where}: {self.message}"


@dataclass
class Exchange:
    """A request the proxy received and what it answered (from upstream or from a fault)."""

    method: str
    path: str
    query: str
    request_headers: list[tuple[str, str]] = field(repr=False)  # carries credentials; never printed
    request_body: bytes
    upstream_url: str
    status: int | None = None
    reason: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list, repr=False)
    response_body: bytes = b""
    duration_s: float = 0.0
    operation_id: str | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    error_codes: list[str] = field(default_factory=list)  # catalog entries whose trigger.http matches
    fault: str | None = None  # the error code whose recipe answered instead of upstream
    started_at: float = 0.0  # time.monotonic() when the proxy received the request

    def request_header(self, name: str) -> str | None:
        """The first request header called ``name`` (case-insensitive)."""
        return _first(self.request_headers, name)

    def response_header(self, name: str) -> str | None:
        """The first response header called ``name`` (case-insensitive)."""
        return _first(self.response_headers, name)

    @property
    def uri(self) -> str:
        """The upstream URI this exchange addressed, with its query."""
        return f"{self.upstream_url}{self.path}" + (f"?{self.query}" if self.query else "")


def _first(headers: list[tuple[str, str]], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers if k.lower() == lowered), None)


def json_body(raw: bytes, content_type: str | None) -> tuple[bool, Any]:
    """(True, value) when ``raw`` is a JSON document; empty bodies are (False, None).

    JSON is recognised by content type or, without one, by parsing; a body declared JSON
    that does not parse is (True, ValueError) so the caller can report it.
    """
    if not raw:
        return False, None
    declared = content_type is not None and "json" in content_type.lower()
    try:
        return True, json.loads(raw)
    except ValueError as exc:
        return (True, exc) if declared else (False, None)
