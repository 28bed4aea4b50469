"""Typed views of the repository's error catalogs and state machines, read at runtime.

The reference integration obeys the same YAML the harness validates, but it never imports the
harness: it parses the files itself with ``yaml.safe_load`` and checks only what it relies on.
A file that lacks something the integration needs fails loudly with the file and the field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ERRORS_DIR = "specs/errors"
MACHINES_DIR = "state_machines"
JITTER_KINDS = frozenset({"none", "full", "equal"})
HONOURED_HEADERS = frozenset({"retry-after", "x-ratelimit-reset"})


class SpecError(ValueError):
    """A spec file the integration reads is missing, unparsable or lacks a field it needs."""


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: ``initial_s * multiplier**n`` capped at ``max_s``, then jittered."""

    initial_s: float
    multiplier: float
    max_s: float
    jitter: str


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a retryable failure is retried."""

    max_attempts: int
    backoff: Backoff
    honour: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HttpTrigger:
    """A response recognised by status, optionally narrowed to operations, headers and body text."""

    status: frozenset[int]
    operations: frozenset[str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body_contains: str | None = None


@dataclass(frozen=True)
class ExceptionTrigger:
    """A client-side exception recognised by its class name (``module.Class``), optionally per operation."""

    class_name: str
    operations: frozenset[str] | None = None


@dataclass(frozen=True)
class ConditionTrigger:
    """A failure the integration detects itself and raises by name."""

    name: str


Trigger = HttpTrigger | ExceptionTrigger | ConditionTrigger


@dataclass(frozen=True)
class TransitionEffect:
    """A state-machine transition a failure causes."""

    machine: str
    trigger: str
    to: str


@dataclass(frozen=True)
class CatalogEntry:
    """One error code: how it is recognised and what must happen then."""

    code: str
    title: str
    category: str
    boundary: str
    severity: str
    retryable: bool
    message: str
    trigger: Trigger
    retry: RetryPolicy | None
    transitions: tuple[TransitionEffect, ...]
    alert_severity: str | None
    source: Path


@dataclass(frozen=True)
class ErrorCatalog:
    """Every catalog entry of a spec root, indexed by code and by condition name."""

    entries: tuple[CatalogEntry, ...]

    def __post_init__(self) -> None:
        codes: dict[str, Path] = {}
        for entry in self.entries:
            if entry.code in codes:
                raise SpecError(f"{entry.source}: error code {entry.code} is also defined in {codes[entry.code]}")
            codes[entry.code] = entry.source

    def entry(self, code: str) -> CatalogEntry:
        """The entry for ``code``; KeyError naming the code when the catalogs do not define it."""
        for entry in self.entries:
            if entry.code == code:
                return entry
        raise KeyError(f"error code {code} is not defined in {ERRORS_DIR}/*.yaml")

    def has(self, code: str) -> bool:
        """Whether ``code`` is defined."""
        return any(entry.code == code for entry in self.entries)

    def by_condition(self, name: str) -> CatalogEntry | None:
        """The entry whose trigger is ``condition: {name: ...}``, or None."""
        for entry in self.entries:
            if isinstance(entry.trigger, ConditionTrigger) and entry.trigger.name == name:
                return entry
        return None

    def at_boundary(self, boundary: str) -> Iterator[CatalogEntry]:
        """Entries of one boundary (netbox, github, kubernetes, webhook, internal), in file order."""
        return (entry for entry in self.entries if entry.boundary == boundary)


@dataclass(frozen=True)
class TransitionSpec:
    """One declared transition; ``sources`` is already expanded (``*`` = every non-final state)."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    guards: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class MachineSpec:
    """A state machine as declared in ``state_machines/<id>.yaml``."""

    id: str
    initial: str
    states: tuple[str, ...]
    final_states: frozenset[str]
    transitions: tuple[TransitionSpec, ...]
    forbidden: frozenset[tuple[str, str]]
    source: Path


def default_spec_root() -> Path:
    """The repository this package sits in (``reference/hh_reference/`` -> repository root)."""
    return Path(__file__).resolve().parents[2]


