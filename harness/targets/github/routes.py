"""The one table mapping method + path to an operation id, its OpenAPI path and its handler."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, PathConverter, Rule

from harness.targets.github import api_contents, api_git, api_pulls, api_repos
from harness.targets.github.context import Handler

DOCS = "https://docs.github.com/rest/"


@dataclass(frozen=True)
class Route:
    """One REST operation of the twin."""

    operation: str
    method: str
    rule: str
    openapi_path: str
    handler: Handler
    docs: str

    @property
    def documentation_url(self) -> str:
        """Where GitHub documents this operation (also what its errors point to)."""
        return DOCS + self.docs


class _BranchConverter(PathConverter):
    """A branch name (slashes allowed) that does not end in /protection: GET /branches/{branch}/protection is
    GitHub's branch-protection operation, which the twin does not serve, not a branch called "main/protection"."""

    regex = r"[^/].*?(?<!/protection)"


_R = "/repos/<owner>/<repo>"
_O = "/repos/{owner}/{repo}"

ROUTES: tuple[Route, ...] = (
    Route("github.repos.create_in_org", "POST", "/orgs/<org>/repos", "/orgs/{org}/repos",
          api_repos.create_in_org, "repos/repos#create-an-organization-repository"),
    Route("github.repos.create_for_user", "POST", "/user/repos", "/user/repos",
          api_repos.create_for_user, "repos/repos#create-a-repository-for-the-authenticated-user"),
    Route("github.repos.list_for_user", "GET", "/user/repos", "/user/repos", api_repos.list_for_user,
          "repos/repos#list-repositories-for-the-authenticated-user"),
    Route("github.repos.list_for_org", "GET", "/orgs/<org>/repos", "/orgs/{org}/repos", api_repos.list_for_org,
          "repos/repos#list-organization-repositories"),
    Route("github.repos.get", "GET", _R, _O, api_repos.get, "repos/repos#get-a-repository"),
    Route("github.repos.delete", "DELETE", _R, _O, api_repos.delete, "repos/repos#delete-a-repository"),
    Route("github.repos.get_branch", "GET", f"{_R}/branches/<branch:branch>", f"{_O}/branches/{{branch}}",
          api_repos.get_branch, "branches/branches#get-a-branch"),
    Route("github.users.get_authenticated", "GET", "/user", "/user",
          api_repos.get_authenticated_user, "users/users#get-the-authenticated-user"),
    Route("github.rate_limit.get", "GET", "/rate_limit", "/rate_limit", api_repos.rate_limit,
          "rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user"),
    Route("github.contents.get", "GET", f"{_R}/contents/<path:path>", f"{_O}/contents/{{path}}",
          api_contents.get, "repos/contents#get-repository-content"),
    Route("github.contents.get", "GET", f"{_R}/contents/", f"{_O}/contents/{{path}}",
          api_contents.get, "repos/contents#get-repository-content"),
    Route("github.contents.put", "PUT", f"{_R}/contents/<path:path>", f"{_O}/contents/{{path}}",
          api_contents.put, "repos/contents#create-or-update-file-contents"),
    Route("github.contents.delete", "DELETE", f"{_R}/contents/<path:path>", f"{_O}/contents/{{path}}",
          api_contents.delete, "repos/contents#delete-a-file"),
    Route("github.git.create_blob", "POST", f"{_R}/git/blobs", f"{_O}/git/blobs",
          api_git.create_blob, "git/blobs#create-a-blob"),
    Route("github.git.get_blob", "GET", f"{_R}/git/blobs/<file_sha>", f"{_O}/git/blobs/{{file_sha}}",
          api_git.get_blob, "git/blobs#get-a-blob"),
    Route("github.git.create_tree", "POST", f"{_R}/git/trees", f"{_O}/git/trees",
          api_git.post_tree, "git/trees#create-a-tree"),
    Route("github.git.get_tree", "GET", f"{_R}/git/trees/<path:tree_sha>", f"{_O}/git/trees/{{tree_sha}}",
          api_git.get_tree, "git/trees#get-a-tree"),
    Route("github.git.create_commit", "POST", f"{_R}/git/commits", f"{_O}/git/commits",
          api_git.create_commit, "git/commits#create-a-commit"),
    Route("github.git.get_commit", "GET", f"{_R}/git/commits/<commit_sha>", f"{_O}/git/commits/{{commit_sha}}",
          api_git.get_commit, "git/commits#get-a-commit-object"),
    Route("github.git.get_ref", "GET", f"{_R}/git/ref/<path:ref>", f"{_O}/git/ref/{{ref}}",
          api_git.get_ref, "git/refs#get-a-reference"),
    Route("github.git.list_matching_refs", "GET", f"{_R}/git/matching-refs/<path:ref>",
          f"{_O}/git/matching-refs/{{ref}}", api_git.list_matching_refs, "git/refs#list-matching-references"),
    Route("github.git.list_matching_refs", "GET", f"{_R}/git/refs", f"{_O}/git/matching-refs/{{ref}}",
          api_git.list_matching_refs, "git/refs#list-matching-references"),
    Route("github.git.create_ref", "POST", f"{_R}/git/refs", f"{_O}/git/refs",
          api_git.create_ref, "git/refs#create-a-reference"),
    Route("github.git.update_ref", "PATCH", f"{_R}/git/refs/<path:ref>", f"{_O}/git/refs/{{ref}}",
          api_git.update_ref, "git/refs#update-a-reference"),
    Route("github.git.delete_ref", "DELETE", f"{_R}/git/refs/<path:ref>", f"{_O}/git/refs/{{ref}}",
          api_git.delete_ref, "git/refs#delete-a-reference"),
    Route("github.pulls.list", "GET", f"{_R}/pulls", f"{_O}/pulls", api_pulls.list_pulls,
          "pulls/pulls#list-pull-requests"),
    Route("github.pulls.create", "POST", f"{_R}/pulls", f"{_O}/pulls", api_pulls.create,
          "pulls/pulls#create-a-pull-request"),
    Route("github.pulls.get", "GET", f"{_R}/pulls/<int:pull_number>", f"{_O}/pulls/{{pull_number}}",
          api_pulls.get, "pulls/pulls#get-a-pull-request"),
    Route("github.pulls.update", "PATCH", f"{_R}/pulls/<int:pull_number>", f"{_O}/pulls/{{pull_number}}",
          api_pulls.update, "pulls/pulls#update-a-pull-request"),
    Route("github.pulls.merge", "PUT", f"{_R}/pulls/<int:pull_number>/merge",
          f"{_O}/pulls/{{pull_number}}/merge", api_pulls.merge, "pulls/pulls#merge-a-pull-request"),
    Route("github.pulls.check_merged", "GET", f"{_R}/pulls/<int:pull_number>/merge",
          f"{_O}/pulls/{{pull_number}}/merge", api_pulls.check_merged,
          "pulls/pulls#check-if-a-pull-request-has-been-merged"),
    Route("github.statuses.list", "GET", f"{_R}/commits/<path:ref>/statuses", f"{_O}/commits/{{ref}}/statuses",
          api_pulls.list_statuses, "commits/statuses#list-commit-statuses-for-a-reference"),
    Route("github.statuses.create", "POST", f"{_R}/statuses/<sha>", f"{_O}/statuses/{{sha}}",
          api_pulls.create_status, "commits/statuses#create-a-commit-status"),
)  # fmt: skip

_MAP = Map(
    [Rule(r.rule, endpoint=i, methods=[r.method]) for i, r in enumerate(ROUTES)],
    strict_slashes=False,
    merge_slashes=False,
    converters={"branch": _BranchConverter},
)


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route and its path parameters (as strings), or None when nothing matches."""
    try:
        index, params = _MAP.bind("twin").match(path, method=method)
    except (NotFound, MethodNotAllowed):
        return None
    return ROUTES[index], {key: str(value) for key, value in params.items()}
