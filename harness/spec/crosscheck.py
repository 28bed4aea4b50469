"""Checks that span spec files: every reference resolves, ids are unique, enums that
describe the same thing agree, and every error code is used somewhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness.spec.diagnostics import Diagnostic, Severity
from harness.spec.machines import check_machine
from harness.spec.models import Loc, SpecSet, StateMachine
from harness.spec.schemawalk import enum_nodes, schema_at_path


def cross_check(specs: SpecSet) -> list[Diagnostic]:
    """Every cross-file diagnostic, sorted by file and line."""
    checks = (
        _unique_ids,
        _machines,
        _catalog_entries,
        _operations,
        _mappings,
        _patterns,
        _enums,
        _unreferenced_codes,
    )
    found: list[Diagnostic] = []
    for check in checks:
        found.extend(check(specs))
    return sorted(found)


def _diag(loc: Loc, code: str, message: str, suffix: str = "", **kw: Any) -> Diagnostic:
    return loc.doc.diagnostic(loc.pointer + suffix, code, message, **kw)


def _near(name: str, known: Any) -> str:
    lowered = {str(k).lower(): k for k in known}
    if name.lower() in lowered:
        return f"; did you mean {lowered[name.lower()]!r}? (case matters)"
    return ""


def _unique_ids(specs: SpecSet) -> Iterator[Diagnostic]:
    groups: dict[str, list[tuple[str, Loc]]] = {
        "operation id": [(o.id, o.loc) for c in specs.contracts for o in c.operations],
        "error code": [(e.code, e.loc) for c in specs.catalogs for e in c.errors],
        "state machine id": [(m.id, m.loc) for m in specs.machines],
        "mapping id": [(m.id, m.loc) for m in specs.mappings],
        "contract id": [(c.id, c.loc) for c in specs.contracts],
        "resource": [(r.key, r.loc) for c in specs.contracts for r in c.resources],
        "HTTP route": [
            (f"{c.provider['name']} {o.http.method} {o.http.path}", o.loc)
            for c in specs.contracts
            if c.boundary != "webhook"  # one endpoint receives every event type, told apart by a header
            for o in c.operations
            if o.http
        ],
    }
    for what, items in groups.items():
        first: dict[str, Loc] = {}
        for key, loc in items:
            if key in first:
                other = first[key]
                yield _diag(
                    loc,
                    "duplicate-id",
                    f"{what} {key!r} is already defined at {other.doc.name}:{other.doc.mark(other.pointer).line}",
                )
            else:
                first[key] = loc


def _machines(specs: SpecSet) -> Iterator[Diagnostic]:
    codes = specs.errors()
    for machine in specs.machines:
        yield from check_machine(machine)
        for t in machine.transitions:
            for code in t.errors:
                if code not in codes:
                    yield _diag(t.loc, "unknown-error-code", f"error code {code!r} is not in any catalog", "/errors")


def _machine_trigger_reaches(machine: StateMachine, trigger: str, to: str) -> bool:
    return any(t.trigger == trigger and t.dest == to for t in machine.transitions)


def _catalog_entries(specs: SpecSet) -> Iterator[Diagnostic]:
    ops = specs.operations()
    resources = specs.resources()
    for catalog in specs.catalogs:
        for e in catalog.errors:
            category = e.code.split("-")[1]
            if category != e.category:
                yield _diag(
                    e.loc,
                    "code-category-mismatch",
                    f"code {e.code} is in category {category} but declares category {e.category!r}",
                    "/category",
                )
            if e.retryable and e.retry is None:
                yield _diag(
                    e.loc,
                    "retry-policy-missing",
                    f"{e.code} is retryable but has no outcome.retry (max_attempts, backoff)",
                    "/retryable",
                )
            if not e.retryable and e.retry is not None:
                yield _diag(
                    e.loc,
                    "retry-policy-unexpected",
                    f"{e.code} is not retryable but declares outcome.retry; remove it or set retryable: true",
                    "/outcome/retry",
                )
            if e.retry and e.retry["backoff"]["initial_s"] > e.retry["backoff"]["max_s"]:
                yield _diag(
                    e.loc,
                    "backoff-inconsistent",
                    "backoff initial_s is larger than max_s",
                    "/outcome/retry/backoff",
                )
            if e.code not in e.message:
                yield _diag(
                    e.loc,
                    "message-without-code",
                    f"the surfaced message must contain the code {e.code}",
                    "/outcome/message",
                )
            located = [(op, "/trigger") for op in _trigger_operations(e.trigger)]
            if "operation" in e.inject:
                located.append((e.inject["operation"], "/inject/operation"))
            for op, where in located:
                if op not in ops:
                    yield _diag(
                        e.loc, "unknown-operation", f"operation {op!r} is not in any contract{_near(op, ops)}", where
                    )
            if "resource" in e.inject and e.inject["resource"] not in resources:
                yield _diag(
                    e.loc,
                    "unknown-resource",
                    f"resource {e.inject['resource']!r} is not in any Kubernetes contract; "
                    f"known: {', '.join(sorted(resources)) or '(none)'}",
                    "/inject/resource",
                )
            for ref in e.transitions:
                machine = specs.machine(ref.machine)
                if machine is None:
                    yield _diag(ref.loc, "unknown-machine", f"state machine {ref.machine!r} does not exist")
                elif ref.to not in machine.state_names:
                    yield _diag(
                        ref.loc,
                        "unknown-state",
                        f"{ref.machine} has no state {ref.to!r}{_near(ref.to, machine.state_names)}",
                    )
                elif not _machine_trigger_reaches(machine, ref.trigger, ref.to):
                    yield _diag(
                        ref.loc,
                        "unknown-trigger",
                        f"{ref.machine} has no transition with trigger {ref.trigger!r} into {ref.to!r}",
                    )


def _trigger_operations(trigger: dict[str, Any]) -> list[str]:
    body = next(iter(trigger.values()))
    ops: list[str] = body.get("operations", []) if isinstance(body, dict) else []
    return ops


def _operations(specs: SpecSet) -> Iterator[Diagnostic]:
    codes = specs.errors()
    for contract in specs.contracts:
        keys = {r.key for r in contract.resources}
        for op in contract.operations:
            for code in op.errors:
                if code not in codes:
                    yield _diag(op.loc, "unknown-error-code", f"error code {code!r} is not in any catalog", "/errors")
            if op.kubernetes and op.kubernetes.resource not in keys:
                yield _diag(
                    op.loc,
                    "unknown-resource",
                    f"resource {op.kubernetes.resource!r} is not declared under this contract's resources; "
                    f"declared: {', '.join(sorted(keys)) or '(none)'}",
                    "/kubernetes/resource",
                )


def _mappings(specs: SpecSet) -> Iterator[Diagnostic]:
    ops = specs.operations()
    codes = specs.errors()
    by_kind = {(r.api_version, r.kind): r for r in specs.resources().values()}
    for m in specs.mappings:
        resource = by_kind.get((m.api_version, m.kind))
        if resource is None:
            served = sorted(f"{a} {k}" for a, k in by_kind)
            yield _diag(
                m.loc,
                "unknown-target",
                f"{m.api_version} {m.kind} is not a resource of any Kubernetes contract; known: {', '.join(served)}",
                "/target",
            )
        for op in m.source_operations:
            if op not in ops:
                yield _diag(
                    m.loc,
                    "unknown-operation",
                    f"operation {op!r} is not in any contract{_near(op, ops)}",
                    "/source/operations",
                )
        for rid, code in m.rejects:
            if code not in codes:
                yield _diag(
                    m.loc,
                    "unknown-error-code",
                    f"reject {rid!r} names code {code!r}, which is in no catalog",
                    "/rejects",
                )
        if resource is None:
            continue
        for f in (*m.fields, *(f for v in m.variants for f in v.fields)):
            target = schema_at_path(resource.schema, f.to)
            if target is None:
                yield _diag(f.loc, "unknown-field", f"{f.to!r} is not a field of {m.kind} in its contract", "/to")
            elif f.transform == "enum_map" and "enum" in target:
                bad = sorted(set(f.map.values()) - set(target["enum"]))
                if bad:
                    yield _diag(
                        f.loc,
                        "enum-mismatch",
                        f"enum_map produces {bad} which the contract for {f.to} does not allow; "
                        f"allowed: {target['enum']}",
                        "/map",
                    )


def _patterns(specs: SpecSet) -> Iterator[Diagnostic]:
    ops = specs.operations()
    codes = specs.errors()
    for p in specs.patterns:
        if specs.machine(p.machine) is None:
            yield _diag(p.loc, "unknown-machine", f"state machine {p.machine!r} does not exist", "/machine")
        names: set[str] = set()
        for step in p.steps:
            if step.name in names:
                yield _diag(step.loc, "duplicate-id", f"step {step.name!r} appears twice", "/name")
            names.add(step.name)
            for op in step.operations:
                if op not in ops:
                    yield _diag(
                        step.loc,
                        "unknown-operation",
                        f"operation {op!r} is not in any contract{_near(op, ops)}",
                        "/operations",
                    )
            for code in (*step.retries, *step.fails_with):
                if code not in codes:
                    yield _diag(step.loc, "unknown-error-code", f"error code {code!r} is not in any catalog")
            for code in step.retries:
                if code in codes and not codes[code].retryable:
                    yield _diag(
                        step.loc,
                        "retry-not-retryable",
                        f"step retries {code}, which its catalog marks as not retryable",
                        "/retries",
                    )


def _enums(specs: SpecSet) -> Iterator[Diagnostic]:
    """Schema enums annotated ``x-hh-enum: <name>`` must equal the states of the machine
    with that id, or else agree with every other enum carrying the same annotation."""
    machines = {m.id: m for m in specs.machines}
    first: dict[str, tuple[list[Any], Loc]] = {}
    for contract in specs.contracts:
        schemas = [(r.loc.child("schema"), r.schema) for r in contract.resources]
        schemas += [(o.loc, {"request": o.request, "responses": o.responses}) for o in contract.operations]
        for loc, schema in schemas:
            for pointer, name, values in enum_nodes(schema):
                where = Loc(loc.doc, loc.pointer + pointer)
                if name in machines:
                    expected: list[Any] = list(machines[name].state_names)
                    source = f"the states of state machine {name!r}"
                elif name in first:
                    expected, other = first[name]
                    source = f"the enum {name!r} at {other.doc.name}:{other.doc.mark(other.pointer).line}"
                else:
                    first[name] = (values, where)
                    continue
                yield from _compare_enums(where, values, expected, source)


def _compare_enums(loc: Loc, values: list[Any], expected: list[Any], source: str) -> Iterator[Diagnostic]:
    have, want = set(map(str, values)), set(map(str, expected))
    if have == want:
        return
    case_only = {v.lower() for v in have} == {v.lower() for v in want}
    missing, extra = sorted(want - have), sorted(have - want)
    detail = f"missing {missing}" if missing else ""
    detail += ("; " if detail and extra else "") + (f"unexpected {extra}" if extra else "")
    code = "enum-case-mismatch" if case_only else "enum-mismatch"
    yield _diag(loc, code, f"enum disagrees with {source}: {detail}", "/enum")


def _unreferenced_codes(specs: SpecSet) -> Iterator[Diagnostic]:
    used = {c for m in specs.machines for t in m.transitions for c in t.errors}
    used |= {c for p in specs.patterns for s in p.steps for c in (*s.retries, *s.fails_with)}
    for catalog in specs.catalogs:
        for e in catalog.errors:
            if e.code not in used:
                yield _diag(
                    e.loc,
                    "unreferenced-error-code",
                    f"{e.code} is not referenced by any state-machine transition or pattern step retry policy",
                    "/code",
                    severity=Severity.WARNING,
                )
