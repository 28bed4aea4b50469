"""The property suite's checks can fail: on deliberately broken renderers (the reference's, wrapped)
the fabric-wide property (``contracts/mappings::rendered-objects``) names the broken invariant, and
every ``rejects`` entry of the mappings has an invalid-intent generator."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
from hh_reference.render import render_fabric
from hh_reference_harness.render import ReferenceRenderBinding
from hypothesis import strategies as st

from harness.commands.run import pytest_args, register
from harness.generate.property import NO_SHRINK_ENV, Context, Tally, run_property
from harness.generate.property_fabric import fabrics
from harness.generate.property_invalid import missing_variants
from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, schema_dir
from harness.suites.property import rendered_objects_property
from harness.targets.kube.server import load_registry

ROOT = Path(__file__).resolve().parents[1]
SPECS = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs


@pytest.fixture(scope="module")
def ctx(crds_dir: Path) -> Context:
    return Context.build(SPECS, load_registry([crds_dir]), ROOT)


def test_every_reject_of_the_mappings_has_an_invalid_variant() -> None:
    assert missing_variants(SPECS.mappings) == []


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
    broken: ReferenceRenderBinding = (
        ReferenceRenderBinding(render=lambda snap: _wrong_api_version(render_fabric(snap)))
        if defect == "wrong_api_version"
        else _NaivePlurals()
    )
    tally = Tally()
    with pytest.raises(AssertionError, match="served_api_version"):
        run_property(fabrics(), rendered_objects_property(ctx, broken, tally), 10, 0)
    assert any("served_api_version" in element for element, _ in tally.failed)


@pytest.mark.parametrize("no_shrink", [False, True])
def test_no_shrink_reports_the_first_failing_example_as_found(no_shrink: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--harness-no-shrink`` (``harness run --no-shrink``): the failing example is the first one
    found, replayed once, instead of a search for a smaller one."""
    if no_shrink:
        monkeypatch.setenv(NO_SHRINK_ENV, "1")
    else:
        monkeypatch.delenv(NO_SHRINK_ENV, raising=False)
    failing: list[int] = []

    def body(n: int) -> None:
        if n >= 1000:
            failing.append(n)
            raise AssertionError(n)

    with pytest.raises(AssertionError):
        run_property(st.integers(0, 10**9), body, 200, 20261201)
    if no_shrink:
        assert len(set(failing)) == 1, failing
    else:
        assert len(set(failing)) > 1 and failing[-1] == 1000, failing


def test_run_passes_no_shrink_to_the_suites(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["run", "--no-shrink", "--report", str(tmp_path)])
    assert "--harness-no-shrink" in pytest_args(args, tmp_path, [])
    assert "--harness-no-shrink" not in pytest_args(parser.parse_args(["run"]), tmp_path, [])
