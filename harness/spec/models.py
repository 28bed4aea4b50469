"""Typed models of the five spec kinds. Plain dicts do not travel past the loader,
except JSON Schemas, which stay JSON Schemas (with their ``$ref``s resolved)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.spec.yamlsafe import Document


@dataclass(frozen=True)
class Loc:
    """Where a spec element is: its document and JSON pointer."""

    doc: Document
    pointer: str

    def child(self, *tokens: str | int) -> Loc:
        extra = "".join(f"/{t}" for t in tokens)
        return Loc(self.doc, self.pointer + extra)

    @property
    def element_id(self) -> str:
        return f"{self.doc.name}#{self.pointer}"


@dataclass(frozen=True)
class HttpBinding:
    method: str
    path: str
    upstream_operation_id: str | None


@dataclass(frozen=True)
class KubeBinding:
    verb: str
    resource: str  # plural.group


@dataclass(frozen=True)
class Operation:
    id: str
    summary: str
    contract_id: str
    http: HttpBinding | None
    kubernetes: KubeBinding | None
    request: dict[str, Any]
    responses: dict[str, dict[str, Any]]
    errors: tuple[str, ...]
    loc: Loc


@dataclass(frozen=True)
class Rule:
    id: str
    rule: str
    paths: tuple[str, ...]
    error: str | None
    loc: Loc


@dataclass(frozen=True)
class Resource:
    kind: str
    group: str
    version: str
    plural: str
    scope: str
    schema: dict[str, Any]
    rules: tuple[Rule, ...]
    loc: Loc

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def key(self) -> str:
        return f"{self.plural}.{self.group}"


@dataclass(frozen=True)
class Contract:
    id: str
    boundary: str
    provider: dict[str, Any]
    operations: tuple[Operation, ...]
    resources: tuple[Resource, ...]
    loc: Loc


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    guards: tuple[str, ...]
    unless: tuple[str, ...]
    errors: tuple[str, ...]
    loc: Loc

    def element_ids(self, machine_file: str) -> list[str]:
        return [f"{machine_file}::{s}->{self.dest}" for s in self.sources]


@dataclass(frozen=True)
class State:
    name: str
    final: bool
    invariants: tuple[str, ...]
    settle_timeout_s: float | None
    loc: Loc


@dataclass(frozen=True)
class Forbidden:
    source: str
    dest: str
    reason: str
    loc: Loc


@dataclass(frozen=True)
class StateMachine:
    id: str
    title: str
    entity: str
    attribute: str
    initial: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    forbidden: tuple[Forbidden, ...]
    guards: dict[str, str]
    invariants: dict[str, str]
    loc: Loc

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    def state(self, name: str) -> State | None:
        return next((s for s in self.states if s.name == name), None)


@dataclass(frozen=True)
class MachineTransitionRef:
    machine: str
    trigger: str
    to: str
    loc: Loc


@dataclass(frozen=True)
class ErrorEntry:
    code: str
    title: str
    category: str
    boundary: str
    severity: str
    retryable: bool
    trigger: dict[str, Any]
    retry: dict[str, Any] | None
    transitions: tuple[MachineTransitionRef, ...]
    alert: dict[str, Any] | None
    message: str
    preserves: tuple[str, ...]
    inject: dict[str, Any]
    catalog_id: str
    loc: Loc


@dataclass(frozen=True)
class ErrorCatalog:
    id: str
    boundary: str
    errors: tuple[ErrorEntry, ...]
    loc: Loc


@dataclass(frozen=True)
class MappingField:
    to: str
    source: str | None
    transform: str
    value: Any
    map: dict[str, str]
    required: bool
    loc: Loc


@dataclass(frozen=True)
class MappingVariant:
    id: str
    when: tuple[dict[str, Any], ...]
    fields: tuple[MappingField, ...]
    loc: Loc


@dataclass(frozen=True)
class Mapping:
    id: str
    api_version: str
    kind: str
    source_model: str
    source_operations: tuple[str, ...]
    select: tuple[dict[str, Any], ...]
    name_from: str
    name_normalise: str
    fields: tuple[MappingField, ...]
    variants: tuple[MappingVariant, ...]
    invariants: tuple[str, ...]
    rejects: tuple[tuple[str, str], ...]  # (id, code)
    loc: Loc


@dataclass(frozen=True)
class PatternStep:
    name: str
    operations: tuple[str, ...]
    retries: tuple[str, ...]
    fails_with: tuple[str, ...]
    crash_point: bool
    loc: Loc


@dataclass(frozen=True)
class Pattern:
    id: str
    machine: str
    steps: tuple[PatternStep, ...]
    loc: Loc
    action: str | None = None  # the adapter action that runs the flow (sync, drift, import)


@dataclass
class SpecSet:
    """Everything loaded from a set of spec paths."""

    contracts: list[Contract] = field(default_factory=list)
    mappings: list[Mapping] = field(default_factory=list)
    machines: list[StateMachine] = field(default_factory=list)
    catalogs: list[ErrorCatalog] = field(default_factory=list)
    patterns: list[Pattern] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    def operations(self) -> dict[str, Operation]:
        return {op.id: op for c in self.contracts for op in c.operations}

    def resources(self) -> dict[str, Resource]:
        return {r.key: r for c in self.contracts for r in c.resources}

    def errors(self) -> dict[str, ErrorEntry]:
        return {e.code: e for c in self.catalogs for e in c.errors}

    def machine(self, machine_id: str) -> StateMachine | None:
        return next((m for m in self.machines if m.id == machine_id), None)
