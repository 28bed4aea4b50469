"""Which items each spec file yields, and the bodies that run them (closures over the element,
taking fixtures by name like any pytest test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from harness.adapter import Adapter, Renderer
from harness.generate.faults import FaultCase, fault_cases
from harness.generate.property import Context
from harness.kube.crds import CrdRegistry
from harness.report.events import Recorder
from harness.spec.models import Mapping, Resource, SpecSet, StateMachine
from harness.suites import property as prop
from harness.suites.stateful import run_machine
from harness.suites.webhooks import webhook_recipe

Entry = tuple[str, str, Callable[..., None]]  # item name, marker, body
Options = tuple[int | None, int | None]


def _same(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def for_file(path: Path, specs: SpecSet, root: Path) -> Iterator[Entry]:
    for machine in specs.machines:
        if _same(machine.loc.doc.path, path):
            yield "machine", "stateful", _machine(machine, specs)
    for catalog in specs.catalogs:
        if _same(catalog.loc.doc.path, path):
            for case in fault_cases(SpecSet(catalogs=[catalog]), root):
                if case.offline:
                    yield case.code, "fault", _webhook(case)
    for contract in specs.contracts:
        if _same(contract.loc.doc.path, path):
            for resource in contract.resources:
                yield resource.kind, "property", _resource(resource)
    for mapping in specs.mappings:
        if _same(mapping.loc.doc.path, path):
            for reject, code in mapping.rejects:
                yield f"rejects:{reject}", "property", _rejected(mapping, reject, code)


def for_mappings_dir() -> Iterator[Entry]:
    def rendered_objects(harness_property_context: Context, harness_specs: SpecSet, harness_renderer: Renderer,
                         harness_recorder: Recorder, harness_options: Options) -> None:  # fmt: skip
        prop.rendered_objects(harness_property_context, harness_specs, harness_renderer, harness_recorder,
                              harness_options)  # fmt: skip

    def deterministic(harness_property_context: Context, harness_renderer: Renderer, harness_recorder: Recorder,
                      harness_options: Options) -> None:  # fmt: skip
        prop.deterministic(harness_property_context, harness_renderer, harness_recorder, harness_options)

    def round_trip(harness_property_context: Context, harness_renderer: Renderer, harness_recorder: Recorder,
                   harness_options: Options) -> None:  # fmt: skip
        prop.round_trip(harness_property_context, harness_renderer, harness_recorder, harness_options)

    yield "rendered-objects", "property", rendered_objects
    yield "deterministic", "property", deterministic
    yield "round-trip", "property", round_trip


def _machine(machine: StateMachine, specs: SpecSet) -> Callable[..., None]:
    def machine_test(harness_adapter: Adapter, harness_root: Path, harness_recorder: Recorder,
                     harness_options: Options) -> None:  # fmt: skip
        run_machine(
            machine, specs, harness_adapter, harness_root, recorder=harness_recorder, max_examples=harness_options[0]
        )

    return machine_test


def _webhook(case: FaultCase) -> Callable[..., None]:
    def webhook_test(harness_adapter: Adapter, harness_root: Path, harness_recorder: Recorder, tmp_path: Path) -> None:
        webhook_recipe(case, harness_adapter, harness_root, tmp_path, harness_recorder)

    return webhook_test


def _resource(resource: Resource) -> Callable[..., None]:
    def resource_test(harness_crd_registry: CrdRegistry, harness_recorder: Recorder, harness_options: Options) -> None:
        prop.contract_resource(resource, harness_crd_registry, harness_recorder, harness_options)

    return resource_test


def _rejected(mapping: Mapping, reject: str, code: str) -> Callable[..., None]:
    def reject_test(harness_property_context: Context, harness_renderer: Renderer, harness_recorder: Recorder,
                    harness_options: Options) -> None:  # fmt: skip
        prop.rejected(mapping, reject, code, ctx=harness_property_context, renderer=harness_renderer,
                      recorder=harness_recorder, options=harness_options)  # fmt: skip

    return reject_test
