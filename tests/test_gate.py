"""`harness gate`: thresholds and failures decide the exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main


def _report(tmp_path: Path, *, transition: float, failed: bool = False, warnings: list[str] | None = None) -> Path:
    report = {
        "totals": {
            "transition": {"total": 10, "exercised": int(transition / 10), "coverage": transition, "failed": 0},
            "error": {"total": 4, "exercised": 4, "coverage": 100.0, "failed": 0},
            "operation": {"total": 2, "exercised": 1, "coverage": 50.0, "failed": 0},
        },
        "elements": [{"id": "specs/errors/github.yaml::HH-GIT-006", "verdict": "fail" if failed else "pass"}],
        "warnings": warnings or [],
    }
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    return path


def test_thresholds_that_hold_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _report(tmp_path, transition=100.0)
    assert main(["gate", str(path), "--min-transition-coverage", "100", "--min-error-coverage", "100"]) == 0
    assert "ok" in capsys.readouterr().out


def test_coverage_below_a_threshold_fails_and_says_by_how_much(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _report(tmp_path, transition=80.0)
    assert main(["gate", str(path), "--min-transition-coverage", "100"]) == 1
    assert "transition coverage 80.0% < 100.0% (8 of 10 exercised)" in capsys.readouterr().out


def test_a_failed_element_fails_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", str(_report(tmp_path, transition=100.0, failed=True))]) == 1
    assert "HH-GIT-006" in capsys.readouterr().out


def test_warnings_fail_only_when_asked(tmp_path: Path) -> None:
    path = _report(tmp_path, transition=100.0, warnings=["something"])
    assert main(["gate", str(path)]) == 0
    assert main(["gate", str(path), "--fail-on-warnings"]) == 1


def test_an_unreadable_report_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "report.json"
    bad.write_text("{not json")
    assert main(["gate", str(bad)]) == 2
    assert "not a readable harness report" in capsys.readouterr().err
