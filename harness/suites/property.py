"""The property suites.

- per Kubernetes contract resource: every object the contract allows, the real CRD accepts;
- on the mappings, through the adapter's renderer: valid intent renders to objects that satisfy
  the contracts and the CRDs (served apiVersion, plural, DNS-label names, resolvable ports), the
  render is deterministic and independent of input order, and it round-trips through the
  importer's offline checks; each mapping's ``rejects`` entry is refused with its catalog code.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import strategies as st

from harness.adapter import Renderer, RenderRejected
from harness.generate.property import (
    FABRIC,
    Context,
    Tally,
    check_objects,
    differing,
    exercised_fields,
    failure_text,
    round_trip_failures,
    run_property,
    shuffled,
)
from harness.generate.property_fabric import Fabric, fabrics
from harness.generate.property_invalid import invalid_fabrics
from harness.generate.property_schema import contract_vs_crd, describe, schema_strategy
from harness.kube.crds import CrdRegistry
from harness.report.events import Recorder
from harness.spec.models import Mapping, Resource, SpecSet

SHAPE = ["valid_against_contract", "accepted_by_crd", "served_api_version", "dns_label_name", "port_refs_resolve"]
Options = tuple[int | None, int | None]  # max_examples, seed


def contract_resource(resource: Resource, registry: CrdRegistry, recorder: Recorder, options: Options) -> None:
    """Objects the contract allows are accepted by the real CRD (fieldValidation=Strict, ObjectMeta)."""
    assert registry.find_kind(resource.api_version, resource.kind) is not None, (
        f"{resource.loc.doc.name}: {resource.api_version} {resource.kind} is served by none of the CRDs"
    )
    check = contract_vs_crd(resource, registry)

    def body(obj: Any) -> None:
        verdict = check(obj)
        assert not verdict.contract_errors and not verdict.crd_errors, describe(obj, verdict)

    where = f"{resource.loc.doc.name}::{resource.kind}"
    try:
        strategy = schema_strategy(resource.schema)
        # no shrinking: on these schemas it takes minutes, and the CRD's message already names the field
        run_property(strategy, body, options[0], options[1], shrink=False)
    except AssertionError as exc:
        recorder.warn(f"{where}: {str(exc).splitlines()[0]}")
        raise
    except Exception as exc:  # noqa: BLE001 - hypothesis-jsonschema reports unsupported schemas with various types
        recorder.warn(f"{where}: cannot generate objects from the schema ({type(exc).__name__}: {exc})")
        pytest.fail(f"{where}: cannot generate objects from the schema: {type(exc).__name__}: {exc}")


def _render(renderer: Renderer, fab: Fabric) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    objects = renderer.render(fab.site, fab.records)
    return objects, renderer.files(FABRIC, objects)


def rendered_objects_property(ctx: Context, renderer: Renderer, tally: Tally) -> Callable[[Fabric], None]:
    """Contract, CRD, served apiVersion and plural, DNS-label names, resolvable ports."""

    def body(fab: Fabric) -> None:
        objects, files = _render(renderer, fab)
        failures = check_objects(ctx, objects, files, fab.expected, renderer.prefix)
        tally.invariants(ctx, objects, SHAPE, failures)
        for element in exercised_fields(ctx, objects):
            tally.ok(element, "field")
        assert not failures, failure_text(failures)

    return body


def _recorded(recorder: Recorder, tally: Tally, run: Callable[[], None]) -> None:
    """Run a property and record its tally, with the falsifying example when it fails."""
    try:
        run()
    except BaseException as exc:
        tally.flush(recorder, reproduction=str(exc)[:4000])
        raise
    tally.flush(recorder)


def rendered_objects(ctx: Context, specs: SpecSet, renderer: Renderer, recorder: Recorder, options: Options) -> None:
    tally = Tally()
    body = rendered_objects_property(ctx, renderer, tally)
    _recorded(recorder, tally, lambda: run_property(fabrics(), body, *options))
    # every mapping field the generator can reach was rendered at least once
    exercised = {e for (e, kind) in tally.passed if kind == "field"}
    declared = {f"{ctx.kinds[m.kind].mapping_file}::{f.to}" for m in specs.mappings for f in m.fields}
    assert declared - exercised == set(), f"mapping fields never exercised: {sorted(declared - exercised)}"


def deterministic(ctx: Context, renderer: Renderer, recorder: Recorder, options: Options) -> None:
    tally = Tally()

    def body(case: tuple[Fabric, random.Random]) -> None:
        fab, rng = case
        objects, first = _render(renderer, fab)
        _, again = _render(renderer, fab)
        _, reordered = _render(renderer, Fabric(fab.site, shuffled(fab.records, rng), fab.expected))
        differs = differing(first, again) + differing(first, reordered)
        failures: dict[str, list[tuple[str | None, str]]] = {"deterministic": [(None, f"{p} differs") for p in differs]}
        tally.invariants(ctx, objects, ["deterministic"], failures)
        assert not failures["deterministic"], failure_text(failures)

    strategy = st.tuples(fabrics(), st.randoms(use_true_random=False))
    _recorded(recorder, tally, lambda: run_property(strategy, body, *options))


def round_trip(ctx: Context, renderer: Renderer, recorder: Recorder, options: Options) -> None:
    tally = Tally()

    def body(fab: Fabric) -> None:
        objects, files = _render(renderer, fab)
        failures: dict[str, list[tuple[str | None, str]]] = {
            "round_trip": [(None, m) for m in round_trip_failures(renderer, objects, files)]
        }
        tally.invariants(ctx, objects, ["round_trip"], failures)
        assert not failures["round_trip"], failure_text(failures)

    # the importer writes files and parses YAML: fewer examples keep it well under a minute
    count = max(5, (options[0] or 50) // 2)
    _recorded(recorder, tally, lambda: run_property(fabrics(), body, count, options[1]))


def rejected(mapping: Mapping, reject: str, code: str, *, ctx: Context, renderer: Renderer, recorder: Recorder,
             options: Options) -> None:  # fmt: skip
    """Intent the mapping rejects is refused with exactly the catalog code it names."""
    tally = Tally()

    def body(fab: Fabric) -> None:
        try:
            objects = renderer.render(fab.site, fab.records)
        except RenderRejected as exc:
            got = exc.rejection.code
            tally.error(ctx, code, got == code, f"{mapping.id}:{reject} gave {got}: {exc.rejection.message}")
            assert got == code, f"{mapping.id} reject {reject}: expected {code}, got {got}: {exc.rejection.message}"
            return
        tally.error(ctx, code, False, f"{mapping.id}:{reject} was accepted")
        raise AssertionError(f"{mapping.id} reject {reject}: rendered {len(objects)} objects instead of {code}")

    count = max(5, (options[0] or 50) // 5)
    _recorded(recorder, tally, lambda: run_property(invalid_fabrics(mapping.id, reject), body, count, options[1]))
