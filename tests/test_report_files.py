"""report.json, junit.xml and report.html built from real specs and recorded events."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path
from typing import Any

import pytest

from harness.report.build import build_report, project_universe, write_reports
from harness.report.events import Recorder, load_events

ROOT = Path(__file__).resolve().parents[1]
TAKEN = "state_machines/fabric_sync.yaml::syncing->in_sync"
FAILED = "specs/errors/github.yaml::HH-GIT-006"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    events = tmp_path_factory.mktemp("events")
    recorder = Recorder(events, "gw0")
    recorder.record(TAKEN, "transition", "pass")
    recorder.record(TAKEN, "transition", "pass")
    recorder.record(FAILED, "error", "fail", "409 swallowed <b>", "sync(fabric='f1')  # conflict on update_ref")
    recorder.close()
    universe, warnings = project_universe(ROOT)
    report = build_report(universe, load_events(events), seed=7, warnings=warnings)
    out = tmp_path_factory.mktemp("report")
    write_reports(report, out)
    return report, out


def test_report_json_counts_each_element_against_the_specs(written: tuple[dict[str, Any], Path]) -> None:
    _, out = written
    on_disk = json.loads((out / "report.json").read_text())
    by_id = {e["id"]: e for e in on_disk["elements"]}
    assert by_id[TAKEN]["exercised"] == 2 and by_id[TAKEN]["verdict"] == "pass"
    assert by_id[FAILED]["verdict"] == "fail"
    assert by_id[FAILED]["failures"][0]["reproduction"].startswith("sync(")
    transitions = on_disk["totals"]["transition"]
    assert transitions["exercised"] == 1 and transitions["total"] > 1
    assert on_disk["ok"] is False and on_disk["seed"] == 7


def test_junit_has_one_case_per_element_with_failures_and_skips(written: tuple[dict[str, Any], Path]) -> None:
    report, out = written
    cases = {c.get("name"): c for c in ET.parse(out / "junit.xml").getroot().iter("testcase")}
    assert len(cases) == len(report["elements"])
    assert cases[FAILED].find("failure") is not None
    assert cases[TAKEN].find("failure") is None and cases[TAKEN].find("skipped") is None
    untaken = next(e["id"] for e in report["elements"] if e["verdict"] == "not_exercised")
    skipped = cases[untaken].find("skipped")
    assert skipped is not None and skipped.get("message") == "not exercised"


def test_html_draws_every_machine_and_marks_taken_edges(written: tuple[dict[str, Any], Path]) -> None:
    report, out = written
    page = (out / "report.html").read_text()
    assert page.count("<svg") == len(report["machines"]) >= 7
    assert f'class="edge taken" data-edge="{escape(TAKEN)}"' in page
    assert 'class="edge untaken"' in page
    assert "409 swallowed &lt;b&gt;" in page and "<b>" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
