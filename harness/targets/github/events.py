"""Webhook events: push whenever a branch or tag moves (API or git push), pull_request on PR changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from dulwich.objects import Commit

from harness.targets.github import shapes
from harness.targets.github.pull_shape import pull, refresh
from harness.targets.github.store import ZERO_SHA, PullRecord, RepoRecord, Store, now_iso
from harness.targets.github.trees import flatten, load, oid
from harness.targets.github.webhooks import Webhooks


class Events:
    """Turns ref moves and PR changes into GitHub-shaped webhook payloads."""

    def __init__(self, store: Store, hooks: Webhooks, base: Callable[[], str]) -> None:
        self.store = store
        self.hooks = hooks
        self.base = base
        store.listeners.append(self.on_ref)

    def on_ref(self, rec: RepoRecord, ref: str, before: str, after: str) -> None:
        """A ref moved: send push, and pull_request "synchronize" for open PRs whose head moved."""
        self.hooks.emit("push", self.push_payload(rec, ref, before, after))
        if not ref.startswith("refs/heads/") or after == ZERO_SHA:
            return
        branch = ref.removeprefix("refs/heads/")
        for pr in list(rec.pulls.values()):
            if pr.state == "open" and pr.head == branch and pr.head_sha != after:
                refresh(rec, pr)
                pr.updated_at = now_iso()
                self.pull_request("synchronize", rec, pr, {"before": before, "after": after})

    def pull_request(self, action: str, rec: RepoRecord, pr: PullRecord, extra: dict[str, str] | None = None) -> None:
        """Send a pull_request event (opened, closed, synchronize with its before/after)."""
        base = self.base()
        self.hooks.emit("pull_request", {
            "action": action,
            "number": pr.number,
            **(extra or {}),
            "pull_request": pull(base, self.store, rec, pr),
            "repository": shapes.repository(base, rec),
            "sender": shapes.user(base, self.store.login),
        })  # fmt: skip

    def push_payload(self, rec: RepoRecord, ref: str, before: str, after: str) -> dict[str, Any]:
        """The push event: ref, before/after, the new commits with added/removed/modified paths."""
        base = self.base()
        git = rec.git()
        commits: list[dict[str, Any]] = []
        if after != ZERO_SHA:
            exclude = [oid(before)] if before != ZERO_SHA else []
            walker = git.get_walker(include=[oid(after)], exclude=exclude, max_entries=20)
            commits = [self._commit(base, rec, entry.commit) for entry in reversed(list(walker))]
        repo = shapes.repository(base, rec)
        # push events carry these two as epoch seconds, unlike every other payload
        repo["pushed_at"], repo["created_at"] = _epoch(repo["pushed_at"]), _epoch(repo["created_at"])
        who = {"name": self.store.login, "email": f"{self.store.login}@users.noreply.github.com"}
        return {
            "ref": ref,
            "before": before,
            "after": after,
            "created": before == ZERO_SHA,
            "deleted": after == ZERO_SHA,
            "forced": False,
            "base_ref": None,
            "compare": f"{base}/{rec.full_name}/compare/{before[:12]}...{after[:12]}",
            "commits": commits,
            "head_commit": commits[-1] if commits else None,
            "repository": repo,
            "pusher": who,
            "sender": shapes.user(base, self.store.login),
        }

    def _commit(self, base: str, rec: RepoRecord, commit: Commit) -> dict[str, Any]:
        git = rec.git()
        after = flatten(git, commit.tree)
        before = flatten(git, load(git, commit.parents[0], Commit).tree) if commit.parents else {}
        author = shapes.git_user(commit.author, commit.author_time)
        committer = shapes.git_user(commit.committer, commit.commit_time)
        sha = commit.id.decode()
        return {
            "id": sha,
            "tree_id": commit.tree.decode(),
            "distinct": True,
            "message": commit.message.decode("utf-8", "replace"),
            "timestamp": author.pop("date"),
            "url": f"{base}/{rec.full_name}/commit/{sha}",
            "author": author,
            "committer": {k: v for k, v in committer.items() if k != "date"},
            "added": sorted(p for p in after if p not in before),
            "removed": sorted(p for p in before if p not in after),
            "modified": sorted(p for p in after if p in before and before[p] != after[p]),
        }


def _epoch(stamp: str) -> int:
    return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
