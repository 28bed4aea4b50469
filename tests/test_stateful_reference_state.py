"""Generated model-based tests: the reference integration's state layer against every state
machine spec, until every declared transition was taken."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from harness.bindings.reference_state import ReferenceStateBinding
from harness.generate.stateful import Coverage, machine_test, refusal_codes
from harness.report.events import Recorder
from harness.spec.loader import load_specs
from harness.spec.models import StateMachine
from harness.spec.project import default_spec_paths, schema_dir

ROOT = Path(__file__).resolve().parents[1]
SPECS = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs
REFUSALS = refusal_codes(SPECS.errors())
MAX_ROUNDS = 20

pytestmark = pytest.mark.stateful


@pytest.mark.parametrize("machine", SPECS.machines, ids=lambda m: f"{m.loc.doc.name}::machine")
def test_reference_state_layer_follows_the_machine_until_every_transition_is_taken(
    machine: StateMachine, harness_recorder: Recorder
) -> None:
    coverage = Coverage({(s, t.dest) for t in machine.transitions for s in t.sources})
    test_case = machine_test(
        machine,
        lambda: ReferenceStateBinding(ROOT),
        refusal_codes=REFUSALS,
        coverage=coverage,
        record=harness_recorder.record,
    )
    for _ in range(MAX_ROUNDS):
        coverage.start_round()
        run_state_machine_as_test(
            test_case,
            settings=settings(
                max_examples=10,
                stateful_step_count=25,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
        if coverage.complete:
            break
    assert coverage.complete, f"transitions never taken: {coverage.missing}"
