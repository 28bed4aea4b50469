"""``git_concurrent_update``: another writer commits to the branch through the GitHub API.

Called by the proxy just before it forwards the faulted request, with the caller's own
credentials, so the request that follows meets a branch that really moved: a ref update
becomes a genuine non-fast-forward (422) and a new pull request meets a base that changed the
same files (merge conflict).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

_FORWARDED = ("authorization", "accept", "x-github-api-version", "user-agent")


class ConcurrentUpdateError(RuntimeError):
    """The concurrent commit could not be made; the message says which API call failed."""


def concurrent_commit(
    client: httpx.Client,
    upstream: str,
    *,
    request_headers: list[tuple[str, str]],
    operation_id: str,
    path_params: Mapping[str, str],
    request_body: bytes,
) -> str:
    """Commit on the branch ``operation_id`` is about to touch; return the new commit sha."""
    headers = {k: v for k, v in request_headers if k.lower() in _FORWARDED}
    repo = f"{upstream}/repos/{quote(path_params['owner'])}/{quote(path_params['repo'])}"
    api = _Api(client, repo, headers)
    if operation_id == "github.git.update_ref":
        ref = path_params["ref"]
        head = api.call("GET", f"/git/ref/{ref}")["object"]["sha"]
        entries = [_entry("concurrent-writer.txt", f"another writer committed at {time.time():.6f}\n")]
    elif operation_id == "github.pulls.create":
        body = json.loads(request_body or b"{}")
        ref = f"heads/{body['base']}"
        head = api.call("GET", f"/git/ref/{ref}")["object"]["sha"]
        theirs = api.call("GET", f"/git/ref/heads/{str(body['head']).split(':')[-1]}")["object"]["sha"]
        changed = _changed_paths(api, head, theirs) or ["concurrent-writer.txt"]
        entries = [_entry(p, f"# edited concurrently by another writer at {time.time():.6f}\n") for p in changed]
    else:
        raise ConcurrentUpdateError(f"git_concurrent_update has no branch to move for {operation_id}")
    base_tree = api.call("GET", f"/git/commits/{head}")["tree"]["sha"]
    tree = api.call("POST", "/git/trees", {"base_tree": base_tree, "tree": entries})["sha"]
    commit = api.call("POST", "/git/commits", {"message": "Concurrent edit by another writer", "tree": tree,
                                               "parents": [head]})["sha"]  # fmt: skip
    api.call("PATCH", f"/git/refs/{ref}", {"sha": commit, "force": False})
    return str(commit)


def _entry(path: str, content: str) -> dict[str, str]:
    return {"path": path, "mode": "100644", "type": "blob", "content": content}


def _changed_paths(api: _Api, base: str, head: str) -> list[str]:
    """Blob paths whose content differs between the trees of commits ``base`` and ``head``."""

    def blobs(commit: str) -> dict[str, str]:
        tree = api.call("GET", f"/git/trees/{commit}?recursive=1")
        return {e["path"]: e["sha"] for e in tree["tree"] if e["type"] == "blob"}

    ours, theirs = blobs(base), blobs(head)
    return sorted(p for p, sha in theirs.items() if ours.get(p) != sha)


class _Api:
    def __init__(self, client: httpx.Client, repo: str, headers: dict[str, str]) -> None:
        self.client, self.repo, self.headers = client, repo, headers

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self.client.request(method, self.repo + path, headers=self.headers, json=body)
        except httpx.HTTPError as exc:
            raise ConcurrentUpdateError(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise ConcurrentUpdateError(f"{method} {path} answered {response.status_code}: {response.text[:200]}")
        return response.json()
