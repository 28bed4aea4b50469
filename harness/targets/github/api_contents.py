"""Handlers: the contents API, one commit per write, with GitHub's sha checks (409/422)."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import quote

from dulwich.objects import Blob, Commit, Tree

from harness.targets.github import shapes
from harness.targets.github.context import Ctx, Raw, Reply
from harness.targets.github.errors import ApiError, not_found, not_supplied
from harness.targets.github.store import RepoRecord, is_empty, ref_sha
from harness.targets.github.trees import TREE_MODE, build, flatten, load, read_path


def _entry(ctx: Ctx, rec: RepoRecord, path: str, mode: int, sha: bytes, *, ref: str) -> dict[str, Any]:
    """One content item (file or dir) with its links, as in content-file / content-directory."""
    kind = "dir" if mode == TREE_MODE else ("submodule" if mode == 0o160000 else "file")
    api = f"{ctx.base}/repos/{rec.full_name}"
    url = f"{api}/contents/{quote(path)}?ref={quote(ref)}"
    git_url = f"{api}/git/{'trees' if kind == 'dir' else 'blobs'}/{sha.decode()}"
    html = f"{ctx.base}/{rec.full_name}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{path}"
    size = 0
    if kind == "file":
        size = len(load(rec.git(), sha, Blob).as_raw_string())
    raw = f"{ctx.base}/{rec.full_name}/raw/{ref}/{path}" if kind == "file" else None
    return {
        "type": kind,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha.decode(),
        "size": size,
        "url": url,
        "git_url": git_url,
        "html_url": html,
        "download_url": raw,
        "_links": {"self": url, "git": git_url, "html": html},
    }


def _branch_head(rec: RepoRecord, branch: str) -> str | None:
    """The head commit of ``branch``; 404 when it does not exist in a non-empty repository."""
    sha = ref_sha(rec, f"refs/heads/{branch}")
    if sha is None and not is_empty(rec):
        raise ApiError(404, f"Branch {branch} not found")
    return sha


def get(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /contents/{path}[?ref=]: a file object, or a list for a directory.

    Media types: ``raw`` answers a file's bytes as they are; ``object`` answers a directory as one object
    whose ``entries`` are the list.
    """
    rec = ctx.store.get(p["owner"], p["repo"])
    if is_empty(rec):
        raise not_found("This repository is empty.")
    ref = ctx.query.get("ref") or rec.default_branch
    head = ref_sha(rec, f"refs/heads/{ref}") or ref_sha(rec, f"refs/tags/{ref}") or ref
    try:
        found = read_path(rec.git(), head, p.get("path", ""))
    except (KeyError, ValueError, AssertionError):
        raise not_found(f"No commit found for the ref {ref}") from None
    if found is None:
        raise not_found()
    path = p.get("path", "").strip("/")
    mode, sha = found
    if mode == TREE_MODE:
        tree = load(rec.git(), sha, Tree)
        prefix = f"{path}/" if path else ""
        entries = [_entry(ctx, rec, prefix + e.path.decode(), e.mode, e.sha, ref=ref) for e in tree.iteritems()]
        if ctx.media.param == "object":
            return 200, {**_entry(ctx, rec, path, mode, sha, ref=ref), "entries": entries}
        return 200, entries
    item = _entry(ctx, rec, path, mode, sha, ref=ref)
    if item["type"] == "file":
        data = load(rec.git(), sha, Blob).as_raw_string()
        if ctx.media.param == "raw":
            return 200, Raw(data, ctx.media.raw_content_type)
        item.update(content=shapes.wrap64(data), encoding="base64")
    return 200, item


def _write(ctx: Ctx, rec: RepoRecord, path: str, data: bytes | None) -> tuple[bool, dict[str, Any]]:
    """Commit ``data`` at ``path`` (None deletes) on the requested branch, checking ``sha`` like GitHub.

    Returns (created, file-commit body).
    """
    message = ctx.field("message", str, required=True)
    branch = ctx.field("branch", str) or rec.default_branch
    given = ctx.field("sha", str)
    git = rec.git()
    head = _branch_head(rec, branch)
    existing = read_path(git, head, path) if head else None
    if existing is not None and existing[0] == TREE_MODE:
        # The contents API writes files only; a directory is neither replaceable nor deletable here.
        raise not_found() if data is None else ApiError(422, f"{path} is a directory")
    if data is None:
        if existing is None:
            raise not_found()
        if given is None:
            raise not_supplied("sha")
    elif existing is not None and given is None:
        raise not_supplied("sha")
    if existing is not None and given != existing[1].decode():
        raise ApiError(409, f"{path} does not match {given}")
    flat = flatten(git, load(git, head, Commit).tree) if head else {}
    content: dict[str, Any] | None = None
    if data is None:
        flat.pop(path, None)
    else:
        blob = Blob.from_string(data)
        git.object_store.add_object(blob)
        flat[path] = (0o100644, blob.id)
    tree = build(git, flat).decode()
    sha = ctx.store.commit(rec, tree, [head] if head else [], message,
                           author=ctx.field("author", dict), committer=ctx.field("committer", dict))  # fmt: skip
    if not ctx.store.move_ref(rec, f"refs/heads/{branch}", head, sha):
        # Another writer moved the branch between our read and our swap: GitHub answers 409 too.
        raise ApiError(409, f"{path} does not match {given or 'the branch head'}")
    if data is not None:
        content = _entry(ctx, rec, path, 0o100644, flat[path][1], ref=branch)
    commit = load(git, sha, Commit)
    return existing is None, {"content": content, "commit": shapes.git_commit(ctx.base, rec, commit)}


def put(ctx: Ctx, p: dict[str, str]) -> Reply:
    """PUT /contents/{path}: 201 created, 200 updated; 422 without sha on an existing file; 409 on a stale sha."""
    rec = ctx.store.get(p["owner"], p["repo"])
    encoded = ctx.field("content", str, required=True)
    try:
        data = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ApiError(422, "content is not valid Base64") from None
    created, body = _write(ctx, rec, p["path"].strip("/"), data)
    return (201 if created else 200), body


def delete(ctx: Ctx, p: dict[str, str]) -> Reply:
    """DELETE /contents/{path}: sha required (422), must match (409), file must exist (404)."""
    rec = ctx.store.get(p["owner"], p["repo"])
    _created, body = _write(ctx, rec, p["path"].strip("/"), None)
    return 200, body
