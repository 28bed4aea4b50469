"""Handlers: pull requests (create, get, list, update, merge) and commit statuses."""

from __future__ import annotations

from dulwich.objects import Commit

from harness.targets.github import shapes
from harness.targets.github.context import Ctx, Reply
from harness.targets.github.errors import ApiError, custom, invalid, not_found
from harness.targets.github.pull_shape import pull, refresh
from harness.targets.github.store import PullRecord, RepoRecord, now_iso, ref_sha
from harness.targets.github.trees import cherry_pick, commits_between, oid
from harness.targets.github.trees import merge as merge_trees

_STATES = {"error", "failure", "pending", "success"}
_METHODS = {"merge", "squash", "rebase"}


def _branch(rec: RepoRecord, spec: str, field: str) -> tuple[str, str]:
    """(branch, sha) for ``branch`` or ``owner:branch``; 422 invalid field when it does not exist."""
    owner, _, branch = spec.rpartition(":")
    if owner and owner.lower() != rec.owner.lower():
        raise invalid("PullRequest", field)
    sha = ref_sha(rec, f"refs/heads/{branch}")
    if sha is None:
        raise invalid("PullRequest", field)
    return branch, sha


def create(ctx: Ctx, p: dict[str, str]) -> Reply:
    """POST /pulls: 422 on a missing branch, no commits between, or an existing open PR."""
    rec = ctx.store.get(p["owner"], p["repo"])
    title = ctx.field("title", str, required=True)
    head, head_sha = _branch(rec, ctx.field("head", str, required=True), "head")
    base, base_sha = _branch(rec, ctx.field("base", str, required=True), "base")
    if not commits_between(rec.git(), base_sha, head_sha):
        raise custom("PullRequest", f"No commits between {base} and {head}")
    with ctx.store.lock:
        if any(pr.state == "open" and pr.head == head and pr.base == base for pr in rec.pulls.values()):
            raise custom("PullRequest", f"A pull request already exists for {rec.owner}:{head}.")
        stamp = now_iso()
        pr = PullRecord(number=len(rec.pulls) + 1, id=ctx.store.next_id(), title=title,
                        body=ctx.field("body", str), head=head, base=base, head_sha=head_sha,
                        base_sha=base_sha, created_at=stamp, updated_at=stamp)  # fmt: skip
        rec.pulls[pr.number] = pr
    ctx.events.pull_request("opened", rec, pr)
    shape = pull(ctx.base, ctx.store, rec, pr)
    ctx.created(shape["url"])
    return 201, shape


def _pull(ctx: Ctx, p: dict[str, str]) -> tuple[RepoRecord, PullRecord]:
    rec = ctx.store.get(p["owner"], p["repo"])
    pr = rec.pulls.get(int(p["pull_number"]))
    if pr is None:
        raise not_found()
    return rec, pr


