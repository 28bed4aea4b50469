"""The reference's GitHub side against the GitHub twin: consuming imported files (HH-GIT-005's
re-read), the checks of a sync pull request, its merge pinned to the checked head, and the
rebase of a conflicted sync branch onto the target branch."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hh_reference.errors import IntegrationError
from hh_reference.gitops import GitOps, RepoRef, git_blob_sha
from hh_reference.http import ApiClient
from hh_reference.specs import load_catalog

from harness.targets.github.target import GitHubTwin

REPO = "gitops"


@pytest.fixture(scope="module")
def twin() -> Iterator[GitHubTwin]:
    target = GitHubTwin(owner="acme")
    target.start()
    yield target
    target.stop()


@pytest.fixture
def admin(twin: GitHubTwin) -> Iterator[httpx.Client]:
    twin.reset()
    endpoint = twin.start()
    headers = {"Authorization": f"Bearer {endpoint.secret}", "Accept": "application/vnd.github+json"}
    with httpx.Client(base_url=f"{endpoint.url}/repos/acme/{REPO}", headers=headers, timeout=30) as client:
        httpx.post(
            f"{endpoint.url}/user/repos", headers=headers, json={"name": REPO, "auto_init": True}
        ).raise_for_status()
        yield client


@pytest.fixture
def gitops(twin: GitHubTwin, admin: httpx.Client, project_root: Path) -> Iterator[GitOps]:
    endpoint = twin.start()
    api = ApiClient(boundary="github", base_url=endpoint.url, token=endpoint.secret, catalog=load_catalog(project_root),
                    sleep=lambda s: None)  # fmt: skip
    yield GitOps(api, RepoRef("acme", REPO, "main"))
    api.close()


def put(admin: httpx.Client, path: str, text: str, branch: str = "main") -> None:
    current = admin.get(f"/contents/{path}", params={"ref": branch})
    body = {"message": f"write {path}", "content": base64.b64encode(text.encode()).decode(), "branch": branch}
    if current.status_code == 200:
        body["sha"] = current.json()["sha"]
    admin.put(f"/contents/{path}", json=body).raise_for_status()


def test_remove_file_deletes_only_what_was_imported(gitops: GitOps, admin: httpx.Client) -> None:
    put(admin, "raw/a.yaml", "a: 1\n")
    put(admin, "raw/b.yaml", "b: 1\n")
    assert gitops.remove_file("raw/a.yaml", git_blob_sha(b"a: 1\n"), "imported a")
    put(admin, "raw/b.yaml", "b: 2\n")  # changed after it was read: kept, to be imported again
    assert not gitops.remove_file("raw/b.yaml", git_blob_sha(b"b: 1\n"), "imported b")
    assert admin.get("/contents/raw/a.yaml").status_code == 404
    assert admin.get("/contents/raw/b.yaml").status_code == 200


def test_check_states_reads_the_latest_state_of_each_required_context(gitops: GitOps, admin: httpx.Client) -> None:
    head = gitops.head()
    for state, context in (("failure", "ci/validate"), ("success", "ci/validate"), ("pending", "ci/lint"),
                           ("success", "hedgehog/sync")):  # fmt: skip
        admin.post(f"/statuses/{head}", json={"state": state, "context": context}).raise_for_status()
    assert gitops.check_states(head, ()) == {"ci/validate": "success", "ci/lint": "pending"}
    assert gitops.check_states(head, ("ci/validate", "ci/e2e")) == {"ci/validate": "success", "ci/e2e": "missing"}


def test_merge_is_pinned_to_the_checked_head_and_a_conflict_is_rebased(gitops: GitOps, admin: httpx.Client) -> None:
    files = {"fabrics/f/switches/leaf-01.yaml": b"spec: {role: server-leaf}\n"}
    gitops.commit_files("fabrics/f", files, "sync", branch="hh-sync/f", base_branch="main")
    pr = gitops.open_pull_request("hh-sync/f", "sync", "body")
    with pytest.raises(IntegrationError) as refused:  # the head moved since it was checked: 409
        gitops.merge_pull_request(int(pr["number"]), "0" * 40)
    assert refused.value.code == "HH-GIT-008"
    put(admin, "fabrics/f/switches/leaf-01.yaml", "spec: {role: spine}\n")  # a conflicting change on main
    assert gitops.get_pull_request(int(pr["number"]))["mergeable"] is False
    rebased = gitops.commit_files("fabrics/f", files, "sync", branch="hh-sync/f", base_branch="main", rebase=True)
    assert rebased.commit_sha is not None
    after = gitops.get_pull_request(int(pr["number"]))
    assert after["mergeable"] is True and after["head"]["sha"] == rebased.commit_sha
    merge_sha = gitops.merge_pull_request(int(pr["number"]), rebased.commit_sha)
    assert gitops.head() == merge_sha
    assert gitops.read_files(merge_sha, "fabrics/f") == files


def test_the_last_change_of_a_tree_skips_commits_that_did_not_touch_it(gitops: GitOps, admin: httpx.Client) -> None:
    made = gitops.commit_files("fabrics/f", {"fabrics/f/switches/leaf-01.yaml": b"spec: {}\n"}, "sync")
    assert made.commit_sha is not None
    put(admin, "notes/other.txt", "someone else's commit\n")
    put(admin, "fabrics/g/switches/leaf-01.yaml", "another fabric's\n")
    assert gitops.head() != made.commit_sha
    assert gitops.last_change("fabrics/f") == made.commit_sha


def test_a_pull_request_is_closed_without_merge(gitops: GitOps) -> None:
    gitops.commit_files("fabrics/f", {"fabrics/f/a.yaml": b"a: 1\n"}, "sync", branch="hh-sync/f", base_branch="main")
    pr = gitops.open_pull_request("hh-sync/f", "sync", "body")
    closed = gitops.close_pull_request(int(pr["number"]))
    assert (closed["state"], closed["merged"]) == ("closed", False)
    assert gitops.get_pull_request(int(pr["number"]))["state"] == "closed"
