"""Seeded defects: each defect (an HNP defect class or a behaviour bug) applied to a copy of the
reference makes its generated suite fail in the item named for it, and the same suites pass on an
unpatched copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.seeded_defects import DEFECTS, IN_CI, Defect, materialise, run_suite

LIVE = [pytest.mark.live]  # suites that need the managed NetBox run in the live tier
BEHAVIOUR = [pytest.mark.defects]  # `tox -e defects` (not in make test's budget)


def _marks(live: bool, in_ci: bool) -> list[pytest.MarkDecorator]:
    return (LIVE if live else []) + ([] if in_ci else BEHAVIOUR)


SUITES = [
    pytest.param(
        suite, id=" ".join(suite), marks=_marks(live, any(d.suite == suite for d in DEFECTS if d.name in IN_CI))
    )
    for suite, live in sorted({(d.suite, d.live) for d in DEFECTS})
]


@pytest.mark.slow
@pytest.mark.parametrize("suite", SUITES)
def test_generated_suite_passes_on_the_unpatched_reference(suite: tuple[str, ...], tmp_path: Path) -> None:
    result = run_suite(materialise(None, tmp_path), suite)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("defect", [pytest.param(d, id=d.name, marks=_marks(d.live, d.name in IN_CI)) for d in DEFECTS])
def test_generated_suite_catches_the_seeded_defect(defect: Defect, tmp_path: Path) -> None:
    result = run_suite(materialise(defect, tmp_path), defect.suite)
    assert result.returncode == 1, (
        f"the suite did not fail on the seeded defect {defect.name!r} ({defect.what})\n" + result.stdout[-3000:]
    )
    assert f"FAILED {defect.caught_by}" in result.stdout, (
        f"{defect.name}: the suite failed, but not in {defect.caught_by}\n" + result.stdout[-3000:]
    )


@pytest.mark.parametrize("defect", DEFECTS, ids=[d.name for d in DEFECTS])
def test_every_seeded_defect_still_applies(defect: Defect) -> None:
    """Each patch's code is in the reference exactly once, in every tier: a change of the reference
    that moves the code must move the defect with it, not leave a suite run that cannot seed it."""
    source = (Path(__file__).resolve().parents[1] / "reference" / "hh_reference" / defect.file).read_text("utf-8")
    assert source.count(defect.old) == 1, f"{defect.name}: the code to patch is not found once in {defect.file}"
