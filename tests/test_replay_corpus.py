"""The committed recorded corpus (tests/cassettes/) replays offline, without NetBox.

Every cassette is loaded strictly (each exchange matched to its contract operation and valid
against it), holds no credential, is replayed through VCR.py with the providers gone, and the
drift comparison (harness.replay.drift) of the corpus against itself is empty while a changed
answer is reported for its operation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
import vcr
import yaml

from harness.proxy.match import KUBE_DISCOVERY
from harness.replay.cassette import Cassette, load_cassette
from harness.replay.redact import REDACTED
from harness.replay.scenarios import BOUNDARIES, SCENARIOS, cassette_paths, compare_corpora
from harness.report.elements import operation_id, spec_file
from harness.report.events import Recorder
from harness.spec.loader import load_specs
from harness.spec.models import SpecSet
from harness.spec.project import default_spec_paths, schema_dir

pytestmark = pytest.mark.replay
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "cassettes"
SPECS: SpecSet = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs
PATHS = cassette_paths(CORPUS)
IDS = [f"tests/cassettes/{s}/{b}.yaml" for s, b in PATHS]
# Credentials that must never reach a committed cassette, whatever their value.
TOKEN_PATTERNS = (
    re.compile(r"nbt_[A-Za-z0-9]"),
    re.compile(r"\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{20,}"),
    re.compile(r"github_pat_"),
    re.compile(r"(?i)\b(?:Bearer|Token|Basic)\s+(?!<REDACTED>)[A-Za-z0-9_.=+/-]{8,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"(?i)(?:client-key-data|client-certificate-data)\s*:\s*(?!<REDACTED>)\S"),
    re.compile(r"sha256=[0-9a-f]{64}"),  # a webhook signature
)


def _element(op_id: str) -> str:
    op = SPECS.operations()[op_id]
    return operation_id(spec_file(op.loc, ROOT), op_id)


def test_the_corpus_has_a_cassette_per_boundary_per_scenario_and_stays_small() -> None:
    assert set(PATHS) == {(s.name, b) for s in SCENARIOS for b in BOUNDARIES}
    size = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    assert size < 2_000_000, f"the committed corpus is {size} bytes; keep it under 2 MB"


@pytest.mark.parametrize("key", list(PATHS), ids=IDS)
def test_every_recorded_exchange_satisfies_its_contract(key: tuple[str, str], recorder: Recorder) -> None:
    cassette = load_cassette(PATHS[key], SPECS, key[1])
    assert cassette.exchanges, f"{PATHS[key]} recorded nothing"
    for ex in cassette.exchanges:
        if ex.operation_id is not None:
            verdict = "fail" if ex.findings else "pass"
            recorder.record(
                _element(ex.operation_id), "operation", verdict, f"replayed from {IDS[list(PATHS).index(key)]}"
            )
    assert not cassette.findings, "\n".join(str(f) for f in cassette.findings)
    # Kubernetes discovery (/version, /apis/<group>...) is client plumbing, not a contract operation
    unmatched = [f"{ex.method} {ex.path}" for ex in cassette.exchanges if not ex.operation_id
                 and not any(re.search(pattern, ex.path) for pattern in KUBE_DISCOVERY)]  # fmt: skip
    assert not unmatched, f"exchanges that matched no contract operation: {unmatched[:5]}"


@pytest.mark.parametrize("key", list(PATHS), ids=IDS)
def test_no_credential_is_in_a_committed_cassette(key: tuple[str, str]) -> None:
    text = PATHS[key].read_text(encoding="utf-8")
    for pattern in TOKEN_PATTERNS:
        found = pattern.search(text)
        assert found is None, f"{PATHS[key]}: credential-like text {found.group(0)[:12]}... ({pattern.pattern})"
    authorizations = {
        v for i in yaml.safe_load(text)["interactions"] for k, vs in i["request"]["headers"].items()
        if k.lower() == "authorization" for v in vs
    }  # fmt: skip
    assert authorizations <= {f"Bearer {REDACTED}", f"Token {REDACTED}", REDACTED}


@pytest.mark.parametrize("key", list(PATHS), ids=IDS)
def test_vcrpy_replays_the_scenario_offline(key: tuple[str, str]) -> None:
    """Every recorded request, sent again in order, is answered from the cassette alone."""
    path = PATHS[key]
    cassette: Cassette = load_cassette(path, SPECS, key[1])
    with (
        vcr.use_cassette(str(path), record_mode="none", match_on=["method", "scheme", "host", "port", "path", "query"]),
        httpx.Client(timeout=5) as http,
    ):
        for ex in cassette.exchanges:
            response = http.request(ex.method, ex.uri, content=ex.request_body or None)
            assert response.status_code == ex.status, f"{ex.method} {ex.uri}"
            assert response.content == ex.response_body, f"{ex.method} {ex.uri}: the replayed body differs"


def test_the_corpus_shows_no_drift_against_itself() -> None:
    reports = compare_corpora(CORPUS, CORPUS, SPECS)
    assert set(reports) == set(PATHS)
    assert [k for k, r in reports.items() if r.drifted] == []


def test_a_changed_answer_is_reported_as_drift_of_its_operation(tmp_path: Path) -> None:
    # A "newer provider": the sync scenario's NetBox recording with every site's slug an integer.
    newer = tmp_path / "newer"
    for (scenario, boundary), path in PATHS.items():
        target = newer / scenario / f"{boundary}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if (scenario, boundary) == ("sync", "netbox"):
            for item in data["interactions"]:
                if item["x-hh"]["operation"] == "netbox.dcim.sites.list":
                    body = json.loads(item["response"]["body"]["string"])
                    for site in body["results"]:
                        site["slug"] = 1
                    item["response"]["body"]["string"] = json.dumps(body)
        target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    reports = compare_corpora(CORPUS, newer, SPECS)
    drifted = {k: r for k, r in reports.items() if r.drifted}
    assert list(drifted) == [("sync", "netbox")]
    ops = [d.operation_id for d in drifted[("sync", "netbox")].drifted]
    assert ops == ["netbox.dcim.sites.list"]
    assert drifted[("sync", "netbox")].operations["netbox.dcim.sites.list"].changed == [
        "200 /results/*/slug: string -> integer"
    ]
