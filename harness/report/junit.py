"""junit.xml from a report: one test suite per element kind, one test case per spec element.

CI systems show a failed element as a failed test and an element no test reached as
skipped, so spec coverage reads like a test result.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from harness.report.elements import KINDS


def render_junit(report: dict[str, Any]) -> str:
    """The JUnit XML text for ``report`` (a report.json document)."""
    root = ET.Element("testsuites", name="hh-harness")
    elements: list[dict[str, Any]] = report["elements"]
    kinds = list(KINDS) + sorted({e["kind"] for e in elements} - set(KINDS))
    for kind in kinds:
        mine = [e for e in elements if e["kind"] == kind]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{kind}s",
            tests=str(len(mine)),
            failures=str(sum(1 for e in mine if e["verdict"] == "fail")),
            skipped=str(sum(1 for e in mine if e["verdict"] == "not_exercised")),
            errors="0",
        )
        for element in mine:
            _testcase(suite, element)
    root.set("tests", str(len(elements)))
    root.set("failures", str(sum(1 for e in elements if e["verdict"] == "fail")))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, element: dict[str, Any]) -> None:
    case = ET.SubElement(suite, "testcase", classname=element["file"], name=element["id"])
    case.set("time", "0")
    if element["verdict"] == "fail":
        failures = element["failures"]
        first = failures[0]["detail"] if failures else "failed"
        failure = ET.SubElement(case, "failure", message=first or "failed", type="non-conformance")
        failure.text = "\n\n".join(_failure_text(f) for f in failures)
    elif element["verdict"] == "not_exercised":
        ET.SubElement(case, "skipped", message="not exercised")
    else:
        out = ET.SubElement(case, "system-out")
        out.text = f"exercised {element['exercised']} time(s)"


def _failure_text(failure: dict[str, Any]) -> str:
    text = str(failure.get("detail") or "failed")
    if failure.get("reproduction"):
        text += f"\nreproduction:\n{failure['reproduction']}"
    return text
