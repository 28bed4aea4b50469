"""Pull requests as GitHub shows them, with mergeability computed from the git data."""

from __future__ import annotations

from typing import Any

from dulwich.objects import Commit
from dulwich.repo import Repo

from harness.targets.github import shapes
from harness.targets.github.store import PullRecord, RepoRecord, Store, ref_sha
from harness.targets.github.trees import commits_between, flatten, load, merge


def refresh(rec: RepoRecord, pr: PullRecord) -> None:
    """An open PR follows its branches (GitHub updates head.sha and base.sha as branches move)."""
    if pr.state != "open":
        return
    pr.head_sha = ref_sha(rec, f"refs/heads/{pr.head}") or pr.head_sha
    pr.base_sha = ref_sha(rec, f"refs/heads/{pr.base}") or pr.base_sha


def mergeable(rec: RepoRecord, pr: PullRecord) -> bool | None:
    """True/False for an open PR (a real three-way merge), None once closed (as GitHub reports)."""
    if pr.state != "open":
        return None
    return merge(rec.git(), pr.base_sha, pr.head_sha) is not None


def _branch(base: str, store: Store, rec: RepoRecord, name: str, sha: str) -> dict[str, Any]:
    return {
        "label": f"{rec.owner}:{name}",
        "ref": name,
        "sha": sha,
        "user": shapes.user(base, rec.owner, rec.owner_type),
        "repo": shapes.repository(base, rec),
    }


def pull(
    base: str, store: Store, rec: RepoRecord, pr: PullRecord, full: bool = True, *, asked: bool = False
) -> dict[str, Any]:
    """pull-request (``full``) or pull-request-simple (list items). ``asked``: the answer to a GET of
    this pull request, which with deferred mergeability is the one that starts its computation."""
    refresh(rec, pr)
    api = f"{base}/repos/{rec.full_name}"
    html = f"{base}/{rec.full_name}/pull/{pr.number}"
    url = f"{api}/pulls/{pr.number}"
    shape: dict[str, Any] = {
        "url": url,
        "id": pr.id,
        "node_id": shapes.node_id("PullRequest", pr.id),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": f"{api}/issues/{pr.number}",
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": f"{api}/pulls/comments{{/number}}",
        "comments_url": f"{api}/issues/{pr.number}/comments",
        "statuses_url": f"{api}/statuses/{pr.head_sha}",
        "number": pr.number,
        "state": pr.state,
        "locked": False,
        "title": pr.title,
        "user": shapes.user(base, store.login),
        "body": pr.body,
        "labels": [],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": pr.created_at,
        "updated_at": pr.updated_at,
        "closed_at": pr.closed_at,
        "merged_at": pr.merged_at,
        "merge_commit_sha": pr.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": _branch(base, store, rec, pr.head, pr.head_sha),
        "base": _branch(base, store, rec, pr.base, pr.base_sha),
        "_links": {
            "self": {"href": url},
            "html": {"href": html},
            "issue": {"href": f"{api}/issues/{pr.number}"},
            "comments": {"href": f"{api}/issues/{pr.number}/comments"},
            "review_comments": {"href": f"{url}/comments"},
            "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
            "commits": {"href": f"{url}/commits"},
            "statuses": {"href": f"{api}/statuses/{pr.head_sha}"},
        },
        "author_association": "OWNER",
        "auto_merge": None,
        "draft": False,
    }
    if full:
        shape.update(_full_fields(base, store, rec, pr, asked=asked))
    return shape


def _full_fields(base: str, store: Store, rec: RepoRecord, pr: PullRecord, *, asked: bool) -> dict[str, Any]:
    can_merge = mergeable(rec, pr)
    if store.deferred_mergeability and pr.state == "open" and pr.computed_for != (pr.head_sha, pr.base_sha):
        can_merge = None  # not computed for these heads yet: this GET starts the background job
        if asked:
            pr.computed_for = (pr.head_sha, pr.base_sha)
    git = rec.git()
    commits = commits_between(git, pr.base_sha, pr.head_sha) if pr.state == "open" else []
    state = "unknown" if can_merge is None else ("clean" if can_merge else "dirty")
    return {
        "merged": pr.merged,
        "mergeable": can_merge,
        "rebaseable": can_merge,
        "mergeable_state": state,
        "merged_by": shapes.user(base, store.login) if pr.merged else None,
        "comments": 0,
        "review_comments": 0,
        "maintainer_can_modify": False,
        "commits": len(commits),
        "additions": 0,
        "deletions": 0,
        "changed_files": _changed_files(git, commits),
    }


def _changed_files(git: Repo, commits: list[Commit]) -> int:
    """Paths touched by the PR's commits (a count GitHub reports on full PRs)."""
    if not commits:
        return 0
    first_parent = commits[0].parents[0] if commits[0].parents else None
    before = flatten(git, load(git, first_parent, Commit).tree) if first_parent else {}
    after = flatten(git, commits[-1].tree)
    return sum(before.get(p) != after.get(p) for p in set(before) | set(after))
