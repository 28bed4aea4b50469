"""HNP's topology export (management command ``export_wiring_yaml``, run in the managed NetBox's
virtualenv like an operator would) validated against our Kubernetes contracts and the real CRDs:
served apiVersions, kinds the CRDs define, DNS-label names, schema (the API server's admission
under fieldValidation=Strict) and deterministic output.

The plan is HNP's own regression case ``ux_case_small_mclag`` (applied with HNP's case runner),
devices generated with ``populate_transceiver_bays`` and ``generate_devices``, as HNP documents.
"""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hh_hnp_harness.findings import Observed

from harness.kube.admission import FieldValidation, check_manifest_object
from harness.kube.crds import CrdRegistry
from harness.pytest_plugin import NOT_APPLICABLE
from harness.spec.models import SpecSet
from harness.targets.netbox.managed import ManagedNetBox

CASE = "ux_case_small_mclag"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# HNP's wheel does not ship its case files (a finding, test_regression_cases_ship_with_the_plugin), so the
# case is read from HNP's source archive into a temporary directory and applied with HNP's own runner
_APPLY_CASE = (
    "import os; from netbox_hedgehog.test_cases import runner; "
    "print(runner.apply_case_id(os.environ['HH_CASE'], root=os.environ['HH_CASES'], clean=True).pk)"
)


def _run(target: ManagedNetBox, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``netbox ARGS`` in the managed NetBox's virtualenv, as an operator runs HNP's commands."""
    return subprocess.run(
        [str(target.install.bin / "netbox"), *args],
        env=target.install.env(**env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _netbox(target: ManagedNetBox, *args: str, **env: str) -> str:
    done = _run(target, *args, **env)
    assert done.returncode == 0, f"netbox {' '.join(args)} exited {done.returncode}: {done.stderr[-1500:]}"
    return done.stdout


@dataclass(frozen=True)
class Generation:
    """HNP's regression case applied and its devices generated: the plan, or why generation failed."""

    plan: str
    error: str | None


@pytest.fixture(scope="module")
def generation(
    hnp_netbox_target: ManagedNetBox, hnp_plugin: Path, tmp_path_factory: pytest.TempPathFactory
) -> Generation:
    cases = tmp_path_factory.mktemp("cases")
    with tarfile.open(hnp_plugin) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith(f"netbox_hedgehog/test_cases/{CASE}.yaml"))
        extracted = archive.extractfile(member)
        assert extracted is not None
        (cases / f"{CASE}.yaml").write_bytes(extracted.read())
    applied = _netbox(hnp_netbox_target, "shell", "--no-startup", "--command", _APPLY_CASE, HH_CASE=CASE,
                      HH_CASES=str(cases))  # fmt: skip
    plan = applied.strip().splitlines()[-1]
    _netbox(hnp_netbox_target, "populate_transceiver_bays")  # what generate_devices asks for first
    done = _run(hnp_netbox_target, "generate_devices", plan)
    return Generation(plan, None if done.returncode == 0 else done.stderr.strip()[-300:])


@pytest.fixture(scope="module")
def exports(
    generation: Generation, hnp_netbox_target: ManagedNetBox, tmp_path_factory: pytest.TempPathFactory
) -> tuple[bytes, bytes]:
    """The wiring YAML of HNP's regression case, exported twice."""
    if generation.error is not None:
        pytest.skip(f"{NOT_APPLICABLE} no export to check: HNP's device generation fails (finding HNP-GEN-FAILS)")
    out = tmp_path_factory.mktemp("export")
    first, second = out / "first.yaml", out / "second.yaml"
    _netbox(hnp_netbox_target, "export_wiring_yaml", generation.plan, "--output", str(first))
    _netbox(hnp_netbox_target, "export_wiring_yaml", generation.plan, "--output", str(second))
    return first.read_bytes(), second.read_bytes()


def test_devices_generate_for_a_regression_case(generation: Generation, findings: Observed) -> None:
    """HNP's own documented path from a plan to an exportable inventory works on this NetBox."""
    if generation.error is not None:
        findings.add("HNP-GEN-FAILS", f"generate_devices <plan of {CASE}>: {generation.error}")
    findings.verify()


def _documents(text: bytes) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def test_export_is_deterministic(exports: tuple[bytes, bytes], findings: Observed) -> None:
    first, second = exports
    if first != second:
        a, b = first.decode().splitlines(), second.decode().splitlines()
        line = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        findings.add("HNP-EXPORT-NONDETERMINISTIC", f"two exports of one plan differ first at line {line + 1}")
    findings.verify()


def test_export_objects_are_served_and_admitted(
    exports: tuple[bytes, bytes], crds_dir: Path, harness_specs: SpecSet, findings: Observed
) -> None:
    registry = CrdRegistry()
    registry.load_paths([crds_dir])
    docs = _documents(exports[0])
    assert docs, "the export holds no objects"
    contract = {(f"{r.group}/{r.version}", r.kind): r for r in harness_specs.resources().values()}
    unserved, rejected, names, outside = [], [], [], []
    for doc in docs:
        api, kind, name = doc.get("apiVersion"), doc.get("kind"), (doc.get("metadata") or {}).get("name", "")
        rtype = registry.find_kind(str(api), str(kind))
        if rtype is None:
            unserved.append(f"{api} {kind}")
            continue
        report = check_manifest_object(registry, doc, f"{kind}/{name}", FieldValidation.STRICT)
        if not report.ok:
            rejected.append(f"{kind}/{name}: {'; '.join(report.errors)[:200]}")
        if not DNS_LABEL.match(str(name)) or len(str(name)) > 63:
            names.append(f"{kind}/{name}")
        resource = contract.get((str(api), str(kind)))
        if resource is not None:
            errors = [e.message for e in jsonschema.Draft202012Validator(resource.schema).iter_errors(doc)]
            if errors:
                outside.append(f"{kind}/{name}: {errors[0][:160]}")
    if unserved:
        findings.add("HNP-EXPORT-UNSERVED", f"{len(unserved)} objects: {sorted(set(unserved))}")
    if rejected:
        findings.add("HNP-EXPORT-CRD", f"{len(rejected)} rejected, first: {rejected[0]}")
    if names:
        findings.add("HNP-EXPORT-NAMES", f"{len(names)} not DNS labels, first: {names[:3]}")
    if outside:
        findings.add("HNP-EXPORT-CONTRACT", f"{len(outside)} outside our contracts, first: {outside[:2]}")
    findings.verify()


def test_export_counts(exports: tuple[bytes, bytes]) -> None:
    """What the export holds, per kind (printed for the report; HNP's case has switches, servers, connections)."""
    kinds: dict[str, int] = {}
    for doc in _documents(exports[0]):
        kinds[str(doc.get("kind"))] = kinds.get(str(doc.get("kind")), 0) + 1
    print(json.dumps(kinds, sort_keys=True))
    assert {"Switch", "Connection"} <= set(kinds), kinds


def test_regression_cases_ship_with_the_plugin(hnp_netbox_target: ManagedNetBox, findings: Observed) -> None:
    """HNP's own command ``apply_diet_test_case --case`` must find the cases in an installed HNP."""
    listed = _netbox(hnp_netbox_target, "apply_diet_test_case", "--list")
    if CASE not in listed:
        findings.add("HNP-PKG-CASES", f"apply_diet_test_case --list in the installed plugin: {listed.strip()[:120]!r}")
    findings.verify()
