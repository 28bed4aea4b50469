"""Handlers: the git data API (blobs, trees, commits, refs), all real objects in the bare repository."""

from __future__ import annotations

import base64
import binascii
import re

from dulwich.objects import Blob, Commit, ObjectID, Tag, Tree
from dulwich.repo import Repo

from harness.targets.github import shapes
from harness.targets.github.context import Ctx, Reply
from harness.targets.github.errors import ApiError, not_found
from harness.targets.github.store import RepoRecord, is_empty, ref_sha
from harness.targets.github.trees import create_tree, flatten, is_ancestor, load, obj, oid

_SHA = re.compile(r"^[0-9a-f]{40}$")


def _find(rec: RepoRecord, sha: str, kind: type | tuple[type, ...]) -> object:
    """GET-style lookup: 404 when the sha names nothing of that type, as GitHub answers."""
    if not _SHA.match(sha):
        raise not_found()
    try:
        found = rec.git().object_store[oid(sha)]
    except KeyError:
        found = None
    if not isinstance(found, kind):
        raise not_found()
    return found


def _empty(rec: RepoRecord) -> None:
    """GitHub refuses git-data reads and writes on a repository with no commits."""
    if is_empty(rec):
        raise ApiError(409, "Git Repository is empty.")


def create_blob(ctx: Ctx, p: dict[str, str]) -> Reply:
    """POST /git/blobs with encoding utf-8 (default) or base64."""
    rec = ctx.store.get(p["owner"], p["repo"])
    content = ctx.field("content", str, required=True)
    encoding = ctx.field("encoding", str) or "utf-8"
    if encoding == "base64":
        try:
            data = base64.b64decode(content, validate=False)
        except binascii.Error as exc:
            raise ApiError(422, "content is not valid Base64") from exc
    elif encoding in {"utf-8", "utf8"}:
        data = content.encode()
    else:
        raise ApiError(422, f"encoding must be one of utf-8 or base64, got {encoding!r}")
    blob = Blob.from_string(data)
    rec.git().object_store.add_object(blob)
    sha = blob.id.decode()
    url = f"{ctx.base}/repos/{rec.full_name}/git/blobs/{sha}"
    ctx.created(url)
    return 201, {"sha": sha, "url": url}


