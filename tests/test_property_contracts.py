"""Generated property tests: every object our Kubernetes contracts allow, the real CRDs accept.

One Hypothesis test per contract resource, generating from its JSON Schema. Our contracts must
be stricter than upstream, so an object that validates against ours but that the API server
(the real CRD's schema under fieldValidation=Strict, plus ObjectMeta checks) rejects is a
contract defect. No spec element kind covers a resource schema, so failures are also reported
as warnings in the harness report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.generate.property import harness_options, run_property
from harness.generate.property_schema import contract_vs_crd, describe, schema_strategy
from harness.kube.crds import CrdRegistry
from harness.report.events import Recorder
from harness.spec.loader import load_specs
from harness.spec.models import Resource
from harness.spec.project import default_spec_paths, schema_dir
from harness.targets.kube.server import load_registry

ROOT = Path(__file__).resolve().parents[1]
SPECS = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs
RESOURCES = [r for c in SPECS.contracts for r in c.resources]

pytestmark = pytest.mark.property


@pytest.fixture(scope="module")
def registry(crds_dir: Path) -> CrdRegistry:
    return load_registry([crds_dir])


def test_every_contract_has_resources() -> None:
    kinds = {r.kind for r in RESOURCES}
    assert {"Switch", "Server", "Connection", "VPC", "VPCAttachment"} <= kinds, kinds


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: f"{r.loc.doc.name}::{r.kind}")
def test_objects_our_contract_allows_are_accepted_by_the_real_crd(
    resource: Resource, registry: CrdRegistry, recorder: Recorder, request: pytest.FixtureRequest
) -> None:
    assert registry.find_kind(resource.api_version, resource.kind) is not None, (
        f"{resource.loc.doc.name}: {resource.api_version} {resource.kind} is served by none of the CRDs"
    )
    max_examples, seed_value = harness_options(request.config)
    check = contract_vs_crd(resource, registry)

    def body(obj: Any) -> None:
        verdict = check(obj)
        assert not verdict.contract_errors and not verdict.crd_errors, describe(obj, verdict)

    where = f"{resource.loc.doc.name}::{resource.kind}"
    try:
        strategy = schema_strategy(resource.schema)
        # no shrinking: on these schemas it takes minutes, and the CRD's message already names the field
        run_property(strategy, body, max_examples, seed_value, shrink=False)
    except AssertionError as exc:
        recorder.warn(f"{where}: {str(exc).splitlines()[0]}")
        raise
    except Exception as exc:  # noqa: BLE001 - hypothesis-jsonschema reports unsupported schemas with various types
        recorder.warn(f"{where}: cannot generate objects from the schema ({type(exc).__name__}: {exc})")
        pytest.fail(f"{where}: cannot generate objects from the schema: {type(exc).__name__}: {exc}")
