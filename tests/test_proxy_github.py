"""The contract proxy in front of the GitHub twin, driven by httpx as the integration drives GitHub."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.proxy.server import ContractProxy
from harness.spec.loader import load_specs
from harness.spec.models import SpecSet
from harness.targets.base import Endpoint
from harness.targets.github import GitHubTwin

ROOT = Path(__file__).resolve().parents[1]
STRICT = ROOT / "tests" / "data" / "cassettes" / "contracts"
SCHEMA = ROOT / "specs" / "schema"


def _load(*paths: Path) -> SpecSet:
    loaded = load_specs(list(paths), SCHEMA, ROOT)
    assert not loaded.diagnostics
    return loaded.specs


@pytest.fixture(scope="module")
def specs() -> SpecSet:
    return _load(ROOT / "contracts", ROOT / "specs" / "errors")


@pytest.fixture(scope="module")
def twin() -> Iterator[tuple[GitHubTwin, Endpoint]]:
    target = GitHubTwin(owner="hedgehog")
    endpoint = target.start()
    yield target, endpoint
    target.stop()


@pytest.fixture
def proxy(twin: tuple[GitHubTwin, Endpoint], specs: SpecSet) -> Iterator[ContractProxy]:
    twin[0].reset()
    with ContractProxy(twin[1].url, specs, "github") as running:
        yield running


@pytest.fixture
def gh(proxy: ContractProxy, twin: tuple[GitHubTwin, Endpoint]) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {twin[1].secret}", "Accept": "application/vnd.github+json",
               "X-GitHub-Api-Version": "2022-11-28"}  # fmt: skip
    with httpx.Client(base_url=proxy.url, headers=headers, timeout=10) as client:
        yield client


def ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def commit_on(gh: httpx.Client, repo: str, parent: str, path: str, text: str) -> str:
    """blob -> tree on the parent's tree -> commit with that parent; return the commit sha."""
    blob = ok(gh.post(f"{repo}/git/blobs", json={"content": base64.b64encode(text.encode()).decode(),
                                                 "encoding": "base64"}))  # fmt: skip
    base_tree = ok(gh.get(f"{repo}/git/commits/{parent}"))["tree"]["sha"]
    tree = ok(gh.post(f"{repo}/git/trees", json={"base_tree": base_tree, "tree": [
        {"path": path, "mode": "100644", "type": "blob", "sha": blob["sha"]}]}))  # fmt: skip
    commit = ok(gh.post(f"{repo}/git/commits", json={"message": f"write {path}", "tree": tree["sha"],
                                                     "parents": [parent]}))  # fmt: skip
    return str(commit["sha"])


def test_a_git_data_sync_is_recorded_as_contract_operations(proxy: ContractProxy, gh: httpx.Client) -> None:
    ok(gh.post("/user/repos", json={"name": "fabric", "auto_init": True}))
    repo = "/repos/hedgehog/fabric"
    ok(gh.get(repo))
    head = ok(gh.get(f"{repo}/git/ref/heads/main"))["object"]["sha"]
    new = commit_on(gh, repo, head, "managed/switch-leaf-01.yaml", "kind: Switch\n")
    ok(gh.patch(f"{repo}/git/refs/heads/main", json={"sha": new, "force": False}))

    assert [ex.operation_id for ex in proxy.exchanges] == [
        "github.repos.create_for_user", "github.repos.get", "github.git.get_ref", "github.git.create_blob",
        "github.git.get_commit", "github.git.create_tree", "github.git.create_commit", "github.git.update_ref",
    ]  # fmt: skip
    assert proxy.findings == []
    assert proxy.exchanges[-1].path_params == {"owner": "hedgehog", "repo": "fabric", "ref": "heads/main"}


def test_an_operation_outside_the_contracts_is_reported(proxy: ContractProxy, gh: httpx.Client) -> None:
    gh.get("/repos/hedgehog/fabric/issues")
    [finding] = proxy.findings
    assert finding.kind == "unknown-operation" and "GET /repos/hedgehog/fabric/issues" in finding.message


def test_a_request_outside_the_contract_is_reported(proxy: ContractProxy, gh: httpx.Client) -> None:
    ok(gh.post("/user/repos", json={"name": "fabric", "auto_init": True}))
    head = ok(gh.get("/repos/hedgehog/fabric/git/ref/heads/main"))["object"]["sha"]
    gh.patch("/repos/hedgehog/fabric/git/refs/heads/main", json={"sha": head, "force": True})
    [finding] = proxy.findings
    assert (finding.operation_id, finding.part, finding.pointer) == ("github.git.update_ref", "request.body", "/force")