def get_blob(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /git/blobs/{file_sha}."""
    rec = ctx.store.get(p["owner"], p["repo"])
    blob = _find(rec, p["file_sha"], Blob)
    assert isinstance(blob, Blob)
    return 200, shapes.blob(ctx.base, rec, blob)


def post_tree(ctx: Ctx, p: dict[str, str]) -> Reply:
    """POST /git/trees: entries with content or sha; ``sha: null`` deletes from ``base_tree``."""
    rec = ctx.store.get(p["owner"], p["repo"])
    entries = ctx.field("tree", list, required=True)
    base_tree = ctx.field("base_tree", str)
    git = rec.git()
    sha = create_tree(git, entries, base_tree)
    shape = _tree_shape(ctx, rec, sha, recursive=False)
    ctx.created(str(shape["url"]))
    return 201, shape


def _tree_shape(ctx: Ctx, rec: RepoRecord, sha: str, recursive: bool) -> dict[str, object]:
    git = rec.git()
    tree_obj = load(git, sha, Tree)
    rows: list[tuple[str, int, bytes, int | None]] = []
    if recursive:
        dirs: set[str] = set()
        for path, (mode, blob_sha) in sorted(flatten(git, tree_obj.id).items()):
            parts = path.split("/")
            for depth in range(1, len(parts)):
                prefix = "/".join(parts[:depth])
                if prefix not in dirs:
                    dirs.add(prefix)
                    rows.append((prefix, 0o040000, _subtree(git, tree_obj, prefix), None))
            rows.append((path, mode, blob_sha, _size(git, mode, blob_sha)))
    else:
        rows = [(e.path.decode(), e.mode, e.sha, _size(git, e.mode, e.sha)) for e in tree_obj.iteritems()]
    return shapes.tree(ctx.base, rec, tree_obj, rows)


def _subtree(git: Repo, root: Tree, prefix: str) -> ObjectID:
    tree = root
    for part in prefix.split("/"):
        _mode, sha = tree[part.encode()]
        tree = load(git, sha, Tree)
    return tree.id


def _size(git: Repo, mode: int, sha: bytes) -> int | None:
    if mode in {0o040000, 0o160000}:
        return None
    return len(load(git, sha, Blob).as_raw_string())


def get_tree(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /git/trees/{tree_sha}[?recursive=1]; a branch name or commit sha resolves to its tree."""
    rec = ctx.store.get(p["owner"], p["repo"])
    _empty(rec)
    name = p["tree_sha"]
    sha = ref_sha(rec, f"refs/heads/{name}") or name
    found = _find(rec, sha, (Tree, Commit))
    tree_sha = found.tree.decode() if isinstance(found, Commit) else sha
    return 200, _tree_shape(ctx, rec, tree_sha, recursive=bool(ctx.query.get("recursive")))


def create_commit(ctx: Ctx, p: dict[str, str]) -> Reply:
    """POST /git/commits: tree and parents must exist (422 otherwise)."""
    rec = ctx.store.get(p["owner"], p["repo"])
    message = ctx.field("message", str, required=True)
    tree = ctx.field("tree", str, required=True)
    parents = ctx.field("parents", list) or []
    git = rec.git()
    obj(git, tree, Tree, "Tree SHA")
    for parent in parents:
        obj(git, str(parent), Commit, "Parent SHA")
    sha = ctx.store.commit(rec, tree, [str(x) for x in parents], message,
                           author=ctx.field("author", dict), committer=ctx.field("committer", dict))  # fmt: skip
    shape = shapes.git_commit(ctx.base, rec, load(git, sha, Commit))
    ctx.created(shape["url"])
    return 201, shape


def get_commit(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /git/commits/{commit_sha}."""
    rec = ctx.store.get(p["owner"], p["repo"])
    commit = _find(rec, p["commit_sha"], Commit)
    assert isinstance(commit, Commit)
    return 200, shapes.git_commit(ctx.base, rec, commit)


def get_ref(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /git/ref/{ref} (ref without the leading ``refs/``)."""
    rec = ctx.store.get(p["owner"], p["repo"])
    _empty(rec)
    name = f"refs/{p['ref']}"
    sha = ref_sha(rec, name)
    if sha is None:
        raise not_found()
    return 200, shapes.ref(ctx.base, rec, name, sha)


def list_matching_refs(ctx: Ctx, p: dict[str, str]) -> Reply:
    """GET /git/matching-refs/{ref}: refs whose name starts with ``refs/{ref}``, sorted, paginated.

    GET /git/refs (no ref) is the same list for every ref, as GitHub still answers it.
    """
    rec = ctx.store.get(p["owner"], p["repo"])
    _empty(rec)
    prefix = f"refs/{p.get('ref', '')}"
    git = rec.git()
    found = []
    for name, sha in sorted(git.refs.as_dict().items()):
        if name.startswith(b"refs/") and name.decode().startswith(prefix):
            kind = "tag" if isinstance(git.object_store[sha], Tag) else "commit"
            found.append(shapes.ref(ctx.base, rec, name.decode(), sha.decode(), kind))
    listed = f"/git/matching-refs/{p['ref']}" if "ref" in p else "/git/refs"
    return 200, ctx.page(found, f"/repos/{rec.full_name}{listed}")


def create_ref(ctx: Ctx, p: dict[str, str]) -> Reply:
    """POST /git/refs with a full ``refs/...`` name."""
    rec = ctx.store.get(p["owner"], p["repo"])
    name = ctx.field("ref", str, required=True)
    sha = ctx.field("sha", str, required=True)
    if not name.startswith("refs/") or name.count("/") < 2:
        raise ApiError(422, f"{name} is not a valid ref name.")
    obj(rec.git(), sha, Commit, "Object")
    if not ctx.store.move_ref(rec, name, None, sha):
        raise ApiError(422, "Reference already exists")
    shape = shapes.ref(ctx.base, rec, name, sha)
    ctx.created(shape["url"])
    return 201, shape


def update_ref(ctx: Ctx, p: dict[str, str]) -> Reply:
    """PATCH /git/refs/{ref}: 422 "Update is not a fast forward" unless ``force`` or a fast-forward."""
    rec = ctx.store.get(p["owner"], p["repo"])
    name = f"refs/{p['ref']}"
    sha = ctx.field("sha", str, required=True)
    force = bool(ctx.field("force", bool))
    git = rec.git()
    current = ref_sha(rec, name)
    if current is None:
        raise ApiError(422, "Reference does not exist")
    try:
        obj(git, sha, Commit, "Object")
    except ApiError as exc:
        raise ApiError(422, "Object does not exist") from exc
    if not force and not is_ancestor(git, current, sha):
        raise ApiError(422, "Update is not a fast forward")
    # A concurrent push between the check and the swap is the same race GitHub reports this way.
    if current != sha and not ctx.store.move_ref(rec, name, current, sha):
        raise ApiError(422, "Update is not a fast forward")
    return 200, shapes.ref(ctx.base, rec, name, sha)


def delete_ref(ctx: Ctx, p: dict[str, str]) -> Reply:
    """DELETE /git/refs/{ref}."""
    rec = ctx.store.get(p["owner"], p["repo"])
    name = f"refs/{p['ref']}"
    current = ref_sha(rec, name)
    if current is None or not ctx.store.move_ref(rec, name, current, None):
        raise ApiError(422, "Reference does not exist")
    return 204, None
