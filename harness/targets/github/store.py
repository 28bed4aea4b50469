"""Repositories of the twin: a registry of records, each backed by a bare git repository on disk."""

from __future__ import annotations

import itertools
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dulwich.objects import Blob, Commit, Tree
from dulwich.repo import Repo

from harness.targets.github.errors import ApiError, not_found
from harness.targets.github.trees import oid, refname

# GitHub allows ASCII letters, digits, '-', '_' and '.' in repository names.
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
ZERO_SHA = "0" * 40


def now_iso() -> str:
    """The current time as GitHub writes timestamps (UTC, seconds, trailing Z)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class PullRecord:
    """One pull request. Head and base are branch names in the same repository."""

    number: int
    id: int
    title: str
    body: str | None
    head: str
    base: str
    head_sha: str
    base_sha: str
    created_at: str
    updated_at: str
    state: str = "open"
    merged: bool = False
    merged_at: str | None = None
    closed_at: str | None = None
    merge_commit_sha: str | None = None
    computed_for: tuple[str, str] | None = None  # (head, base) whose mergeability a GET has computed


@dataclass
class RepoRecord:
    """What GitHub knows about a repository beyond its git data."""

    id: int
    owner: str
    owner_type: str
    name: str
    private: bool
    description: str | None
    default_branch: str
    created_at: str
    path: Path
    pulls: dict[int, PullRecord] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    pushed_at: str | None = None

    @property
    def full_name(self) -> str:
        """``owner/name`` as GitHub spells it."""
        return f"{self.owner}/{self.name}"

    def git(self) -> Repo:
        """Open the bare repository (cheap; dulwich reads lazily)."""
        return Repo(str(self.path))


# Called with (record, ref, before, after) whenever a ref moves, whoever moved it.
RefListener = Callable[[RepoRecord, str, str, str], None]


class Store:
    """All repositories of one twin, thread-safe, with ids that only grow (like GitHub's)."""

    def __init__(self, root: Path, login: str) -> None:
        self.root = root
        self.login = login
        self.lock = threading.RLock()
        self._repos: dict[tuple[str, str], RepoRecord] = {}
        self._ids = itertools.count(1000)
        self.listeners: list[RefListener] = []
        # GitHub computes mergeability in a background job: the first GET of a pull request after its
        # head or base moved answers mergeable null. Off by default (computed at once); /_twin/mergeability
        self.deferred_mergeability = False
        root.mkdir(parents=True, exist_ok=True)
        self._adopt()

    def _adopt(self) -> None:
        """Register the bare repositories a previous run left in ``root`` (``--data-dir`` survives restarts)."""
        for path in sorted(self.root.glob("*/*.git")):
            owner, name = path.parent.name, path.name.removesuffix(".git")
            kind = "User" if owner == self.login.lower() else "Organization"
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(path.stat().st_mtime))
            self._repos[(owner, name)] = RepoRecord(id=self.next_id(), owner=owner, owner_type=kind, name=name,
                                                    private=False, description=None, default_branch="main",
                                                    created_at=stamp, path=path)  # fmt: skip

    def next_id(self) -> int:
        """A fresh numeric id for any object (repositories, pulls, statuses)."""
        with self.lock:
            return next(self._ids)

    def create(
        self, owner: str, owner_type: str, name: str, *, private: bool, description: str | None, auto_init: bool
    ) -> RepoRecord:
        """Create a repository; 422 if the name is invalid or taken, as GitHub answers."""
        if not _NAME.match(name) or name in {".", ".."}:
            raise _creation_failed("name is invalid")
        key = (owner.lower(), name.lower())
        with self.lock:
            if key in self._repos:
                raise _creation_failed("name already exists on this account")
            path = self.root / key[0] / f"{key[1]}.git"
            path.parent.mkdir(parents=True, exist_ok=True)
            git = Repo.init_bare(str(path), mkdir=True)
            git.refs.set_symbolic_ref(refname("HEAD"), refname("refs/heads/main"))
            record = RepoRecord(
                id=self.next_id(),
                owner=owner,
                owner_type=owner_type,
                name=name,
                private=private,
                description=description,
                default_branch="main",
                created_at=now_iso(),
                path=path,
            )
            self._repos[key] = record
        if auto_init:
            blob = Blob.from_string(f"# {name}\n".encode())
            git.object_store.add_object(blob)
            tree = Tree()
            tree.add(b"README.md", 0o100644, blob.id)
            git.object_store.add_object(tree)
            sha = self.commit(record, tree.id.decode(), [], "Initial commit")
            self.move_ref(record, "refs/heads/main", None, sha)
        return record

    def get(self, owner: str, name: str) -> RepoRecord:
        """The repository, or 404 "Not Found"."""
        with self.lock:
            record = self._repos.get((owner.lower(), name.lower()))
        if record is None:
            raise not_found()
        return record

    def delete(self, owner: str, name: str) -> None:
        """Delete the repository and its git data."""
        record = self.get(owner, name)
        with self.lock:
            del self._repos[(owner.lower(), name.lower())]
        shutil.rmtree(record.path, ignore_errors=True)

    def all(self) -> list[RepoRecord]:
        """Every repository, oldest first."""
        with self.lock:
            return sorted(self._repos.values(), key=lambda r: r.id)

    def reset(self) -> None:
        """Forget every repository and delete its data."""
        self.deferred_mergeability = False
        with self.lock:
            records = list(self._repos.values())
            self._repos.clear()
        for record in records:
            shutil.rmtree(record.path, ignore_errors=True)

    def commit(
        self,
        record: RepoRecord,
        tree: str,
        parents: list[str],
        message: str,
        *,
        author: dict[str, Any] | None = None,
        committer: dict[str, Any] | None = None,
    ) -> str:
        """Write a commit object (the ref is moved separately) and return its sha."""
        git = record.git()
        commit = Commit()
        commit.tree = oid(tree)
        commit.parents = [oid(p) for p in parents]
        who = author or {}
        by = committer or who
        default_email = f"{self.login}@users.noreply.github.com"
        commit.author = f"{who.get('name', self.login)} <{who.get('email', default_email)}>".encode()
        commit.committer = f"{by.get('name', self.login)} <{by.get('email', default_email)}>".encode()
        commit.author_time = _epoch(who.get("date"))
        commit.commit_time = _epoch(by.get("date"))
        commit.author_timezone = commit.commit_timezone = 0
        commit.message = message.encode()
        git.object_store.add_object(commit)
        return commit.id.decode()

    def move_ref(self, record: RepoRecord, ref: str, before: str | None, after: str | None) -> bool:
        """Compare-and-swap a ref (``before`` None: must not exist; ``after`` None: delete).

        Returns False when the ref was not at ``before`` (someone else moved it).
        """
        git = record.git()
        name = refname(ref)
        if after is None:
            ok = git.refs.remove_if_equals(name, oid(before) if before else None)
        elif before is None:
            ok = git.refs.add_if_new(name, oid(after))
        else:
            ok = git.refs.set_if_equals(name, oid(before), oid(after))
        if ok:
            self.notify(record, ref, before or ZERO_SHA, after or ZERO_SHA)
        return ok

    def notify(self, record: RepoRecord, ref: str, before: str, after: str) -> None:
        """Tell listeners (webhooks, pulls) that a ref moved, through the API or a git push."""
        if ref.startswith("refs/heads/") and after != ZERO_SHA:
            record.pushed_at = now_iso()
        for listener in self.listeners:
            listener(record, ref, before, after)


def _epoch(date: object) -> int:
    """Seconds since the epoch for an ISO 8601 date (GitHub's input format), or now."""
    if not isinstance(date, str):
        return int(time.time())
    try:
        return int(datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp())
    except ValueError as exc:
        raise ApiError(422, f"Invalid request.\n\n{date!r} is not a valid date-time.") from exc


def is_empty(record: RepoRecord) -> bool:
    """True until the repository has its first branch (GitHub's "This repository is empty.")."""
    return not any(name.startswith(b"refs/") for name in record.git().refs.allkeys())


def ref_sha(record: RepoRecord, ref: str) -> str | None:
    """The sha a full ref name points at, or None."""
    try:
        return record.git().refs[refname(ref)].decode()
    except KeyError:
        return None


def _creation_failed(message: str) -> ApiError:
    """422 as GitHub answers a repository it will not create."""
    return ApiError(
        422, "Repository creation failed.",
        [{"resource": "Repository", "code": "custom", "field": "name", "message": message}],
    )  # fmt: skip
