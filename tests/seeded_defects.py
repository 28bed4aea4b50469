"""The HNP defect classes (../shared/domain/HNP-FACTS.md), each as a source patch to a copy of
the reference integration. tests/test_seeded_defects.py runs the generated suites against each
patched copy (they must fail) and against an unpatched copy (they must pass)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Defect:
    name: str
    hnp_fact: str
    file: str  # inside hh_reference/
    old: str
    new: str
    suite: tuple[str, ...]  # pytest arguments selecting the generated tests that must catch it
    live: bool = False  # the suite needs the managed NetBox (it runs in the live tier)


def materialise(defect: Defect | None, where: Path) -> Path:
    """A copy of the reference at ``where`` (the repository layout: specs beside it), with
    ``defect`` applied; returns the directory to put on PYTHONPATH."""
    package = where / "reference" / "hh_reference"
    shutil.copytree(ROOT / "reference" / "hh_reference", package, ignore=shutil.ignore_patterns("__pycache__"))
    for spec_dir in ("specs", "state_machines", "contracts"):
        (where / spec_dir).symlink_to(ROOT / spec_dir)
    if defect is not None:
        target = package / defect.file
        text = target.read_text(encoding="utf-8")
        if text.count(defect.old) != 1:
            raise AssertionError(f"{defect.name}: the code to patch is not found once in {defect.file}")
        target.write_text(text.replace(defect.old, defect.new), encoding="utf-8")
    return where / "reference"


def run_suite(pythonpath: Path, suite: tuple[str, ...], timeout_s: float = 600) -> subprocess.CompletedProcess[str]:
    """Run generated tests against the reference copy on ``pythonpath`` (it shadows the installed one)."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("HARNESS_EVENTS_DIR", None)  # runs against a deliberately broken copy must not enter the report
    return subprocess.run(
        [sys.executable, "-m", "pytest", *suite, "-q", "-x", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


DEFECTS = [
    Defect(
        name="forbidden-transition-allowed",
        hnp_fact="The code allows transitions the state-machine spec forbids (committed -> synced, pending -> drifted, "
        "orphaned -> pending).",
        file="machines.py",
        old="        candidates = self.destinations(machine_id, state, trigger)\n",
        new="        if (state, dest) in {('committed', 'synced'), ('pending', 'drifted'), ('orphaned', 'pending')}:\n"
        "            return dest\n"
        "        candidates = self.destinations(machine_id, state, trigger)\n",
        suite=("state_machines/resource_lifecycle.yaml",),
    ),
    Defect(
        name="wrong-plural",
        hnp_fact='Pluralisation by kind.lower() + "s" (Switch -> "switchs").',
        file="naming.py",
        old='KindInfo("Switch", WIRING, "switches"),',
        new='KindInfo("Switch", WIRING, "switchs"),',
        suite=("contracts/mappings", "-k", "rendered-objects"),
    ),
    Defect(
        name="wrong-api-version",
        hnp_fact="Three apiVersion families for the same kinds (v1alpha2 written to Git).",
        file="naming.py",
        old='        return f"{self.group}/{SERVED_VERSION}"',
        new='        return f"{self.group}/v1alpha2"',
        suite=("contracts/mappings", "-k", "rendered-objects"),
    ),
    Defect(
        name="enum-drifted-from-contract",
        hnp_fact="Contract enums, database choices and state-machine docs disagree in membership and case.",
        file="render.py",
        old='spec["redundancy"] = {"group": group, "type": kind}',
        new='spec["redundancy"] = {"group": group, "type": kind.upper()}',
        suite=("contracts/mappings", "-k", "rendered-objects"),
    ),
    Defect(
        name="unchecked-webhook-signature",
        hnp_fact="The push-webhook handler checks X-Hub-Signature-256 but was never routed (signatures unchecked).",
        file="webhooks.py",
        old="        if not hmac.compare_digest(expected.encode(), signature.encode()):",
        new="        if False and not hmac.compare_digest(expected.encode(), signature.encode()):",
        suite=("specs/errors/webhook.yaml",),
    ),
    Defect(
        name="swallowed-github-conflict",
        hnp_fact="GitHub's refusal of a conflicting write (a ref update that is not a fast-forward) is swallowed: "
        "the sync reports success although its commit never reached the branch.",
        file="gitops.py",
        old="    def _update_ref(self, branch: str, sha: str, *, force: bool = False) -> None:\n",
        new="    def _update_ref(self, branch: str, sha: str, *, force: bool = False) -> None:\n"
        "        try:\n"
        "            self._update_ref_unchecked(branch, sha, force=force)\n"
        "        except IntegrationError:\n"
        "            return  # swallowed: the sync goes on as if the branch had moved\n"
        "\n"
        "    def _update_ref_unchecked(self, branch: str, sha: str, *, force: bool = False) -> None:\n",
        suite=("specs/errors/github.yaml", "-m", "live", "-k", "HH-GIT-006"),
        live=True,
    ),
]