def test_a_response_that_violates_a_stricter_contract_is_reported(twin: tuple[GitHubTwin, Endpoint]) -> None:
    twin[0].reset()
    strict = _load(STRICT, ROOT / "specs" / "errors")
    with ContractProxy(twin[1].url, strict, "github") as proxy:
        headers = {"Authorization": f"Bearer {twin[1].secret}"}
        httpx.post(f"{proxy.url}/user/repos", json={"name": "fabric", "auto_init": True}, headers=headers)
        assert httpx.get(f"{proxy.url}/repos/hedgehog/fabric", headers=headers).status_code == 200
    findings = {(f.operation_id, f.part, f.pointer) for f in proxy.findings}
    assert findings == {
        ("github.repos.get", "response.body", ""),
        ("github.repos.get", "response.body", "/default_branch"),
    }
    assert any("'hh_never_sent' is a required property" in f.message for f in proxy.findings)


def test_a_status_neither_declared_nor_in_the_catalog_is_reported(proxy: ContractProxy, gh: httpx.Client) -> None:
    proxy.inject({"kind": "http_status", "operation": "github.repos.get", "status": 418}, code="TEST-418")
    assert gh.get("/repos/hedgehog/fabric").status_code == 418
    [finding] = proxy.findings
    assert (finding.kind, finding.part) == ("status", "response.status") and "418" in finding.message


def test_catalog_status_faults_are_recognised_not_reported(
    proxy: ContractProxy, gh: httpx.Client, specs: SpecSet
) -> None:
    entry = specs.errors()["HH-GIT-001"]  # primary rate limit: 403 with x-ratelimit-remaining 0, once
    proxy.inject(entry.inject, code=entry.code)
    ok(gh.post("/user/repos", json={"name": "fabric", "auto_init": True}))
    blob = {"content": "a", "encoding": "utf-8"}
    first = gh.post("/repos/hedgehog/fabric/git/blobs", json=blob)
    assert first.status_code == 403 and first.headers["x-ratelimit-remaining"] == "0"
    assert "API rate limit exceeded" in first.json()["message"]
    assert gh.post("/repos/hedgehog/fabric/git/blobs", json=blob).status_code == 201
    assert proxy.exchanges[1].error_codes == ["HH-GIT-001"] and proxy.findings == []
    assert proxy.injections[0].fired == 1


def test_git_concurrent_update_makes_the_ref_update_a_real_non_fast_forward(
    proxy: ContractProxy, gh: httpx.Client, specs: SpecSet
) -> None:
    entry = specs.errors()["HH-GIT-007"]  # git_concurrent_update on github.git.update_ref, once
    injection = proxy.inject(entry.inject, code=entry.code)
    ok(gh.post("/user/repos", json={"name": "fabric", "auto_init": True}))
    repo = "/repos/hedgehog/fabric"
    head = ok(gh.get(f"{repo}/git/ref/heads/main"))["object"]["sha"]
    ours = commit_on(gh, repo, head, "managed/a.yaml", "a: 1\n")

    refused = gh.patch(f"{repo}/git/refs/heads/main", json={"sha": ours, "force": False})
    assert refused.status_code == 422 and refused.json()["message"] == "Update is not a fast forward"
    assert injection.fired == 1 and injection.failures == []

    # The other writer's commit is real: the branch moved onto it, on top of the head we read.
    theirs = ok(gh.get(f"{repo}/git/ref/heads/main"))["object"]["sha"]
    assert theirs != head and ok(gh.get(f"{repo}/git/commits/{theirs}"))["parents"][0]["sha"] == head
    # Redoing the sync on top of it is a fast-forward again, and no more faults fire.
    redone = commit_on(gh, repo, theirs, "managed/a.yaml", "a: 1\n")
    ok(gh.patch(f"{repo}/git/refs/heads/main", json={"sha": redone, "force": False}))
    assert injection.fired == 1
    faulted = [ex for ex in proxy.exchanges if ex.fault == "HH-GIT-007"]
    assert [ex.status for ex in faulted] == [422] and "HH-GIT-006" in faulted[0].error_codes
    assert proxy.findings == []
