"""Generated property tests of the reference's renderer against the mapping contracts.

Valid NetBox intent (``harness.generate.property_fabric``) must render to objects that validate
against the Kubernetes contracts and the real CRDs, carry the served apiVersion, plural and
DNS-label names the mappings promise, render to the same bytes every time and in any input
order, and read back through the importer's offline checks and inverse plan. Every ``rejects``
entry of the mappings gets an invalid variant that must be refused with exactly its code.
The last tests prove the properties can fail, on deliberately broken renderers.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from harness.bindings.reference_render import ReferenceRenderBinding, RenderRejected
from harness.generate.property import (
    FABRIC,
    Context,
    Tally,
    check_objects,
    differing,
    exercised_fields,
    failure_text,
    harness_options,
    round_trip_failures,
    run_property,
    shuffled,
)
from harness.generate.property_fabric import Fabric, fabrics
from harness.generate.property_invalid import invalid_fabrics, missing_variants
from harness.report.events import Recorder
from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, schema_dir
from harness.targets.kube.server import load_registry

ROOT = Path(__file__).resolve().parents[1]
SPECS = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs
REJECTS = [(m, reject, code) for m in SPECS.mappings for reject, code in m.rejects]
SHAPE = ["valid_against_contract", "accepted_by_crd", "served_api_version", "dns_label_name", "port_refs_resolve"]

pytestmark = pytest.mark.property


@pytest.fixture(scope="module")
def ctx(crds_dir: Path) -> Context:
    return Context.build(SPECS, load_registry([crds_dir]), ROOT)


@pytest.fixture(scope="module")
def binding() -> ReferenceRenderBinding:
    return ReferenceRenderBinding()


def _render(binding: ReferenceRenderBinding, fab: Fabric) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    objects = binding.render(fab.site, fab.records)
    return objects, binding.files(FABRIC, objects)


def rendered_objects_property(ctx: Context, binding: ReferenceRenderBinding, tally: Tally) -> Callable[[Fabric], None]:
    """(a) + (c): contract, CRD, served apiVersion and plural, DNS-label names, resolvable ports."""

    def body(fab: Fabric) -> None:
        objects, files = _render(binding, fab)
        failures = check_objects(ctx, objects, files, fab.expected, binding.prefix)
        tally.invariants(ctx, objects, SHAPE, failures)
        for element in exercised_fields(ctx, objects):
            tally.ok(element, "field")
        assert not failures, failure_text(failures)

    return body


def run_recorded(recorder: Recorder, tally: Tally, run: Callable[[], None]) -> None:
    """Run a property and record its tally, with the falsifying example when it fails."""
    try:
        run()
    except BaseException as exc:
        tally.flush(recorder, reproduction=str(exc)[:4000])
        raise
    tally.flush(recorder)


def test_rendered_objects_satisfy_the_contracts_and_the_real_crds(
    ctx: Context, binding: ReferenceRenderBinding, recorder: Recorder, request: pytest.FixtureRequest
) -> None:
    max_examples, seed_value = harness_options(request.config)
    tally = Tally()
    body = rendered_objects_property(ctx, binding, tally)
    run_recorded(recorder, tally, lambda: run_property(fabrics(), body, max_examples, seed_value))
    # every mapping field the generator can reach was rendered at least once
    fields = {e for (e, kind) in tally.passed if kind == "field"}
    declared = {f"{ctx.kinds[m.kind].mapping_file}::{f.to}" for m in SPECS.mappings for f in m.fields}
    assert declared - fields == set(), f"mapping fields never exercised: {sorted(declared - fields)}"


def test_rendering_is_deterministic_and_independent_of_input_order(
    ctx: Context, binding: ReferenceRenderBinding, recorder: Recorder, request: pytest.FixtureRequest
) -> None:
    max_examples, seed_value = harness_options(request.config)
    tally = Tally()

    def body(case: tuple[Fabric, random.Random]) -> None:
        fab, rng = case
        objects, first = _render(binding, fab)
        _, again = _render(binding, fab)
        _, reordered = _render(binding, Fabric(fab.site, shuffled(fab.records, rng), fab.expected))
        failures = {
            "deterministic": [(None, f"{p} differs") for p in differing(first, again) + differing(first, reordered)]
        }
        tally.invariants(ctx, objects, ["deterministic"], failures)
        assert not failures["deterministic"], failure_text(failures)

    strategy = st.tuples(fabrics(), st.randoms(use_true_random=False))
    run_recorded(recorder, tally, lambda: run_property(strategy, body, max_examples, seed_value))


def test_rendered_manifests_round_trip_through_the_importer_offline(
    ctx: Context, binding: ReferenceRenderBinding, recorder: Recorder, request: pytest.FixtureRequest
) -> None:
    max_examples, seed_value = harness_options(request.config)
    tally = Tally()

    def body(fab: Fabric) -> None:
        objects, files = _render(binding, fab)
        failures = {"round_trip": [(None, m) for m in round_trip_failures(binding, objects, files)]}
        tally.invariants(ctx, objects, ["round_trip"], failures)
        assert not failures["round_trip"], failure_text(failures)

    # the importer writes files and parses YAML: fewer examples keep the module well under a minute
    count = max(5, (max_examples or 50) // 2)
    run_recorded(recorder, tally, lambda: run_property(fabrics(), body, count, seed_value))


def test_every_reject_of_the_mappings_has_an_invalid_variant() -> None:
    assert missing_variants(SPECS.mappings) == []


@pytest.mark.parametrize(
    ("mapping", "reject", "code"), REJECTS, ids=[f"{m.loc.doc.name}::rejects:{r}" for m, r, _ in REJECTS]
)
def test_invalid_intent_is_rejected_with_the_catalog_code_the_mapping_names(
    mapping: Any, reject: str, code: str, *, ctx: Context, binding: ReferenceRenderBinding, recorder: Recorder,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    max_examples, seed_value = harness_options(request.config)
    tally = Tally()

    def body(fab: Fabric) -> None:
        try:
            objects = binding.render(fab.site, fab.records)
        except RenderRejected as exc:
            got = exc.rejection.code
            tally.error(ctx, code, got == code, f"{mapping.id}:{reject} gave {got}: {exc.rejection.message}")
            assert got == code, f"{mapping.id} reject {reject}: expected {code}, got {got}: {exc.rejection.message}"
            return
        tally.error(ctx, code, False, f"{mapping.id}:{reject} was accepted")
        raise AssertionError(f"{mapping.id} reject {reject}: rendered {len(objects)} objects instead of {code}")

    count = max(5, (max_examples or 50) // 5)
    strategy = invalid_fabrics(mapping.id, reject)
    run_recorded(recorder, tally, lambda: run_property(strategy, body, count, seed_value))


def _wrong_api_version(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**o, "apiVersion": str(o["apiVersion"]).replace("v1beta1", "v1alpha2")} for o in objects]


class _NaivePlurals(ReferenceRenderBinding):
    """Writes ``<kind.lower()>s/<name>.yaml``: the HNP wrong-plural defect (``switchs``, ``vpcs``)."""

    def files(self, fabric: str, objects: list[dict[str, Any]]) -> dict[str, bytes]:
        right = super().files(fabric, objects)
        by_name = {f"/{o['metadata']['name']}.yaml": o for o in objects}
        out = {}
        for path, data in right.items():
            obj = next(o for suffix, o in by_name.items() if path.endswith(suffix))
            out[f"{self.prefix}/{fabric}/{obj['kind'].lower()}s/{obj['metadata']['name']}.yaml"] = data
        return out


@pytest.mark.parametrize("defect", ["wrong_api_version", "naive_plural"])
def test_the_properties_fail_on_a_broken_renderer(defect: str, ctx: Context) -> None:
    from hh_reference.render import render_fabric  # noqa: PLC0415 - the real renderer, wrapped

    broken: ReferenceRenderBinding = (
        ReferenceRenderBinding(render=lambda snap: _wrong_api_version(render_fabric(snap)))
        if defect == "wrong_api_version"
        else _NaivePlurals()
    )
    tally = Tally()
    with pytest.raises(AssertionError, match="served_api_version"):
        run_property(fabrics(), rendered_objects_property(ctx, broken, tally), 10, 0)
    assert any("served_api_version" in element for element, _ in tally.failed)
