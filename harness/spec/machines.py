"""State machines: structural checks and the ``transitions`` machine built from a spec."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any

from transitions import Machine

from harness.spec.diagnostics import Diagnostic, Severity
from harness.spec.models import StateMachine, Transition


def build_machine(
    spec: StateMachine,
    model: Any = None,
    *,
    guard_values: Mapping[str, bool] | None = None,
    guards_default: bool | None = None,
    **kwargs: Any,
) -> Machine:
    """A working ``transitions.Machine`` for ``spec``.

    Guards become ``conditions``/``unless`` callbacks named after the guard, looked up on
    the model (default: the machine itself). For exploring the machine without a system
    under test, ``guard_values`` fixes some guards and ``guards_default`` all others.
    """
    states = [{"name": s.name, "final": s.final} for s in spec.states]
    transitions = [
        {
            "trigger": t.trigger,
            "source": list(t.sources),
            "dest": t.dest,
            "conditions": list(t.guards),
            "unless": list(t.unless),
        }
        for t in spec.transitions
    ]
    machine = Machine(
        model="self" if model is None else model,
        states=states,
        transitions=transitions,
        initial=spec.initial,
        auto_transitions=False,
        ignore_invalid_triggers=False,
        **kwargs,
    )
    owner = machine if model is None else model
    values = dict(guard_values or {})
    for name in {g for t in spec.transitions for g in (*t.guards, *t.unless)}:
        value = values.get(name, guards_default)
        if value is not None:
            setattr(owner, name, lambda *a, _v=value, **k: _v)
    return machine


def isolating_guards(spec: StateMachine, transition: Transition) -> dict[str, bool]:
    """Guard values under which ``transition`` can fire and every other transition is blocked."""
    values: dict[str, bool] = {}
    for t in spec.transitions:
        values.update({g: False for g in t.guards})
        values.update({u: True for u in t.unless})
    values.update({g: True for g in transition.guards})
    values.update({u: False for u in transition.unless})
    return values


def edges(spec: StateMachine) -> set[tuple[str, str]]:
    return {(s, t.dest) for t in spec.transitions for s in t.sources}


def check_machine(spec: StateMachine) -> Iterator[Diagnostic]:
    """States exist, every state is reachable, non-final states have a way out, final
    states have none, guards/invariants are declared, forbidden transitions are not taken."""
    doc = spec.loc.doc
    names = spec.state_names
    known = set(names)
    seen: set[str] = set()
    for state in spec.states:
        if state.name in seen:
            yield doc.diagnostic(
                state.loc.pointer + "/name", "duplicate-state", f"state {state.name!r} is declared twice"
            )
        seen.add(state.name)
        for inv in state.invariants:
            if inv not in spec.invariants:
                yield doc.diagnostic(
                    state.loc.pointer + "/invariants",
                    "unknown-invariant",
                    f"invariant {inv!r} is not declared under 'invariants:'; declared: {_list(spec.invariants)}",
                )
    if spec.initial not in known:
        yield doc.diagnostic(
            "/initial",
            "unknown-state",
            f"initial state {spec.initial!r} is not a state; states: {_list(names)}",
        )
    for t in spec.transitions:
        for s in (*t.sources, t.dest):
            if s not in known:
                yield doc.diagnostic(t.loc.pointer, "unknown-state", _unknown("state", s, names))
        for g in (*t.guards, *t.unless):
            if g not in spec.guards:
                yield doc.diagnostic(t.loc.pointer, "unknown-guard", _unknown("guard", g, spec.guards))
    yield from _check_ambiguous(spec)
    yield from _check_graph(spec, known)
    used_guards = {g for t in spec.transitions for g in (*t.guards, *t.unless)}
    used_invariants = {i for s in spec.states for i in s.invariants}
    for name in spec.guards:
        if name not in used_guards:
            yield doc.diagnostic(
                f"/guards/{name}",
                "unused-guard",
                f"guard {name!r} is declared but no transition uses it",
                severity=Severity.WARNING,
            )
    for name in spec.invariants:
        if name not in used_invariants:
            yield doc.diagnostic(
                f"/invariants/{name}",
                "unused-invariant",
                f"invariant {name!r} is declared but no state uses it",
                severity=Severity.WARNING,
            )


def _check_ambiguous(spec: StateMachine) -> Iterator[Diagnostic]:
    first: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], str] = {}
    for t in spec.transitions:
        for s in t.sources:
            key = (t.trigger, s, tuple(sorted(t.guards)), tuple(sorted(t.unless)))
            if key in first and first[key] != t.dest:
                yield spec.loc.doc.diagnostic(
                    t.loc.pointer,
                    "ambiguous-transition",
                    f"trigger {t.trigger!r} from {s!r} already goes to {first[key]!r} under the same guards; "
                    f"give one of them a guard",
                )
            first.setdefault(key, t.dest)


def _check_graph(spec: StateMachine, known: set[str]) -> Iterator[Diagnostic]:
    doc = spec.loc.doc
    graph = edges(spec)
    for f in spec.forbidden:
        for s in (f.source, f.dest):
            if s not in known:
                yield doc.diagnostic(f.loc.pointer, "unknown-state", _unknown("state", s, sorted(known)))
        if (f.source, f.dest) in graph:
            taking = next(t for t in spec.transitions if f.source in t.sources and t.dest == f.dest)
            yield doc.diagnostic(
                taking.loc.pointer,
                "forbidden-transition",
                f"transition {f.source} -> {f.dest} (trigger {taking.trigger!r}) is forbidden: {f.reason}",
            )
    reachable = {spec.initial}
    queue = deque([spec.initial])
    while queue:
        current = queue.popleft()
        for src, dst in graph:
            if src == current and dst not in reachable:
                reachable.add(dst)
                queue.append(dst)
    for state in spec.states:
        outgoing = any(src == state.name for src, _ in graph)
        if state.name not in reachable:
            yield doc.diagnostic(
                state.loc.pointer,
                "unreachable-state",
                f"state {state.name!r} cannot be reached from initial state {spec.initial!r}",
            )
        if state.final and outgoing:
            yield doc.diagnostic(
                state.loc.pointer, "final-state-exit", f"final state {state.name!r} has outgoing transitions"
            )
        if not state.final and not outgoing:
            yield doc.diagnostic(
                state.loc.pointer,
                "dead-end-state",
                f"state {state.name!r} is not final but has no way out; add a transition or mark it final",
            )


def _list(items: Any) -> str:
    return ", ".join(sorted(items)) or "(none)"


def _unknown(what: str, name: str, known: Any) -> str:
    lowered = {k.lower(): k for k in known}
    if name.lower() in lowered:
        return f"{what} {name!r} is not declared; did you mean {lowered[name.lower()]!r}? (names are case-sensitive)"
    return f"{what} {name!r} is not declared; declared: {_list(known)}"
