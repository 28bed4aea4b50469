"""The mapping contracts' invariants evaluated on what the implementation wrote to the real systems.

The property suites hold the adapter's pure renderer to ``contracts/mappings/*.yaml``'s invariants
on generated fabrics. Here the same named checks read the implementation's real output: after a
sync that completed, the files on the target branch (read from GitHub, or the twin) against the
intent NetBox then holds (read with the harness's own client):

- ``valid_against_contract``, ``accepted_by_crd``, ``served_api_version``, ``dns_label_name``,
  ``port_refs_resolve``: each committed object, its path and name (the property suites' checks,
  :func:`harness.generate.property.check_objects`), the names compared with the render of the intent;
- ``round_trip``: the committed files read back by the adapter's importer as the committed objects;
- ``deterministic``: the committed files are byte-equal to the render of the same intent read in
  another order (NetBox promises no order), so a sync of an unchanged intent cannot commit.

Each verdict is recorded per kind the branch holds, as the invariant of that kind's mapping.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from harness.adapter import Renderer, RenderRejected
from harness.generate.property import Context, Failures, check_objects, differing, round_trip_failures, shuffled
from harness.report.elements import invariant_id
from harness.report.events import Recorder
from harness.spec.models import SpecSet
from harness.world.invariants import Systems

NAMES = ("valid_against_contract", "accepted_by_crd", "served_api_version", "dns_label_name", "port_refs_resolve",
         "round_trip", "deterministic")  # fmt: skip
_CONTEXTS: dict[tuple[int, Path], Context] = {}


def mapping_context(specs: SpecSet, crds_dir: Path, root: Path) -> Context:
    """The specs and the real CRDs indexed for the checks, built once per spec set and CRD directory."""
    key = (id(specs), crds_dir)
    if key not in _CONTEXTS:
        from harness.targets.kube.server import load_registry  # noqa: PLC0415 - the CRDs load only when asked

        _CONTEXTS[key] = Context.build(specs, load_registry([crds_dir]), root)
    return _CONTEXTS[key]


def check_branch(systems: Systems, ctx: Context, renderer: Renderer, recorder: Recorder, *, step: str,
                 seed: int = 0) -> list[str]:  # fmt: skip
    """Evaluate the mapping invariants on the target branch against NetBox's current intent, record
    each verdict, and return the broken ones as problems. Call it only right after a sync that
    completed (the branch then holds that intent's render). The branch files, the intent and its
    render are ``systems``' reads, shared with the state machines' invariants of the same step."""
    fabric = systems.fabric
    files = systems.files
    objects: list[dict[str, Any]] = [yaml.safe_load(data) for _, data in sorted(files.items())]
    wanted, why = systems.rendered_objects
    if wanted is None:
        return [f"{step}: no render of the intent the sync committed: {why}"]
    try:
        again = renderer.render(*_shuffled(systems.intent, seed))
    except RenderRejected as exc:
        return [f"{step}: the adapter's renderer refuses the intent the sync committed, read in another order: {exc}"]
    expected = {(str(o["kind"]), str(o["metadata"]["name"])) for o in wanted}
    failures: Failures = check_objects(ctx, objects, files, expected, renderer.prefix, fabric=fabric)
    failures["round_trip"] = [(None, m) for m in round_trip_failures(renderer, objects, files)]
    differ = differing(dict(files), renderer.files(fabric, again))
    failures["deterministic"] = [(None, f"{p}: the committed bytes differ from the render of the same intent read "
                                        "in another order") for p in differ]  # fmt: skip
    return _record(ctx, objects, failures, recorder, step)


def _shuffled(intent: tuple[dict[str, Any], dict[str, list[dict[str, Any]]]],
              seed: int) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:  # fmt: skip
    site, records = intent
    return site, shuffled(records, random.Random(seed))


def _record(ctx: Context, objects: list[dict[str, Any]], failures: Mapping[str, list[tuple[str | None, str]]],
            recorder: Recorder, step: str) -> list[str]:  # fmt: skip
    problems = []
    for kind in sorted({str(o.get("kind")) for o in objects}):
        spec = ctx.kinds.get(kind)
        if spec is None:
            continue
        count = sum(1 for o in objects if o.get("kind") == kind)
        for name in NAMES:
            if name not in spec.mapping.invariants:
                continue
            broken = [m for k, m in failures.get(name, []) if k in (kind, None)]
            element = invariant_id(spec.mapping_file, name)
            if broken:
                detail = "; ".join(broken)[:2000]
                recorder.record(element, "invariant", "fail", f"{step}: {detail}")
                problems.append(f"mapping invariant {kind}.{name} broken on the branch after {step}: {detail}")
            else:
                recorder.record(element, "invariant", "pass", f"{step}: {count} {kind} object(s) on the target branch")
    return problems
