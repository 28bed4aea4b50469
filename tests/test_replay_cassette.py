"""Cassettes: recorded through the proxy, written redacted, read by VCR.py, checked on load, diffed."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import vcr
import yaml

from harness.proxy.exchange import Exchange
from harness.proxy.server import ContractProxy
from harness.replay.cassette import CassetteDriftError, CassetteError, load_cassette, write_cassette
from harness.replay.drift import drift
from harness.replay.redact import REDACTED
from harness.spec.loader import load_specs
from harness.spec.models import SpecSet
from harness.targets.github import GitHubTwin

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "cassettes"
TOKEN = "ghp_" + "a1B2c3D4" * 5


@pytest.fixture(scope="module")
def specs() -> SpecSet:
    loaded = load_specs([ROOT / "contracts", ROOT / "specs" / "errors"], ROOT / "specs" / "schema", ROOT)
    assert not loaded.diagnostics
    return loaded.specs


@pytest.fixture(scope="module")
def recorded(specs: SpecSet, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Exchange]]:
    """A short session against the twin, recorded through the proxy; the twin is gone afterwards."""
    twin = GitHubTwin(owner="hedgehog", token=TOKEN)
    endpoint = twin.start()
    try:
        with ContractProxy(endpoint.url, specs, "github") as proxy:
            headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/vnd.github+json"}
            with httpx.Client(base_url=proxy.url, headers=headers, timeout=10) as gh:
                gh.post("/user/repos", json={"name": "fabric", "auto_init": True}).raise_for_status()
                gh.get("/repos/hedgehog/fabric").raise_for_status()
                gh.get("/repos/hedgehog/fabric/git/ref/heads/main").raise_for_status()
                assert gh.get("/repos/hedgehog/absent").status_code == 404
            path = proxy.write_cassette(tmp_path_factory.mktemp("cassettes") / "github.yaml", secrets=[TOKEN])
            return path, list(proxy.exchanges)
    finally:
        twin.stop()


def test_a_recorded_cassette_loads_back_matched_and_valid(
    recorded: tuple[Path, list[Exchange]], specs: SpecSet
) -> None:
    path, exchanges = recorded
    loaded = load_cassette(path, specs, "github", strict=True)
    assert [ex.operation_id for ex in loaded.exchanges] == [
        "github.repos.create_for_user", "github.repos.get", "github.git.get_ref", "github.repos.get",
    ]  # fmt: skip
    assert [ex.status for ex in loaded.exchanges] == [201, 200, 200, 404]
    assert [ex.response_body for ex in loaded.exchanges] == [ex.response_body for ex in exchanges]


def test_the_written_cassette_holds_no_token(recorded: tuple[Path, list[Exchange]]) -> None:
    text = recorded[0].read_text()
    assert TOKEN not in text
    interactions = yaml.safe_load(text)["interactions"]
    assert {i["request"]["headers"]["Authorization"][0] for i in interactions} == {f"Bearer {REDACTED}"}


def test_vcrpy_replays_our_cassette_offline(recorded: tuple[Path, list[Exchange]]) -> None:
    path, exchanges = recorded
    get_ref = exchanges[2]
    # The twin is stopped: an answer can only come from the cassette.
    with vcr.use_cassette(str(path), record_mode="none"):
        response = httpx.get(get_ref.uri, headers={"Accept": "application/vnd.github+json"})
    assert response.status_code == 200
    assert response.json() == json.loads(get_ref.response_body)


def test_redaction_removes_every_kind_of_secret(tmp_path: Path) -> None:
    kubeconfig = (
        "users:\n- name: admin\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1J\n"
        "    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlF\n"
        "    token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ\n"
    )
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----"
    secrets = {  # fake values shaped like real credentials, to prove the redaction catches each shape
        "netbox": "nbt_Kq8w2Rz0.ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12",
        "pat": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "oauth": "gho_" + "Z9y8X7w6" * 5,
        "webhook": "webhook-secret-xyzzy",
    }
    exchange = Exchange(
        method="POST",
        path="/api/extras/journal-entries/",
        query=f"token={secrets['webhook']}",
        request_headers=[
            ("Authorization", f"Token {secrets['netbox']}"),
            ("Cookie", "sessionid=abc123def"),
            ("X-Hub-Signature-256", "sha256=" + "f" * 64),
        ],
        request_body=json.dumps(
            {"comments": f"{secrets['pat']} and {secrets['oauth']} / {secrets['webhook']}"}
        ).encode(),
        upstream_url="http://127.0.0.1:8001",
        status=201,
        response_headers=[("Set-Cookie", "csrftoken=zzz999; Path=/")],
        response_body=json.dumps({"kubeconfig": kubeconfig, "key": pem, "password": "hunter22"}).encode(),
    )
    path = write_cassette(tmp_path / "c.yaml", [exchange], secrets=[secrets["webhook"]])
    text = path.read_text()
    leaked = [s for s in [*secrets.values(), "abc123def", "f" * 64, "zzz999", "LS0tLS1CRUdJTi", "eyJhbGci",
                          "MIIEowIBAAKCAQEA7", "hunter22"] if s in text]  # fmt: skip
    assert leaked == []
    [interaction] = yaml.safe_load(text)["interactions"]
    assert interaction["request"]["headers"]["Authorization"] == [f"Token {REDACTED}"]
    assert interaction["request"]["uri"].endswith(f"?token={REDACTED}")
    assert json.loads(interaction["response"]["body"]["string"])["password"] == REDACTED


def test_a_cassette_that_drifted_from_the_contract_fails_to_load(specs: SpecSet) -> None:
    with pytest.raises(CassetteDriftError) as info:
        load_cassette(DATA / "contract_drift.yaml", specs, "github", strict=True)
    message = str(info.value)
    assert "github.repos.get: response.body: 'default_branch' is a required property" in message
    assert "github.repos.get: response.body/id: '1' is not of type 'integer'" in message
    assert "GET /repos/hedgehog/fabric/issues: no github contract operation" in message


def test_drift_between_two_recordings_is_reported_per_operation(specs: SpecSet) -> None:
    old = load_cassette(DATA / "drift" / "old.yaml", specs, "github")
    new = load_cassette(DATA / "drift" / "new.yaml", specs, "github")
    report = drift(old, new)
    repos_get, get_ref = report.operations["github.repos.get"], report.operations["github.git.get_ref"]
    assert repos_get.added == ["200 /visibility: string"]
    assert repos_get.removed == ["200 /private: boolean"]
    assert repos_get.changed == ["200 /id: integer -> string"]
    assert (get_ref.statuses_old, get_ref.statuses_new) == ([200], [404])
    assert [d.operation_id for d in report.drifted] == ["github.git.get_ref", "github.repos.get"]
    assert drift(old, old).drifted == []


def test_a_file_that_is_no_cassette_is_a_clear_error(specs: SpecSet, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("interactions: {}\n")
    with pytest.raises(CassetteError, match=r"bad\.yaml: expected a VCR\.py cassette with 'version: 1'"):
        load_cassette(bad, specs, "github")
    bad.write_text("version: 1\ninteractions:\n- request: {method: GET}\n")
    with pytest.raises(CassetteError, match=r"bad\.yaml: /interactions/0: needs request\.method, request\.uri"):
        load_cassette(bad, specs, "github")
