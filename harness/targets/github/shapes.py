"""GitHub-shaped JSON for users, repositories and git objects, with URLs on the twin's own host."""

from __future__ import annotations

import base64
import time
import zlib
from typing import Any

from dulwich.objects import Blob, Commit, Tree

from harness.targets.github.store import RepoRecord
from harness.targets.github.trees import TREE_MODE

# The repository URL templates GitHub returns, as (field, path suffix after /repos/{owner}/{repo}).
_REPO_URLS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def node_id(kind: str, ident: object) -> str:
    """A stable opaque GraphQL-style node id."""
    return base64.b64encode(f"{kind}:{ident}".encode()).decode().rstrip("=")


def user(base: str, login: str, kind: str = "User") -> dict[str, Any]:
    """simple-user for ``login`` (the twin has one user; organisations appear as owners only)."""
    url = f"{base}/users/{login}"
    return {
        "login": login,
        "id": zlib.crc32(login.encode()) % 10_000_000,
        "node_id": node_id(kind, login),
        "avatar_url": f"{base}/avatars/{login}",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{base}/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": kind,
        "user_view_type": "public",
        "site_admin": False,
    }


def authenticated_user(base: str, login: str, created_at: str) -> dict[str, Any]:
    """private-user for GET /user."""
    shape = user(base, login)
    shape["user_view_type"] = "private"
    shape.update(
        name=login, company=None, blog="", location=None, email=None, hireable=None, bio=None,
        public_repos=0, public_gists=0, followers=0, following=0, created_at=created_at,
        updated_at=created_at, private_gists=0, total_private_repos=0, owned_private_repos=0,
        disk_usage=0, collaborators=0, two_factor_authentication=False,
    )  # fmt: skip
    return shape


def repository(base: str, rec: RepoRecord) -> dict[str, Any]:
    """full-repository (GET /repos/{owner}/{repo}, and what create answers)."""
    api = f"{base}/repos/{rec.full_name}"
    html = f"{base}/{rec.full_name}"
    shape: dict[str, Any] = {
        "id": rec.id,
        "node_id": node_id("Repository", rec.id),
        "name": rec.name,
        "full_name": rec.full_name,
        "owner": user(base, rec.owner, rec.owner_type),
        "private": rec.private,
        "visibility": "private" if rec.private else "public",
        "html_url": html,
        "description": rec.description,
        "fork": False,
        "url": api,
        "git_url": f"{html}.git",
        "ssh_url": f"{html}.git",
        "clone_url": f"{html}.git",
        "svn_url": html,
        "mirror_url": None,
        "homepage": None,
        "language": None,
        "forks": 0,
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers": 0,
        "watchers_count": 0,
        "size": 0,
        "default_branch": rec.default_branch,
        "open_issues": sum(p.state == "open" for p in rec.pulls.values()),
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "license": None,
        "topics": [],
        "is_template": False,
        "pushed_at": rec.pushed_at or rec.created_at,
        "created_at": rec.created_at,
        "updated_at": rec.pushed_at or rec.created_at,
        "permissions": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
        "allow_merge_commit": True,
        "allow_squash_merge": True,
        "allow_rebase_merge": True,
        "allow_auto_merge": False,
        "delete_branch_on_merge": False,
        "allow_update_branch": False,
        "use_squash_pr_title_as_default": False,
        "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
        "squash_merge_commit_message": "COMMIT_MESSAGES",
        "merge_commit_title": "MERGE_MESSAGE",
        "merge_commit_message": "PR_TITLE",
        "allow_forking": True,
        "web_commit_signoff_required": False,
        "custom_properties": {},
        "network_count": 0,
        "subscribers_count": 0,
    }
    if rec.owner_type == "Organization":
        shape["organization"] = user(base, rec.owner, "Organization")
    shape["open_issues_count"] = shape["open_issues"]
    shape.update({key: api + suffix for key, suffix in _REPO_URLS.items()})
    return shape


def git_user(person: bytes, when: int) -> dict[str, str]:
    """{"name", "email", "date"} from a git ident line and a timestamp."""
    text = person.decode("utf-8", "replace")
    name, _, rest = text.partition(" <")
    return {"name": name, "email": rest.rstrip(">"), "date": iso(when)}


