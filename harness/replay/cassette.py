"""VCR.py cassettes: write recorded exchanges redacted, load them back checked against the contract.

The file is VCR.py's YAML format, version 1, so ``vcr.use_cassette(path)`` replays it for
requests/httpx/urllib3 clients::

    interactions:
    - request:  {method, uri, body, headers: {Name: [value]}}
      response: {status: {code, message}, headers: {Name: [value]}, body: {string}}
      x-hh: {operation, fault, duration_s}      # ours; VCR.py ignores it
    version: 1
    x-hh: {upstream: <provider base URL>}

``write_cassette(path, exchanges, secrets=...)`` redacts (:mod:`harness.replay.redact`) on the
way out. ``load_cassette(path, specs, boundary)`` reads one back into :class:`Exchange` objects,
matches each to its contract operation and validates it (:mod:`harness.proxy.check`);
``Cassette.findings`` lists what drifted from the contract and ``strict=True`` raises instead.
Interactions answered by no upstream (a reset or timeout fault) have no response to replay and
are not written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from harness.proxy.check import ContractChecker
from harness.proxy.exchange import Exchange, Finding
from harness.proxy.match import OperationMatcher
from harness.replay.redact import Redactor
from harness.spec.models import SpecSet

VERSION = 1


class CassetteError(ValueError):
    """A cassette that cannot be read; the message names the file and the field."""


class CassetteDriftError(CassetteError):
    """A cassette whose exchanges no longer satisfy the contract."""


@dataclass
class Cassette:
    """A loaded cassette: its exchanges, each with its operation id and findings."""

    path: Path
    upstream: str
    exchanges: list[Exchange]

    @property
    def findings(self) -> list[Finding]:
        return [f for ex in self.exchanges for f in ex.findings]


def write_cassette(path: Path, exchanges: Iterable[Exchange], secrets: Sequence[str] = ()) -> Path:
    """Write ``exchanges`` to ``path`` as a redacted VCR.py cassette; return ``path``."""
    redactor = Redactor(secrets)
    items = [e for e in exchanges if e.status is not None]
    upstream = items[0].upstream_url if items else ""
    data = {
        "interactions": [_interaction(e, redactor) for e in items],
        "version": VERSION,
        "x-hh": {"upstream": redactor.text(upstream)},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
    return path


def _interaction(e: Exchange, redactor: Redactor) -> dict[str, Any]:
    assert e.status is not None
    request_body = redactor.text(_text(e.request_body)) if e.request_body else None
    return {
        "request": {
            "method": e.method,
            "uri": redactor.text(e.uri),
            "body": request_body,
            "headers": _headers(redactor.headers(e.request_headers)),
        },
        "response": {
            "status": {"code": e.status, "message": e.reason or _phrase(e.status)},
            "headers": _headers(redactor.headers(e.response_headers)),
            "body": {"string": redactor.text(_text(e.response_body))},
        },
        "x-hh": {"operation": e.operation_id, "fault": e.fault, "duration_s": round(e.duration_s, 6)},
    }


def load_cassette(path: Path, specs: SpecSet, boundary: str, *, strict: bool = False) -> Cassette:
    """Read ``path`` and check every interaction against the ``boundary`` contracts."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CassetteError(f"{path}: cannot read the cassette: {exc}") from exc
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("interactions"), list):
        raise CassetteError(f"{path}: expected a VCR.py cassette with 'version: {VERSION}' and an 'interactions' list")
    upstream = str((data.get("x-hh") or {}).get("upstream", ""))
    matcher, checker = OperationMatcher(specs, boundary), ContractChecker(specs, boundary)
    exchanges = []
    for i, item in enumerate(data["interactions"]):
        exchange = _exchange(path, i, item, upstream)
        split = urlsplit(exchange.path + (f"?{exchange.query}" if exchange.query else ""))
        match = matcher.match(exchange.method, split.path, parse_qs(split.query), exchange.request_headers)
        exchange.operation_id = match.operation.id if match.operation else None
        exchange.path_params = dict(match.path_params)
        exchange.findings = checker.check(exchange, match)
        exchanges.append(exchange)
    cassette = Cassette(path, upstream, exchanges)
    if strict and cassette.findings:
        listed = "\n  ".join(str(f) for f in cassette.findings)
        raise CassetteDriftError(f"{path}: {len(cassette.findings)} exchange(s) drifted from the contract:\n  {listed}")
    return cassette


def _exchange(path: Path, index: int, item: Any, upstream: str) -> Exchange:
    where = f"{path}: /interactions/{index}"
    try:
        request, response = item["request"], item["response"]
        uri, method, status = str(request["uri"]), str(request["method"]).upper(), int(response["status"]["code"])
        body = response.get("body") or {}
    except (KeyError, TypeError, ValueError) as exc:
        raise CassetteError(f"{where}: needs request.method, request.uri and response.status.code ({exc})") from exc
    split = urlsplit(uri)
    base = upstream or f"{split.scheme}://{split.netloc}"
    if not uri.startswith(base):
        raise CassetteError(f"{where}/request/uri: {uri!r} is not under the cassette's upstream {base!r}")
    relative = urlsplit(uri[len(base) :] or "/")
    meta = item.get("x-hh") or {}
    return Exchange(
        method=method,
        path=relative.path or "/",
        query=relative.query,
        request_headers=_pairs(request.get("headers")),
        request_body=_bytes(request.get("body")),
        upstream_url=base,
        status=status,
        reason=str(response["status"].get("message", "")),
        response_headers=_pairs(response.get("headers")),
        response_body=_bytes(body.get("string") if isinstance(body, dict) else body),
        duration_s=float(meta.get("duration_s") or 0.0),
        fault=meta.get("fault"),
    )


def _headers(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def _pairs(headers: Any) -> list[tuple[str, str]]:
    if not isinstance(headers, dict):
        return []
    return [(str(k), str(v)) for k, vs in headers.items() for v in (vs if isinstance(vs, list) else [vs])]


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    return value if isinstance(value, bytes) else str(value).encode()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
