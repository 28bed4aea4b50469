"""Which items each spec file yields, and the bodies that run them (closures over the element,
taking fixtures by name like any pytest test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.adapter import Adapter, Renderer
from harness.generate.faults import FaultCase, fault_cases
from harness.generate.property import Context
from harness.kube.crds import CrdRegistry
from harness.report.events import Recorder
from harness.spec.models import Mapping, Operation, Pattern, PatternStep, Resource, SpecSet, StateMachine
from harness.suites import property as prop
from harness.suites.stateful import run_machine
from harness.suites.webhooks import webhook_recipe

if TYPE_CHECKING:
    from harness.targets.base import Endpoint
    from harness.world.pool import WorldPool

Entry = tuple[str, str, Callable[..., None]]  # item name, markers ("live fault"), body
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
                else:
                    yield case.code, "live fault", _live_fault(case)
    for pattern in specs.patterns:
        if _same(pattern.loc.doc.path, path) and pattern.action is not None:
            for step in pattern.steps:
                if step.crash_point:
                    yield f"crash-after:{step.name}", "live", _crash(pattern, step)
    for contract in specs.contracts:
        if _same(contract.loc.doc.path, path):
            for resource in contract.resources:
                yield resource.kind, "property", _resource(resource)
            for op in contract.operations:
                if contract.boundary == "netbox" and op.http is not None and op.http.method == "GET":
                    yield f"schemathesis:{op.id}", "live contract", _schemathesis(op)
    for mapping in specs.mappings:
        if _same(mapping.loc.doc.path, path):
            for reject, code in mapping.rejects:
                yield f"rejects:{reject}", "property", _rejected(mapping, reject, code)


def directory_items(path: Path, specs: SpecSet) -> list[Entry]:
    """The items of a spec directory itself: the whole-fabric render properties where the mappings
    are, the pact of each provider whose contracts are there."""
    found: list[Entry] = []
    if any(_same(m.loc.doc.path.parent, path) for m in specs.mappings):
        found += _mappings_dir()
    if any(_same(m.loc.doc.path.parent, path) for m in specs.machines):
        found.append(("world", "live stateful", _world()))
        found.append(("world_pull_request", "live stateful", _world_pull_request()))
    boundaries = {c.boundary for c in specs.contracts if _same(c.loc.doc.path.parent, path)}
    for boundary in ("netbox", "github"):
        if boundary in boundaries:
            found.append(("pact", "live contract", _pact(boundary)))
    return found


def _world() -> Callable[..., None]:
    def world_test(  # noqa: PLR0917 - pytest passes fixtures positionally
        harness_worlds: WorldPool, harness_specs: SpecSet, harness_crds_dir: Path, harness_recorder: Recorder,
        harness_root: Path, harness_options: Options, harness_regressions: Path, tmp_path: Path,
    ) -> None:  # fmt: skip
        from harness.suites.world import run_world  # noqa: PLC0415

        run_world(harness_worlds.get("model"), harness_specs, harness_recorder, root=harness_root,
                  crds_dir=harness_crds_dir, tmp=tmp_path, max_examples=harness_options[0],
                  regressions=harness_regressions)  # fmt: skip

    world_test.world_kind = "model"  # type: ignore[attr-defined]
    return world_test


def _world_pull_request() -> Callable[..., None]:
    def world_pull_request_test(  # noqa: PLR0917 - pytest passes fixtures positionally
        harness_worlds: WorldPool, harness_specs: SpecSet, harness_recorder: Recorder, harness_root: Path,
        harness_options: Options, harness_regressions: Path,
    ) -> None:  # fmt: skip
        from harness.suites.world_review import run_review  # noqa: PLC0415

        run_review(harness_worlds.get("pull_request"), harness_specs, harness_recorder, root=harness_root,
                   max_examples=harness_options[0], regressions=harness_regressions)  # fmt: skip

    world_pull_request_test.world_kind = "pull_request"  # type: ignore[attr-defined]
    return world_pull_request_test


def _pact(boundary: str) -> Callable[..., None]:
    if boundary == "netbox":

        def netbox_pact_test(harness_specs: SpecSet, harness_root: Path, harness_netbox: Endpoint,
                             harness_recorder: Recorder, tmp_path: Path) -> None:  # fmt: skip
            from harness.suites.contracts_live import netbox_pact  # noqa: PLC0415

            netbox_pact(harness_specs, harness_root, harness_netbox, harness_recorder, tmp_path)

        return netbox_pact_test

    def github_pact_test(harness_specs: SpecSet, harness_root: Path, harness_recorder: Recorder,
                         tmp_path: Path) -> None:  # fmt: skip
        from harness.suites.contracts_live import github_pact  # noqa: PLC0415

        github_pact(harness_specs, harness_root, harness_recorder, tmp_path)

    return github_pact_test


def _schemathesis(op: Operation) -> Callable[..., None]:
    def schemathesis_test(  # noqa: PLR0917 - pytest passes fixtures positionally
        harness_worlds: WorldPool, harness_netbox_schema: Any, harness_netbox: Endpoint, harness_specs: SpecSet,
        harness_root: Path, harness_recorder: Recorder, harness_regressions: Path, harness_options: Options,
    ) -> None:  # fmt: skip
        from harness.suites.contracts_live import schemathesis_operation  # noqa: PLC0415

        # NetBox holding the test fabric: a generated read of one object (sites/{id}/) must be able to
        # find one; on an empty NetBox (a fresh worker's) every such request was a 404, nothing checked
        harness_worlds.get("direct")
        schemathesis_operation(op, harness_netbox_schema, harness_netbox, specs=harness_specs, root=harness_root,
                               recorder=harness_recorder, regressions=harness_regressions,
                               seed=harness_options[1])  # fmt: skip

    schemathesis_test.world_kind = "direct"  # type: ignore[attr-defined]  # reads only: the world is unchanged
    return schemathesis_test


def _mappings_dir() -> list[Entry]:
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

    return [("rendered-objects", "property", rendered_objects), ("deterministic", "property", deterministic),
            ("round-trip", "property", round_trip)]  # fmt: skip


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


def _live_fault(case: FaultCase) -> Callable[..., None]:
    from harness.suites.live_faults import world_kind as kind_of  # noqa: PLC0415

    kind = kind_of(case)

    def live_fault_test(  # noqa: PLR0917 - pytest passes fixtures positionally
        harness_worlds: WorldPool, harness_specs: SpecSet, harness_crds_dir: Path, harness_recorder: Recorder,
        harness_root: Path, tmp_path: Path,
    ) -> None:  # fmt: skip
        from harness.generate.faults import machine_files  # noqa: PLC0415
        from harness.suites.live_faults import run_fault  # noqa: PLC0415

        run_fault(case, harness_worlds.get(kind), specs=harness_specs, crds_dir=harness_crds_dir, tmp=tmp_path,
                  recorder=harness_recorder, files=machine_files(harness_specs, harness_root))  # fmt: skip

    live_fault_test.world_kind = kind  # type: ignore[attr-defined]
    return live_fault_test


def _crash(pattern: Pattern, step: PatternStep) -> Callable[..., None]:
    def crash_test(  # noqa: PLR0917 - pytest passes fixtures positionally
        harness_worlds: WorldPool, harness_specs: SpecSet, harness_crds_dir: Path, harness_recorder: Recorder,
        harness_root: Path, tmp_path: Path,
    ) -> None:  # fmt: skip
        from harness.suites.crash import crash_convergence  # noqa: PLC0415

        crash_convergence(pattern, step, harness_worlds, specs=harness_specs, crds_dir=harness_crds_dir,
                          tmp=tmp_path, recorder=harness_recorder, root=harness_root)  # fmt: skip

    crash_test.world_kind = "model"  # type: ignore[attr-defined]
    return crash_test
