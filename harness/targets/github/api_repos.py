"""Handlers: repositories, branches, the authenticated user and the rate-limit overview."""

from __future__ import annotations

from dulwich.objects import Commit

from harness.targets.github import shapes
from harness.targets.github.context import Ctx, Reply
from harness.targets.github.errors import ApiError, not_found
from harness.targets.github.store import ref_sha
from harness.targets.github.trees import load


def _create(ctx: Ctx, owner: str, owner_type: str) -> Reply:
    name = ctx.field("name", str, required=True)
    rec = ctx.store.create(
        owner=owner,
        owner_type=owner_type,
        name=name,
        private=bool(ctx.field("private", bool)) or ctx.field("visibility", str) in {"private", "internal"},
        description=ctx.field("description", str),
        auto_init=bool(ctx.field("auto_init", bool)),
    )
    shape = shapes.repository(ctx.base, rec)
    ctx.created(shape["url"])
    return 201, shape


def create_in_org(ctx: Ctx, p: dict[str, str]) -> Reply:
    """POST /orgs/{org}/repos (the twin treats every login other than the user's as an organisation)."""
    if p["org"].lower() == ctx.store.login.lower():
        raise not_found()
    return _create(ctx, p["org"], "Organization")


def create_for_user(ctx: Ctx, p: dict[str, str]) -> Reply:
    """POST /user/repos."""
    return _create(ctx, ctx.store.login, "User")


def list_for_user(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /user/repos: every repository the user can see (all of the twin's), paginated."""
    repos = [shapes.repository(ctx.base, rec) for rec in ctx.store.all()]
    return 200, ctx.page(repos, "/user/repos")


def list_for_org(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /orgs/{org}/repos, paginated."""
    repos = [shapes.repository(ctx.base, r) for r in ctx.store.all() if r.owner.lower() == p["org"].lower()]
    return 200, ctx.page(repos, f"/orgs/{p['org']}/repos")


def get(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /repos/{owner}/{repo} (with ``temp_clone_token``, which only this read carries; empty when public)."""
    rec = ctx.store.get(p["owner"], p["repo"])
    return 200, {**shapes.repository(ctx.base, rec), "temp_clone_token": None if rec.private else ""}


def delete(ctx: Ctx, p: dict[str, str]) -> Reply:
    """DELETE /repos/{owner}/{repo}."""
    ctx.store.delete(p["owner"], p["repo"])
    return 204, None


def get_branch(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /repos/{owner}/{repo}/branches/{branch}: 404 "Branch not found" as GitHub words it."""
    rec = ctx.store.get(p["owner"], p["repo"])
    sha = ref_sha(rec, f"refs/heads/{p['branch']}")
    if sha is None:
        raise ApiError(404, "Branch not found")
    commit = load(rec.git(), sha, Commit)
    api = f"{ctx.base}/repos/{rec.full_name}/branches/{p['branch']}"
    return 200, {
        "name": p["branch"],
        "commit": shapes.commit(ctx.base, rec, commit),
        "_links": {"self": api, "html": f"{ctx.base}/{rec.full_name}/tree/{p['branch']}"},
        "protected": False,
        "protection": {"enabled": False, "required_status_checks": {"enforcement_level": "off",
                                                                     "contexts": [], "checks": []}},
        "protection_url": f"{api}/protection",
    }  # fmt: skip


def get_authenticated_user(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /user."""
    first = ctx.store.all()
    created = first[0].created_at if first else "2020-01-01T00:00:00Z"
    return 200, shapes.authenticated_user(ctx.base, ctx.store.login, created)


def rate_limit(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /rate_limit: the core bucket as the headers report it; other buckets untouched."""
    core = dict(ctx.rate)
    idle = {"limit": 5000, "remaining": 5000, "used": 0, "reset": core["reset"]}
    resources = {"core": core, "search": {**idle, "limit": 30, "remaining": 30},
                 "graphql": idle, "integration_manifest": idle}  # fmt: skip
    return 200, {"resources": resources, "rate": core}
