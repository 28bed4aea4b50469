"""`harness validate`: the repo's specs pass; each deliberately broken spec fails at the right place.

Each directory under tests/data/broken/ is one case. A trailing `# expect: CODE` comment marks
the line where the validator must report CODE; the set of (file, line, code) it reports as
errors must equal the set of marks exactly.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "data" / "broken"
EXPECT = re.compile(r"#\s*expect:\s*([a-z0-9-]+)")


def _expected(case: Path) -> set[tuple[str, int, str]]:
    marks = set()
    for path in sorted(case.glob("*.yaml")):
        # bad_utf8 holds a byte that is not UTF-8: its mark is still readable with the byte replaced
        for number, line in enumerate(path.read_bytes().decode("utf-8", "replace").splitlines(), start=1):
            for code in EXPECT.findall(line):
                marks.add((path.name, number, code))
    return marks


def _validate_json(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(["validate", "--format", "json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.mark.parametrize("case", sorted(p.name for p in BROKEN.iterdir() if p.is_dir()))
def test_broken_spec_is_reported_at_the_marked_lines(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    expected = _expected(BROKEN / case)
    # how fast each case is rejected is measured by `python -m benchmarks --only broken`, not here:
    # a wall-clock bound in a test fails on a loaded machine, not on a slow loader
    code, report = _validate_json(str(BROKEN / case), capsys=capsys)
    got = {(Path(e["file"]).name, e["line"], e["code"]) for e in report["errors"]}
    if expected:
        assert code == 1
        assert report["ok"] is False
    assert got == expected


def test_unreferenced_error_code_is_a_warning_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _validate_json(str(BROKEN / "unreferenced_code"), capsys=capsys)
    assert code == 0
    assert [w["code"] for w in report["warnings"]] == ["unreferenced-error-code"]


def test_diagnostics_carry_pointer_and_say_what_would_be_valid(capsys: pytest.CaptureFixture[str]) -> None:
    _, report = _validate_json(str(BROKEN / "schema_violation"), capsys=capsys)
    unknown = next(e for e in report["errors"] if e["pointer"] == "/states/1/finall")
    assert "allowed: description, final, invariants, name, settle_timeout_s" in unknown["message"]
    assert unknown["line"] == 9 and unknown["column"] == 5


def test_text_format_is_file_line_column_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BROKEN / "duplicate_key")]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].endswith("duplicate_key/m.yaml:15:1: duplicate-key duplicate key 'initial' (first defined on line 6)")


def test_oversized_spec_is_refused_before_it_is_parsed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Refused by its size alone: parsed, the document would also be an invalid machine (no id, no
    initial state, no transitions). How fast is `python -m benchmarks --only broken`'s to say."""
    big = tmp_path / "big.yaml"
    with big.open("w") as fh:
        fh.write("kind: StateMachine\nstates:\n")
        fh.write("  - name: s\n" * 500_000)
    code, report = _validate_json(str(big), capsys=capsys)
    assert code == 1
    assert [e["code"] for e in report["errors"]] == ["file-too-large"]


def test_an_empty_file_is_an_error_at_its_first_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"")
    assert main(["validate", str(empty)]) == 1
    assert (
        capsys.readouterr().out.splitlines()[0].endswith("empty.yaml:1:1: empty-document file holds no YAML document")
    )


def test_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_unknown_option_is_a_usage_error_without_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "validate", "--formatt", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "unrecognized arguments" in proc.stderr or "--formatt" in proc.stderr


def test_repository_specs_are_valid(capsys: pytest.CaptureFixture[str], crds_dir: Path) -> None:
    code, report = _validate_json("--crds", str(crds_dir), capsys=capsys)
    assert report["errors"] == []
    assert code == 0
    summary = report["summary"]
    assert summary["state_machines"] >= 7
    assert 30 <= summary["error_codes"] <= 70
    assert summary["contracts"] >= 5
    assert summary["mappings"] >= 8


def test_contract_resource_must_be_a_served_crd_version(
    tmp_path: Path, crds_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = ROOT / "specs" / "schema" / "contract.schema.json"
    spec = tmp_path / "old.yaml"
    spec.write_text(
        f"# yaml-language-server: $schema={schema}\n"
        "kind: Contract\nid: kubernetes.old\nboundary: kubernetes\n"
        "provider: {name: hedgehog-fabric, versions: v1alpha2, source: {document: crds, version: v0.51.0}}\n"
        "resources:\n"
        "  - {kind: Switch, group: wiring.githedgehog.com, version: v1alpha2, plural: switches,\n"
        "     scope: Namespaced, schema: {type: object}}\n"
        "operations:\n"
        "  - {id: k8s.switches.get, summary: Get, kubernetes: {verb: get, resource: switches.wiring.githedgehog.com}}\n"
    )
    code, report = _validate_json(str(spec), "--crds", str(crds_dir), capsys=capsys)
    assert code == 1
    (error,) = [e for e in report["errors"] if e["code"] == "crd-version-not-served"]
    assert error["line"] == 7
    assert "served: ['v1beta1']" in error["message"]