# libyaml's parser when PyYAML has it (its wheels do): the spec files are parsed by every process
# the integration starts (each sync, drift and import run), and the pure-Python parser cost seconds
YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot read YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def _need(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise SpecError(f"{where}: missing required field '{key}'")
    value = data[key]
    if not isinstance(value, kind):
        raise SpecError(f"{where}.{key}: expected {kind}, got {type(value).__name__}")
    return value


def _ops(raw: Any, where: str) -> frozenset[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(op, str) for op in raw):
        raise SpecError(f"{where}.operations: expected a list of operation ids")
    return frozenset(raw)


def _trigger(raw: Mapping[str, Any], where: str) -> Trigger:
    if len(raw) != 1:
        raise SpecError(f"{where}: expected exactly one of http, exception, condition, got {sorted(raw)}")
    if "http" in raw:
        http = _need(raw, "http", dict, where)
        status = _need(http, "status", (int, list), f"{where}.http")
        statuses = frozenset(status if isinstance(status, list) else [status])
        headers = {str(k).lower(): str(v) for k, v in (http.get("headers") or {}).items()}
        return HttpTrigger(statuses, _ops(http.get("operations"), f"{where}.http"), headers, http.get("body_contains"))
    if "exception" in raw:
        exc = _need(raw, "exception", dict, where)
        return ExceptionTrigger(_need(exc, "class", str, f"{where}.exception"), _ops(exc.get("operations"), where))
    if "condition" in raw:
        condition = _need(raw, "condition", dict, where)
        return ConditionTrigger(_need(condition, "name", str, f"{where}.condition"))
    raise SpecError(f"{where}: expected one of http, exception, condition, got {sorted(raw)}")


def _retry(raw: Mapping[str, Any] | None, where: str) -> RetryPolicy | None:
    if raw is None:
        return None
    backoff = _need(raw, "backoff", dict, where)
    jitter = _need(backoff, "jitter", str, f"{where}.backoff")
    if jitter not in JITTER_KINDS:
        raise SpecError(f"{where}.backoff.jitter: '{jitter}' is not one of {sorted(JITTER_KINDS)}")
    honour = frozenset(raw.get("honour") or ())
    if not honour <= HONOURED_HEADERS:
        raise SpecError(f"{where}.honour: {sorted(honour - HONOURED_HEADERS)} not in {sorted(HONOURED_HEADERS)}")
    return RetryPolicy(
        max_attempts=_need(raw, "max_attempts", int, where),
        backoff=Backoff(
            initial_s=float(_need(backoff, "initial_s", (int, float), f"{where}.backoff")),
            multiplier=float(_need(backoff, "multiplier", (int, float), f"{where}.backoff")),
            max_s=float(_need(backoff, "max_s", (int, float), f"{where}.backoff")),
            jitter=jitter,
        ),
        honour=honour,
    )


def _entry(raw: Mapping[str, Any], path: Path, index: int) -> CatalogEntry:
    where = f"{path}: errors[{index}]"
    code = _need(raw, "code", str, where)
    where = f"{path}: errors[{index}] ({code})"
    outcome = _need(raw, "outcome", dict, where)
    retryable = _need(raw, "retryable", bool, where)
    retry = _retry(outcome.get("retry"), f"{where}.outcome.retry")
    if retryable != (retry is not None):
        raise SpecError(
            f"{where}: retryable is {retryable} but outcome.retry is {'absent' if retry is None else 'set'}"
        )
    alert = outcome.get("alert")
    return CatalogEntry(
        code=code,
        title=_need(raw, "title", str, where),
        category=_need(raw, "category", str, where),
        boundary=_need(raw, "boundary", str, where),
        severity=_need(raw, "severity", str, where),
        retryable=retryable,
        message=_need(outcome, "message", str, f"{where}.outcome"),
        trigger=_trigger(_need(raw, "trigger", dict, where), f"{where}.trigger"),
        retry=retry,
        transitions=tuple(
            TransitionEffect(t["machine"], t["trigger"], t["to"]) for t in outcome.get("transitions") or ()
        ),
        alert_severity=alert["severity"] if isinstance(alert, dict) else None,
        source=path,
    )


def load_catalog(spec_root: Path) -> ErrorCatalog:
    """Read every ``specs/errors/*.yaml`` under ``spec_root`` into one catalog."""
    directory = spec_root / ERRORS_DIR
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise SpecError(f"{directory}: no error catalogs (*.yaml) found; is spec_root the repository root?")
    entries: list[CatalogEntry] = []
    for path in paths:
        data = _load_yaml(path)
        if data.get("kind") != "ErrorCatalog":
            raise SpecError(f"{path}: kind is {data.get('kind')!r}, expected 'ErrorCatalog'")
        for index, raw in enumerate(_need(data, "errors", list, str(path))):
            entries.append(_entry(raw, path, index))
    return ErrorCatalog(tuple(entries))


def _machine(data: Mapping[str, Any], path: Path) -> MachineSpec:
    where = str(path)
    states_raw = _need(data, "states", list, where)
    states = tuple(_need(s, "name", str, f"{where}: states") for s in states_raw)
    final = frozenset(s["name"] for s in states_raw if s.get("final"))
    transitions: list[TransitionSpec] = []
    for index, raw in enumerate(_need(data, "transitions", list, where)):
        at = f"{where}: transitions[{index}]"
        source = raw["source"]
        if source == "*":
            sources = tuple(s for s in states if s not in final)
        else:
            sources = tuple(source if isinstance(source, list) else [source])
        dest = _need(raw, "dest", str, at)
        for name in (*sources, dest):
            if name not in states:
                raise SpecError(f"{at}: state '{name}' is not declared under states")
        transitions.append(
            TransitionSpec(
                trigger=_need(raw, "trigger", str, at),
                sources=sources,
                dest=dest,
                guards=tuple(raw.get("guards") or ()),
                unless=tuple(raw.get("unless") or ()),
                errors=tuple(raw.get("errors") or ()),
            )
        )
    initial = _need(data, "initial", str, where)
    if initial not in states:
        raise SpecError(f"{where}.initial: '{initial}' is not declared under states")
    return MachineSpec(
        id=_need(data, "id", str, where),
        initial=initial,
        states=states,
        final_states=final,
        transitions=tuple(transitions),
        forbidden=frozenset((f["source"], f["dest"]) for f in data.get("forbidden") or ()),
        source=path,
    )


def load_machines(spec_root: Path) -> dict[str, MachineSpec]:
    """Read every ``state_machines/*.yaml`` under ``spec_root``, keyed by machine id."""
    directory = spec_root / MACHINES_DIR
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise SpecError(f"{directory}: no state machines (*.yaml) found; is spec_root the repository root?")
    machines: dict[str, MachineSpec] = {}
    for path in paths:
        data = _load_yaml(path)
        if data.get("kind") != "StateMachine":
            raise SpecError(f"{path}: kind is {data.get('kind')!r}, expected 'StateMachine'")
        spec = _machine(data, path)
        machines[spec.id] = spec
    return machines