def get(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /pulls/{pull_number}."""
    rec, pr = _pull(ctx, p)
    return 200, pull(ctx.base, ctx.store, rec, pr, asked=True)


def list_pulls(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /pulls?state=&head=&base= (newest first, as GitHub's default sort), paginated."""
    rec = ctx.store.get(p["owner"], p["repo"])
    state = ctx.query.get("state", "open")
    if state not in {"open", "closed", "all"}:
        raise invalid("PullRequest", "state")
    head = ctx.query.get("head", "").rpartition(":")[2]
    base = ctx.query.get("base")
    found = [
        pr
        for pr in sorted(rec.pulls.values(), key=lambda x: -x.number)
        if state in {"all", pr.state} and head in {"", pr.head} and base in {None, pr.base}
    ]
    return 200, ctx.page(
        [pull(ctx.base, ctx.store, rec, pr, full=False) for pr in found], f"/repos/{rec.full_name}/pulls"
    )


def check_merged(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /pulls/{pull_number}/merge: 204 if merged, 404 otherwise."""
    _rec, pr = _pull(ctx, p)
    if not pr.merged:
        raise not_found()
    return 204, None


def update(ctx: Ctx, p: dict[str, str]) -> Reply:
    """PATCH /pulls/{pull_number}: title, body, state (open|closed) and base; closing emits closed."""
    rec, pr = _pull(ctx, p)
    title, body, state = ctx.field("title", str), ctx.field("body", str), ctx.field("state", str)
    base = ctx.field("base", str)
    if state is not None and state not in {"open", "closed"}:
        raise invalid("PullRequest", "state")
    if pr.merged and state == "open":
        raise custom("PullRequest", "Cannot reopen a merged pull request")
    with ctx.store.lock:
        refresh(rec, pr)
        if base is not None:
            pr.base, pr.base_sha = _branch(rec, base, "base")
        if (
            state == "open"
            and pr.state == "closed"
            and any(o.state == "open" and o.head == pr.head and o.base == pr.base for o in rec.pulls.values())
        ):
            raise custom("PullRequest", f"A pull request already exists for {rec.owner}:{pr.head}.")
        action = None
        if state is not None and state != pr.state:
            action = "closed" if state == "closed" else "reopened"
            pr.state = state
            pr.closed_at = now_iso() if state == "closed" else None
        pr.title = title if title is not None else pr.title
        pr.body = body if body is not None else pr.body
        pr.updated_at = now_iso()
    ctx.events.pull_request(action or "edited", rec, pr)
    return 200, pull(ctx.base, ctx.store, rec, pr)


def merge(ctx: Ctx, p: dict[str, str]) -> Reply:
    """PUT /pulls/{pull_number}/merge: 405 not mergeable, 409 head moved, else the base branch advances."""
    rec, pr = _pull(ctx, p)
    method = ctx.field("merge_method", str) or "merge"
    if method not in _METHODS:
        raise invalid("PullRequest", "merge_method")
    expected = ctx.field("sha", str)
    with ctx.store.lock:
        refresh(rec, pr)
        if pr.state != "open":
            raise ApiError(405, "Pull Request is not mergeable")
        if expected is not None and expected != pr.head_sha:
            raise ApiError(409, "Head branch was modified. Review and try the merge again.")
        git = rec.git()
        tree = merge_trees(git, pr.base_sha, pr.head_sha)
        if tree is None:
            raise ApiError(405, "Pull Request is not mergeable")
        title = ctx.field("commit_title", str) or f"Merge pull request #{pr.number} from {rec.owner}/{pr.head}"
        message = title + ("\n\n" + (ctx.field("commit_message", str) or pr.title))
        if method == "merge":
            sha = ctx.store.commit(rec, tree.decode(), [pr.base_sha, pr.head_sha], message)
        elif method == "squash":
            sha = ctx.store.commit(rec, tree.decode(), [pr.base_sha], message)
        else:
            sha = _rebase(ctx, rec, pr)
        if not ctx.store.move_ref(rec, f"refs/heads/{pr.base}", pr.base_sha, sha):
            raise ApiError(409, "Base branch was modified. Review and try the merge again.")
        stamp = now_iso()
        pr.state, pr.merged, pr.merged_at, pr.closed_at = "closed", True, stamp, stamp
        pr.merge_commit_sha, pr.updated_at = sha, stamp
    ctx.events.pull_request("closed", rec, pr)
    return 200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}


def _rebase(ctx: Ctx, rec: RepoRecord, pr: PullRecord) -> str:
    """Replay each PR commit on the base head (author kept), as GitHub's rebase merge does."""
    git = rec.git()
    tip = pr.base_sha
    for commit in commits_between(git, pr.base_sha, pr.head_sha):
        replayed = cherry_pick(git, commit, tip)
        if replayed is None:
            raise ApiError(405, "Pull Request is not mergeable")
        author = shapes.git_user(commit.author, commit.author_time)
        tip = ctx.store.commit(rec, replayed.decode(), [tip], commit.message.decode(), author=author)
    return tip


def create_status(ctx: Ctx, p: dict[str, str]) -> Reply:
    """POST /statuses/{sha}: state must be error|failure|pending|success; the commit must exist."""
    rec = ctx.store.get(p["owner"], p["repo"])
    state = ctx.field("state", str, required=True)
    if state not in _STATES:
        raise invalid("Status", "state")
    try:
        found = rec.git().object_store[oid(p["sha"])]
    except (KeyError, ValueError, AssertionError):
        found = None
    if not isinstance(found, Commit):
        raise ApiError(422, f"No commit found for SHA: {p['sha']}")
    stamp = now_iso()
    status_id = ctx.store.next_id()
    body = {
        "url": f"{ctx.base}/repos/{rec.full_name}/statuses/{p['sha']}",
        "avatar_url": None,
        "id": status_id,
        "node_id": shapes.node_id("StatusContext", status_id),
        "state": state,
        "description": ctx.field("description", str),
        "target_url": ctx.field("target_url", str),
        "context": ctx.field("context", str) or "default",
        "created_at": stamp,
        "updated_at": stamp,
        "creator": shapes.user(ctx.base, ctx.store.login),
    }
    rec.statuses.append({"sha": p["sha"], **body})
    ctx.created(body["url"])
    return 201, body


def list_statuses(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /commits/{ref}/statuses: statuses of the commit a branch or sha names, newest first."""
    rec = ctx.store.get(p["owner"], p["repo"])
    sha = ref_sha(rec, f"refs/heads/{p['ref']}") or p["ref"]
    found = [{k: v for k, v in s.items() if k != "sha"} for s in reversed(rec.statuses) if s["sha"] == sha]
    return 200, ctx.page(found, f"/repos/{rec.full_name}/commits/{p['ref']}/statuses")
