"""Map an HTTP request at one boundary to the contract operation it performs.

``OperationMatcher(specs, "github")`` is built once; ``matcher.match(method, path, query,
headers)`` returns a :class:`Match` with the operation, its path parameters and, for
Kubernetes, the contract resource. A request no contract operation covers yields a
``Finding`` of kind ``unknown-operation`` instead. Requests that are client plumbing rather
than operations (Kubernetes discovery) match ``passthrough`` patterns and are neither.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.proxy.exchange import Finding
from harness.spec.models import Operation, Resource, SpecSet

BOUNDARIES = ("netbox", "github", "kubernetes", "webhook")

# Discovery and version probes the official clients and kubectl make before real calls.
KUBE_DISCOVERY = (r"^/(api|apis)(/[^/]+){0,2}/?$", r"^/version/?$", r"^/openapi/")

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# A trailing {path} or {ref} spans slashes: contents/raw/a.yaml, git/refs/heads/main.
_GREEDY = {"path", "ref"}
_KUBE_PATH = re.compile(
    r"^/apis/(?P<group>[^/]+)/(?P<version>[^/]+)(?:/namespaces/(?P<namespace>[^/]+))?"
    r"/(?P<plural>[^/]+)(?:/(?P<name>[^/]+)(?P<status>/status)?)?/?$"
)


@dataclass(frozen=True)
class Match:
    """The outcome of matching one request."""

    operation: Operation | None
    path_params: dict[str, str] = field(default_factory=dict)
    resource: Resource | None = None
    finding: Finding | None = None
    passthrough: bool = False


@dataclass(frozen=True)
class _Template:
    operation: Operation
    method: str
    regex: re.Pattern[str]
    header_consts: tuple[tuple[str, Any], ...]


class OperationMatcher:
    """Operations of one boundary (netbox | github | kubernetes | webhook), compiled once."""

    def __init__(self, specs: SpecSet, boundary: str, passthrough: Sequence[str] | None = None) -> None:
        if boundary not in BOUNDARIES:
            raise ValueError(f"unknown boundary {boundary!r}; expected one of {', '.join(BOUNDARIES)}")
        self.boundary = boundary
        contracts = [c for c in specs.contracts if c.boundary == boundary]
        if not contracts:
            raise ValueError(f"no contract with boundary {boundary!r} among the loaded specs")
        if passthrough is None:
            passthrough = KUBE_DISCOVERY if boundary == "kubernetes" else ()
        self._passthrough = [re.compile(p) for p in passthrough]
        operations = [op for c in contracts for op in c.operations]
        self.operations = {op.id: op for op in operations}
        self._templates = [_template(op) for op in operations if op.http is not None]
        self._resources = {r.key: r for c in contracts for r in c.resources}
        self._kube_ops = {(op.kubernetes.resource, op.kubernetes.verb): op for op in operations if op.kubernetes}

    def match(
        self,
        method: str,
        path: str,
        query: Mapping[str, Sequence[str]] | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> Match:
        """The operation ``method path`` performs, or a Match carrying an unknown-operation finding."""
        method = method.upper()
        if any(p.search(path) for p in self._passthrough):
            return Match(None, passthrough=True)
        if self.boundary == "kubernetes":
            return self._match_kube(method, path, query or {})
        return self._match_http(method, path, dict((k.lower(), v) for k, v in headers))

    def _match_http(self, method: str, path: str, headers: dict[str, str]) -> Match:
        candidates = []
        for t in self._templates:
            found = t.regex.match(path)
            if found and t.method == method:
                candidates.append((t, found.groupdict()))
        if len(candidates) > 1:
            # Several operations share a path (webhook events): the request headers' consts decide.
            candidates = [(t, p) for t, p in candidates if all(headers.get(n) == v for n, v in t.header_consts)]
        if len(candidates) == 1:
            template, params = candidates[0]
            return Match(template.operation, path_params=params)
        why = "no" if not candidates else "more than one"
        return self._unknown(f"{method} {path}: {why} {self.boundary} contract operation has this method and path")

    def _match_kube(self, method: str, path: str, query: Mapping[str, Sequence[str]]) -> Match:
        found = _KUBE_PATH.match(path)
        if not found:
            return self._unknown(f"{method} {path}: not a custom-resource path /apis/<group>/<version>/...")
        parts = {k: v for k, v in found.groupdict().items() if v is not None}
        key = f"{parts['plural']}.{parts['group']}"
        resource = self._resources.get(key)
        if resource is None:
            return self._unknown(f"{method} {path}: resource {key} is in no kubernetes contract")
        if resource.version != parts["version"]:
            return self._unknown(
                f"{method} {path}: {parts['group']}/{parts['version']} is not served for {parts['plural']}; "
                f"the contract has {resource.api_version}"
            )
        verb = _kube_verb(method, "name" in parts, "status" in parts, query)
        op = self._kube_ops.get((key, verb)) if verb else None
        if op is None:
            return self._unknown(f"{method} {path}: verb {verb or 'unsupported'} on {key} is no contract operation")
        params = {k: v for k, v in parts.items() if k != "status"}
        return Match(op, path_params=params, resource=resource)

    def _unknown(self, message: str) -> Match:
        return Match(None, finding=Finding("unknown-operation", None, "request", "", message))


def _template(op: Operation) -> _Template:
    assert op.http is not None
    template = op.http.path
    names = _PLACEHOLDER.findall(template)
    pattern, last = "", 0
    for i, m in enumerate(_PLACEHOLDER.finditer(template)):
        pattern += re.escape(template[last : m.start()])
        greedy = m.group(1) in _GREEDY and i == len(names) - 1 and m.end() == len(template)
        pattern += f"(?P<{m.group(1)}>{'.+' if greedy else '[^/]+'})"
        last = m.end()
    pattern += re.escape(template[last:])
    headers = op.request.get("headers", {}).get("properties", {})
    consts = tuple((name.lower(), s["const"]) for name, s in headers.items() if isinstance(s, dict) and "const" in s)
    return _Template(op, op.http.method.upper(), re.compile(f"^{pattern}$"), consts)


def _kube_verb(method: str, named: bool, status: bool, query: Mapping[str, Sequence[str]]) -> str | None:
    if status:
        return "update_status" if method in ("PUT", "PATCH") else None
    if method == "GET":
        if any(v in ("1", "true") for v in query.get("watch", ())):
            return "watch"
        return "get" if named else "list"
    verbs = {("POST", False): "create", ("PUT", True): "update", ("PATCH", True): "patch", ("DELETE", True): "delete"}
    return verbs.get((method, named))