def iso(when: int) -> str:
    """A git timestamp as GitHub's ISO 8601 UTC string."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def git_commit(base: str, rec: RepoRecord, commit: Commit) -> dict[str, Any]:
    """git-commit (POST/GET /git/commits)."""
    sha = commit.id.decode()
    api = f"{base}/repos/{rec.full_name}"
    return {
        "sha": sha,
        "node_id": node_id("Commit", sha),
        "url": f"{api}/git/commits/{sha}",
        "html_url": f"{base}/{rec.full_name}/commit/{sha}",
        "author": git_user(commit.author, commit.author_time),
        "committer": git_user(commit.committer, commit.commit_time),
        "message": commit.message.decode("utf-8", "replace"),
        "tree": {"sha": commit.tree.decode(), "url": f"{api}/git/trees/{commit.tree.decode()}"},
        "parents": [
            {
                "sha": p.decode(),
                "url": f"{api}/git/commits/{p.decode()}",
                "html_url": f"{base}/{rec.full_name}/commit/{p.decode()}",
            }
            for p in commit.parents
        ],
        "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
                         "verified_at": None},
    }  # fmt: skip


def commit(base: str, rec: RepoRecord, commit: Commit) -> dict[str, Any]:
    """commit (the REST commit wrapping a git commit, as in a branch)."""
    sha = commit.id.decode()
    api = f"{base}/repos/{rec.full_name}"
    inner = git_commit(base, rec, commit)
    return {
        "sha": sha,
        "node_id": inner["node_id"],
        "url": f"{api}/commits/{sha}",
        "html_url": inner["html_url"],
        "comments_url": f"{api}/commits/{sha}/comments",
        "commit": {
            "url": inner["url"],
            "author": inner["author"],
            "committer": inner["committer"],
            "message": inner["message"],
            "tree": inner["tree"],
            "comment_count": 0,
            "verification": inner["verification"],
        },
        "author": None,
        "committer": None,
        "parents": [{"sha": p["sha"], "url": f"{api}/commits/{p['sha']}", "html_url": p["html_url"]}
                    for p in inner["parents"]],
    }  # fmt: skip


def tree(
    base: str, rec: RepoRecord, tree_obj: Tree, entries: list[tuple[str, int, bytes, int | None]]
) -> dict[str, Any]:
    """git-tree; ``entries`` are (path, mode, sha, size) already flattened or not by the caller."""
    api = f"{base}/repos/{rec.full_name}/git"
    items = []
    for path, mode, sha, size in entries:
        kind = "tree" if mode == TREE_MODE else ("commit" if mode == 0o160000 else "blob")
        item: dict[str, Any] = {"path": path, "mode": f"{mode:06o}", "type": kind, "sha": sha.decode()}
        if kind == "blob":
            item["size"] = size
        if kind != "commit":
            item["url"] = f"{api}/{kind}s/{sha.decode()}"
        items.append(item)
    tree_sha = tree_obj.id.decode()
    return {"sha": tree_sha, "url": f"{api}/trees/{tree_sha}", "tree": items, "truncated": False}


def blob(base: str, rec: RepoRecord, blob_obj: Blob) -> dict[str, Any]:
    """blob (GET /git/blobs/{sha}): content base64 with GitHub's 60-column line breaks."""
    sha = blob_obj.id.decode()
    data = blob_obj.as_raw_string()
    return {
        "sha": sha,
        "node_id": node_id("Blob", sha),
        "size": len(data),
        "url": f"{base}/repos/{rec.full_name}/git/blobs/{sha}",
        "content": wrap64(data),
        "encoding": "base64",
    }


def wrap64(data: bytes) -> str:
    """Base64 with a newline every 60 characters, as GitHub returns file content."""
    text = base64.b64encode(data).decode()
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


def ref(base: str, rec: RepoRecord, name: str, sha: str, kind: str = "commit") -> dict[str, Any]:
    """git-ref."""
    api = f"{base}/repos/{rec.full_name}/git"
    return {
        "ref": name,
        "node_id": node_id("Ref", f"{rec.id}:{name}"),
        "url": f"{api}/{name}",
        "object": {"type": kind, "sha": sha, "url": f"{api}/{kind}s/{sha}"},
    }
