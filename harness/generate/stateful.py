"""Model-based tests generated from a state machine spec.

For each spec, a Hypothesis ``RuleBasedStateMachine`` whose model is the ``transitions``
machine built from the same spec, and whose system is reached through a binding. Rules take
declared transitions (preferring ones not taken yet), fire triggers the current state does not
allow (they must be refused with a STATE code) and try every forbidden transition; after each
step the binding's observation must equal the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from harness.adapter import MachineBinding
from harness.report import elements
from harness.spec.machines import build_machine
from harness.spec.models import StateMachine
from harness.spec.project import find_root

Record = Callable[[str, str, str, str], None]  # element id, kind, verdict, detail


def _noop(element: str, kind: str, verdict: str, detail: str) -> None:
    return None


@dataclass
class Coverage:
    """Edges (source, dest) of a machine taken so far, across examples."""

    edges: set[tuple[str, str]]
    taken: set[tuple[str, str]] = field(default_factory=set)
    # What guidance steers by: a snapshot of ``taken`` frozen for one Hypothesis run, so that a
    # replayed prefix draws the same values (guidance may not depend on state that moves mid-run).
    guide: set[tuple[str, str]] = field(default_factory=set)

    def start_round(self) -> None:
        """Freeze what was taken so far as the guidance for the next Hypothesis run."""
        self.guide = set(self.taken)

    @property
    def complete(self) -> bool:
        return self.taken >= self.edges

    @property
    def missing(self) -> list[tuple[str, str]]:
        return sorted(self.edges - self.taken)

    def towards_untaken(self, source: str, edges: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Of the (trigger, dest) ``edges`` leaving ``source``: the untaken ones, or else those
        whose destination is nearest to a state with an untaken outgoing edge."""
        fresh = [e for e in edges if (source, e[1]) not in self.guide]
        if fresh:
            return fresh
        distance = self._distances()
        reachable = [e for e in edges if e[1] in distance]
        if not reachable:
            return []
        best = min(distance[e[1]] for e in reachable)
        return [e for e in reachable if distance[e[1]] == best]

    def _distances(self) -> dict[str, int]:
        """Steps from each state to the nearest state that still has an untaken outgoing edge."""
        distance = {src: 0 for src, dst in self.edges - self.guide}
        changed = True
        while changed:
            changed = False
            for src, dst in self.edges:
                if dst in distance and distance.get(src, 1 << 30) > distance[dst] + 1:
                    distance[src] = distance[dst] + 1
                    changed = True
        return distance


def transition_id(spec: StateMachine, source: str, dest: str) -> str:
    """The report's id of the edge ``source -> dest`` of ``spec``."""
    return elements.transition_id(elements.spec_file(spec.loc, find_root(spec.loc.doc.path.parent)), source, dest)


def machine_test(
    spec: StateMachine,
    binding_factory: Callable[[], MachineBinding],
    *,
    refusal_codes: frozenset[str],
    coverage: Coverage | None = None,
    record: Record = _noop,
) -> type[RuleBasedStateMachine]:
    """The RuleBasedStateMachine for ``spec``; ``refusal_codes`` are the codes a refused
    trigger may carry (the catalog's STATE codes)."""
    triggers = sorted({t.trigger for t in spec.transitions})
    cov = coverage or Coverage({(s, t.dest) for t in spec.transitions for s in t.sources})
    ids = {(s, t.dest): transition_id(spec, s, t.dest) for t in spec.transitions for s in t.sources}
    ids.update({(f.source, f.dest): transition_id(spec, f.source, f.dest) for f in spec.forbidden})

    class Generated(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.binding = binding_factory()
            self.model = build_machine(spec, guards_default=True)
            self.entity = f"hh-example/{spec.id}"

        def teardown(self) -> None:
            self.binding.close()

        @rule(data=st.data())
        def fire_declared(self, data: st.DataObject) -> None:
            source = str(self.model.state)
            edges = sorted({(t.trigger, t.dest) for t in spec.transitions if source in t.sources})
            if not edges:
                return
            # Coverage-guided half the time: an untaken edge, else the edges that lead closest to one.
            guided = cov.towards_untaken(source, edges)
            # Hypothesis draws False first and most often: make that the coverage-guided choice.
            use_guided = bool(guided) and not data.draw(st.booleans(), label="explore freely")
            pool = guided if use_guided else edges
            trigger, dest = data.draw(st.sampled_from(pool), label="edge")
            result = self.binding.fire(spec.id, self.entity, trigger, dest)
            element = ids[source, dest]
            ok = result.accepted and result.state == dest
            record(element, "transition", "pass" if ok else "fail", f"{trigger}: {result.code or result.state}")
            assert result.accepted, f"{source} -> {dest} ({trigger}) is declared but refused: {result.message}"
            assert result.state == dest, f"{trigger} from {source}: system went to {result.state}, spec says {dest}"
            self.model.set_state(dest)
            cov.taken.add((source, dest))

        @rule(trigger=st.sampled_from(triggers))
        def fire_undeclared(self, trigger: str) -> None:
            source = str(self.model.state)
            if any(t.trigger == trigger and source in t.sources for t in spec.transitions):
                return
            result = self.binding.fire(spec.id, self.entity, trigger, None)
            if result.accepted and (source, result.state) in ids:  # an edge the spec names: its element fails
                record(
                    ids[source, result.state], "transition", "fail", f"taken via {trigger}, not declared from {source}"
                )
            assert not result.accepted, f"{trigger!r} is not declared from {source!r} but the system took it"
            assert result.code in refusal_codes, f"refusal of {trigger!r} carried {result.code}, not a STATE code"

        @rule(data=st.data())
        def try_forbidden(self, data: st.DataObject) -> None:
            source = str(self.model.state)
            forbidden = [f for f in spec.forbidden if f.source == source]
            if not forbidden:
                return
            target = data.draw(st.sampled_from(forbidden), label="forbidden")
            for trigger in triggers:
                result = self.binding.fire(spec.id, self.entity, trigger, target.dest)
                if result.accepted and result.state == target.dest:
                    record(ids[source, target.dest], "transition", "fail", f"forbidden, via {trigger}")
                    raise AssertionError(f"forbidden {source} -> {target.dest} was taken via {trigger!r}")
                if result.accepted:
                    self.model.set_state(result.state)
                    return

        @invariant()
        def observed_equals_model(self) -> None:
            observed = self.binding.observe(spec.id, self.entity)
            assert observed == self.model.state, f"system reports {observed!r}, the model is in {self.model.state!r}"

    Generated.__name__ = f"{spec.id.title().replace('_', '')}Machine"
    return Generated


def refusal_codes(errors: dict[str, Any]) -> frozenset[str]:
    """Codes a refused trigger may carry: the catalog's STATE category."""
    return frozenset(code for code, entry in errors.items() if entry.category == "STATE")
