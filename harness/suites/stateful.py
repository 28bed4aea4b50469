"""The stateful suite: one model-based test per state machine spec, run through the adapter's
machine binding until every declared transition was taken (or the round budget is spent)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from harness.adapter import Adapter, Endpoints
from harness.generate.property import search_phases
from harness.generate.stateful import Coverage, machine_test, refusal_codes
from harness.report.events import Recorder
from harness.spec.models import SpecSet, StateMachine

MAX_ROUNDS = 20


def run_machine(machine: StateMachine, specs: SpecSet, adapter: Adapter, root: Path, *, recorder: Recorder,
                max_examples: int | None) -> None:  # fmt: skip
    endpoints = Endpoints(spec_root=root)
    adapter.machine_binding(endpoints).close()  # NotProvided before Hypothesis starts, not inside it
    coverage = Coverage({(s, t.dest) for t in machine.transitions for s in t.sources})
    test_case = machine_test(
        machine,
        lambda: adapter.machine_binding(endpoints),
        refusal_codes=refusal_codes(specs.errors()),
        coverage=coverage,
        record=recorder.record,
    )
    for _ in range(MAX_ROUNDS):
        coverage.start_round()
        run_state_machine_as_test(
            test_case,
            settings=settings(
                max_examples=max(1, (max_examples or 50) // 5),
                stateful_step_count=25,
                phases=search_phases(),
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
        if coverage.complete:
            break
    assert coverage.complete, f"transitions never taken: {coverage.missing}"
