"""The findings record: pinned to the HNP archive it was made on, so a new HNP commit is a change
of the archive path only (differences are then warnings, and the run writes what it observed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hh_hnp_harness.findings import FILE, FindingsChanged, Observed, archive_digest, expected, pinned_archive

ROOT = Path(__file__).resolve().parents[2]


def _a_recorded_check() -> tuple[str, str]:
    finding = next(iter(expected().values()))
    return finding.checks[0], finding.id


def test_the_record_is_pinned_to_the_default_archive(hnp_plugin: Path) -> None:
    assert archive_digest(hnp_plugin) == pinned_archive(), f"{FILE.name} is not pinned to {hnp_plugin.name}"


def test_against_the_pinned_archive_a_finding_that_no_longer_shows_fails() -> None:
    check, finding = _a_recorded_check()
    with pytest.raises(AssertionError, match=f"recorded finding {finding} .* no longer shows"):
        Observed(check, pinned=True).verify()


def test_against_another_archive_the_differences_are_warnings() -> None:
    check, finding = _a_recorded_check()
    with pytest.warns(FindingsChanged, match=f"recorded finding {finding} .* no longer shows"):
        Observed(check, pinned=False).verify()
    observed = Observed(check, pinned=False)
    observed.add("HNP-NEW-THING", "GET /x -> 500")
    for fid in (f.id for f in expected().values() if check in f.checks):
        observed.add(fid, "still there")
    with pytest.warns(FindingsChanged, match="new finding HNP-NEW-THING"):
        observed.verify()
