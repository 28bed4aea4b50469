"""The pytest plugin: deterministic shards, reports written from every worker's events."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TESTS = """
import pytest

@pytest.mark.parametrize("n", range(40))
def test_item(n):
    assert n >= 0
"""

RECORDING = """
import pytest

@pytest.mark.parametrize("n", range(6))
def test_records(n, harness_recorder):
    harness_recorder.record("state_machines/fabric_sync.yaml::syncing->in_sync", "transition", "pass", f"example {n}")
"""


def _passed(recorder: pytest.HookRecorder) -> set[str]:
    return {r.nodeid for r in recorder.getreports("pytest_runtest_logreport") if r.when == "call" and r.passed}


def test_shards_partition_the_items_exactly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TESTS)
    everything = _passed(pytester.inline_run())
    shards = [_passed(pytester.inline_run(f"--harness-shard={i}/3")) for i in (1, 2, 3)]
    assert len(everything) == 40
    assert set().union(*shards) == everything
    assert sum(len(s) for s in shards) == 40
    assert shards == [_passed(pytester.inline_run(f"--harness-shard={i}/3")) for i in (1, 2, 3)]


def test_an_invalid_shard_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TESTS)
    result = pytester.runpytest("--harness-shard=4/3")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--harness-shard must be I/N*"])


def test_report_is_written_from_the_events_of_two_xdist_workers(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(RECORDING)
    out = tmp_path / "report"
    result = pytester.runpytest_subprocess("-n", "2", f"--harness-report={out}", f"--harness-events={tmp_path / 'ev'}")
    result.assert_outcomes(passed=6)
    assert len(list((tmp_path / "ev").glob("events-*.ndjson"))) == 2
    report = json.loads((out / "report.json").read_text())
    element = next(e for e in report["elements"] if e["id"] == "state_machines/fabric_sync.yaml::syncing->in_sync")
    assert element["exercised"] == 6 and element["verdict"] == "pass"
    assert report["totals"]["transition"]["exercised"] == 1
    cases = ET.parse(out / "junit.xml").getroot().iter("testcase")
    assert any(c.get("name") == element["id"] for c in cases)
    assert "<svg" in (out / "report.html").read_text()


SAVING = """
def test_where(harness_regressions):
    print("REGRESSIONS=" + str(harness_regressions))
"""


def test_regressions_directory_defaults_to_reports_and_follows_the_option(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(SAVING)
    monkeypatch.delenv("HARNESS_REGRESSIONS_DIR", raising=False)
    default = pytester.runpytest("-s")
    default.stdout.fnmatch_lines([f"*REGRESSIONS={pytester.path / 'reports' / 'regressions'}*"])
    given = pytester.runpytest("-s", f"--harness-regressions={tmp_path / 'found'}")
    given.stdout.fnmatch_lines([f"*REGRESSIONS={tmp_path / 'found'}*"])
    monkeypatch.setenv("HARNESS_REGRESSIONS_DIR", str(tmp_path / "env"))
    pytester.runpytest("-s").stdout.fnmatch_lines([f"*REGRESSIONS={tmp_path / 'env'}*"])
