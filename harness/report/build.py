"""Build report.json from the spec universe and the recorded events, and write the report files.

The report is a plain JSON document (``REPORT_FORMAT``); junit.xml and report.html are
rendered from it, so a saved report.json is enough to render them again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.report.elements import KINDS, Element, Universe, universe
from harness.report.events import Event, EventLog
from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.spec.diagnostics import Severity
from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, schema_dir

REPORT_FORMAT = "hh-harness-report/1"
# An element that fails a thousand times still needs only a few distinct reproductions.
MAX_FAILURES_PER_ELEMENT = 20


def build_report(
    universe_: Universe,
    log: EventLog,
    *,
    seed: int | None = None,
    duration_s: float = 0.0,
    targets: dict[str, str] | None = None,
    warnings: list[str] | None = None,
) -> dict[str, Any]:
    """The report.json document: per element, totals per kind, and the run's metadata."""
    by_element: dict[str, list[Event]] = defaultdict(list)
    for event in log.events:
        by_element[event.element].append(event)
    known = {e.id for e in universe_.elements}
    all_warnings = list(warnings or []) + list(log.warnings)
    elements = [_element_entry(e, by_element.get(e.id, [])) for e in universe_.elements]
    # Events for ids the specs do not define are kept (a failure must not vanish) and flagged.
    for element_id in sorted(set(by_element) - known):
        events = by_element[element_id]
        all_warnings.append(
            f"{len(events)} event(s) for {element_id}, which no loaded spec defines (kind {events[0].kind})"
        )
        entry = _element_entry(Element(element_id, events[0].kind, element_id.split("::", 1)[0]), events)
        entry["in_spec"] = False
        elements.append(entry)
    totals = _totals(elements)
    return {
        "format": REPORT_FORMAT,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "ok": all(t["failed"] == 0 for t in totals.values()),
        "seed": seed,
        "duration_s": round(duration_s, 3),
        "targets": dict(sorted({**log.targets, **(targets or {})}.items())),
        "warnings": all_warnings,
        "totals": totals,
        "elements": elements,
        "machines": [m.to_json() for m in universe_.machines],
    }


def _element_entry(element: Element, events: list[Event]) -> dict[str, Any]:
    failures: list[dict[str, Any]] = []
    seen: set[tuple[str, str | None]] = set()
    failed = 0
    for event in events:
        if event.verdict != "fail":
            continue
        failed += 1
        key = (event.detail, event.reproduction)
        if key not in seen and len(failures) < MAX_FAILURES_PER_ELEMENT:
            seen.add(key)
            failures.append({"detail": event.detail, "reproduction": event.reproduction})
    verdict = "not_exercised" if not events else "fail" if failed else "pass"
    return {
        "id": element.id,
        "kind": element.kind,
        "file": element.file,
        "detail": element.detail,
        "exercised": len(events),
        "failed": failed,
        "verdict": verdict,
        "failures": failures,
    }


def _totals(elements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    totals: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        mine = [e for e in elements if e["kind"] == kind and e.get("in_spec", True)]
        exercised = sum(1 for e in mine if e["exercised"])
        totals[kind] = {
            "total": len(mine),
            "exercised": exercised,
            "passed": sum(1 for e in mine if e["verdict"] == "pass"),
            # Failures of elements outside the specs count too: they are still failures.
            "failed": sum(1 for e in elements if e["kind"] == kind and e["verdict"] == "fail"),
            "coverage": round(100.0 * exercised / len(mine), 2) if mine else None,
        }
    return totals


def project_universe(root: Path) -> tuple[Universe, list[str]]:
    """The universe of the project's specs, and spec problems as report warnings."""
    paths = default_spec_paths(root)
    if not paths:
        return Universe(), [f"no spec directories under {root}; coverage has nothing to count"]
    result = load_specs(paths, schema_dir(root), root)
    problems = [f"spec error: {d.to_text()}" for d in result.diagnostics if d.severity is Severity.ERROR]
    return universe(result.specs, root), problems


def write_reports(report: dict[str, Any], directory: Path) -> list[Path]:
    """Write report.json, junit.xml and report.html into ``directory``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "report.json": json.dumps(report, indent=2, sort_keys=False) + "\n",
        "junit.xml": render_junit(report),
        "report.html": render_html(report),
    }
    written = []
    for name, text in files.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
