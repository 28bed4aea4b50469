"""Commit a fabric's rendered manifests to its GitOps repository through GitHub's git
data API: blobs, one tree, one commit, one ref update. Never force: a moved branch is
handled by recomputing the change on top of the new head (a rebase of our change).

Idempotent by construction: the change is computed as the difference between the
desired files and the branch head, so a sync re-run after a crash that happened after
the ref moved finds nothing to do and creates no second commit.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hh_reference.errors import IntegrationError, condition_error, raise_condition
from hh_reference.http import ApiClient

STATUS_CONTEXT = "hedgehog/sync"  # the status context of the integration itself (contracts/github/statuses.yaml)

SYNC_TRAILER = "Hedgehog-Sync-Digest"


def git_blob_sha(content: bytes) -> str:
    """The SHA-1 git gives ``content`` as a blob (lets us diff without fetching blobs)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def tree_digest(files: Mapping[str, bytes]) -> str:
    """A stable digest of a rendered file set (the sync's idempotency key)."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode() + b"\0" + git_blob_sha(files[path]).encode() + b"\n")
    return h.hexdigest()


@dataclass(frozen=True)
class RepoRef:
    owner: str
    repo: str
    branch: str

    @property
    def base(self) -> str:
        return f"/repos/{quote(self.owner)}/{quote(self.repo)}"


@dataclass(frozen=True)
class CommitResult:
    commit_sha: str | None  # None: nothing to change
    branch: str
    base_sha: str
    changed: tuple[str, ...]
    deleted: tuple[str, ...]


StepHook = Callable[[str, dict[str, Any]], None]


def _no_hook(step: str, data: dict[str, Any]) -> None:
    return None


class GitOps:
    """The GitHub side of a sync."""

    def __init__(self, api: ApiClient, ref: RepoRef, *, step_hook: StepHook = _no_hook) -> None:
        self.api = api
        self.ref = ref
        self.step_hook = step_hook

    # reads -------------------------------------------------------------------------
    def head(self, branch: str | None = None) -> str:
        branch = branch or self.ref.branch
        ref = self.api.json("github.git.get_ref", "GET", f"{self.ref.base}/git/ref/heads/{quote(branch)}")
        sha: str = ref["object"]["sha"]
        return sha

    def branch_exists(self, branch: str) -> bool:
        try:
            self.head(branch)
        except IntegrationError as exc:
            if exc.details.get("status") == 404:
                return False
            raise
        return True

    def files_at(self, commit_sha: str, prefix: str) -> dict[str, str]:
        """path -> blob sha of every file under ``prefix`` at ``commit_sha``."""
        return self._tree_files(str(self._commit(commit_sha)["tree"]["sha"]), prefix)

    def _commit(self, sha: str) -> dict[str, Any]:
        commit: dict[str, Any] = self.api.json("github.git.get_commit", "GET", f"{self.ref.base}/git/commits/{sha}")
        return commit

    def _tree_files(self, tree_sha: str, prefix: str) -> dict[str, str]:
        tree = self.api.json(
            "github.git.get_tree", "GET", f"{self.ref.base}/git/trees/{tree_sha}", params={"recursive": "1"}
        )
        if tree.get("truncated"):
            raise_condition("github_unexpected_status", operation="github.git.get_tree", status="truncated")
        pre = prefix.rstrip("/") + "/"
        return {e["path"]: e["sha"] for e in tree["tree"] if e["type"] == "blob" and e["path"].startswith(pre)}

    def last_change(self, prefix: str, *, limit: int = 100) -> str:
        """The newest commit of the target branch (first parents) whose tree under ``prefix``
        differs from its parent's: what a sync that made no commit records as its commit, since
        others may have committed elsewhere in the repository since (the root commit when none
        differs; after ``limit`` commits, the oldest one read). Each commit and tree is read once;
        a parent with the same tree is not read into."""
        sha = self.head()
        commit = self._commit(sha)
        tree = str(commit["tree"]["sha"])
        files = self._tree_files(tree, prefix)
        for _ in range(limit):
            parents = commit.get("parents") or []
            if not parents:
                break
            parent = self._commit(str(parents[0]["sha"]))
            parent_tree = str(parent["tree"]["sha"])
            before = files if parent_tree == tree else self._tree_files(parent_tree, prefix)
            if before != files:
                break
            sha, commit, tree, files = str(parents[0]["sha"]), parent, parent_tree, before
        return sha

    def read_blob(self, sha: str) -> bytes:
        blob = self.api.json("github.git.get_blob", "GET", f"{self.ref.base}/git/blobs/{sha}")
        if blob.get("encoding") == "base64":
            return base64.b64decode(blob["content"])
        return str(blob["content"]).encode()

    def read_files(self, commit_sha: str, prefix: str) -> dict[str, bytes]:
        return {path: self.read_blob(sha) for path, sha in self.files_at(commit_sha, prefix).items()}

    # writes ------------------------------------------------------------------------
    def commit_files(
        self,
        prefix: str,
        desired: Mapping[str, bytes],
        message: str,
        *,
        branch: str | None = None,
        base_branch: str | None = None,
        rebase: bool = False,
    ) -> CommitResult:
        """Make ``prefix`` on ``branch`` hold exactly ``desired`` with at most one new commit.

        ``base_branch`` (default: ``branch``) is where the change starts when ``branch`` does
        not exist yet (a pull-request branch). A branch that moved under us (HH-GIT-006) is
        handled by re-reading the head and rebuilding the change on top of it, under the
        catalog's retry policy for that code; the other writer's commit stays in history.

        ``rebase`` (a sync branch whose pull request conflicts, HH-GIT-009): build the change on
        ``base_branch``'s head and move ``branch`` there even if that is not a fast-forward. Only
        the integration's own sync branch is ever rebased."""
        target = branch or self.ref.branch
        digest = tree_digest(desired)
        seen_base: list[str] = []

        def attempt() -> CommitResult:
            exists = target == (base_branch or target) or self.branch_exists(target)
            base_sha = self.head(base_branch if rebase or not exists else target)
            if seen_base and seen_base[-1] != base_sha:
                self.step_hook(
                    "rebase", {"branch": target, "from": seen_base[-1], "onto": base_sha, "code": "HH-GIT-007"}
                )
            seen_base.append(base_sha)
            current = self.files_at(base_sha, prefix)
            changed = tuple(sorted(p for p, c in desired.items() if current.get(p) != git_blob_sha(c)))
            deleted = tuple(sorted(p for p in current if p not in desired))
            if not changed and not deleted and not rebase:
                if not exists:
                    self._create_ref(target, base_sha)
                return CommitResult(None, target, base_sha, (), ())
            commit_sha = self._write_commit(
                base_sha, desired, changed, deleted, f"{message}\n\n{SYNC_TRAILER}: {digest}"
            )
            if exists:
                self._update_ref(target, commit_sha, force=rebase)
            else:
                self._create_ref(target, commit_sha)
            self.step_hook("update_ref", {"branch": target, "commit": commit_sha})
            return CommitResult(commit_sha, target, base_sha, changed, deleted)

        try:
            result: CommitResult = self.api.retrying(attempt)
        except IntegrationError as error:
            # Not a fast-forward every time: when the re-reads saw the branch move, another writer
            # kept committing (HH-GIT-007); a branch that never moved is HH-GIT-006.
            if error.code == "HH-GIT-006" and len(set(seen_base)) > 1:
                raise condition_error("branch_moved_by_other_writer", branch=target, attempts=len(seen_base)) from error
            raise
        return result

    def _write_commit(
        self,
        base_sha: str,
        desired: Mapping[str, bytes],
        changed: tuple[str, ...],
        deleted: tuple[str, ...],
        message: str,
    ) -> str:
        base = self.ref.base
        entries: list[dict[str, Any]] = []
        for path in changed:
            blob = self.api.json(
                "github.git.create_blob",
                "POST",
                f"{base}/git/blobs",
                json={"content": base64.b64encode(desired[path]).decode(), "encoding": "base64"},
            )
            entries.append({"path": path, "mode": "100644", "type": "blob", "sha": blob["sha"]})
        entries += [{"path": path, "mode": "100644", "type": "blob", "sha": None} for path in deleted]
        self.step_hook("create_blobs", {"count": len(changed)})
        base_commit = self.api.json("github.git.get_commit", "GET", f"{base}/git/commits/{base_sha}")
        tree = self.api.json(
            "github.git.create_tree",
            "POST",
            f"{base}/git/trees",
            json={"base_tree": base_commit["tree"]["sha"], "tree": entries},
        )
        self.step_hook("create_tree", {"tree": tree["sha"]})
        commit = self.api.json(
            "github.git.create_commit",
            "POST",
            f"{base}/git/commits",
            json={"message": message, "tree": tree["sha"], "parents": [base_sha]},
        )
        self.step_hook("create_commit", {"commit": commit["sha"]})
        sha: str = commit["sha"]
        return sha

    def _update_ref(self, branch: str, sha: str, *, force: bool = False) -> None:
        self.api.call(
            "github.git.update_ref",
            "PATCH",
            f"{self.ref.base}/git/refs/heads/{quote(branch)}",
            json={"sha": sha, "force": force},
            retry=False,  # a 422 non-fast-forward is retried by commit_files after re-reading the head
        )

    def _create_ref(self, branch: str, sha: str) -> None:
        self.api.call(
            "github.git.create_ref",
            "POST",
            f"{self.ref.base}/git/refs",
            json={"ref": f"refs/heads/{branch}", "sha": sha},
            retry=False,
        )

    # pull requests -----------------------------------------------------------------
    def open_pull_request(self, head: str, title: str, body: str) -> dict[str, Any]:
        """The open PR from ``head`` into the target branch, created if there is none."""
        existing = self.api.json(
            "github.pulls.list",
            "GET",
            f"{self.ref.base}/pulls",
            params={"state": "open", "head": f"{self.ref.owner}:{head}", "base": self.ref.branch},
        )
        if existing:
            pr: dict[str, Any] = existing[0]
            return pr
        created: dict[str, Any] = self.api.json(
            "github.pulls.create",
            "POST",
            f"{self.ref.base}/pulls",
            json={"title": title, "head": head, "base": self.ref.branch, "body": body},
        )
        return created

    def remove_file(self, path: str, imported_sha: str, message: str) -> bool:
        """Delete ``path`` from the target branch if its blob is still ``imported_sha``; False (the
        file is kept) when it changed since it was read. A delete refused because the file changed
        meanwhile (409, HH-GIT-005) re-reads the file and tries again under the catalog's policy."""
        url = f"{self.ref.base}/contents/{quote(path)}"

        def attempt() -> bool:
            current = self.api.json("github.contents.get", "GET", url, params={"ref": self.ref.branch})
            if str(current.get("sha")) != imported_sha:
                return False
            body = {"message": message, "sha": imported_sha, "branch": self.ref.branch}
            self.api.json("github.contents.delete", "DELETE", url, json=body)
            return True

        removed: bool = self.api.retrying(attempt)
        return removed

    def check_states(self, sha: str, required: Sequence[str]) -> dict[str, str]:
        """The latest state (success, failure, error, pending) of each status context on ``sha``:
        of the ``required`` contexts ("missing" for one not reported yet), or of every reported
        context when ``required`` is empty. The integration's own context is not a check."""
        latest: dict[str, str] = {}
        page = 1
        while True:
            batch = self.api.json(
                "github.statuses.list",
                "GET",
                f"{self.ref.base}/commits/{sha}/statuses",
                params={"per_page": 100, "page": page},
            )
            for status in batch:  # newest first: the first state seen per context is the latest
                latest.setdefault(str(status["context"]), str(status["state"]))
            if len(batch) < 100:
                break
            page += 1
        latest.pop(STATUS_CONTEXT, None)
        if not required:
            return latest
        return {context: latest.get(context, "missing") for context in required}

    def merge_pull_request(self, number: int, head_sha: str) -> str:
        """Merge pull request ``number`` pinned to ``head_sha`` (GitHub answers 409 if the head moved);
        returns the merge commit sha. 405/409 are HH-GIT-008."""
        merged = self.api.json(
            "github.pulls.merge",
            "PUT",
            f"{self.ref.base}/pulls/{number}/merge",
            json={"sha": head_sha, "merge_method": "merge"},
        )
        return str(merged["sha"])

    def close_pull_request(self, number: int) -> dict[str, Any]:
        """Close pull request ``number`` without merging it."""
        url = f"{self.ref.base}/pulls/{number}"
        pr: dict[str, Any] = self.api.json("github.pulls.update", "PATCH", url, json={"state": "closed"})
        return pr

    def get_pull_request(self, number: int) -> dict[str, Any]:
        pr: dict[str, Any] = self.api.json("github.pulls.get", "GET", f"{self.ref.base}/pulls/{number}")
        return pr
