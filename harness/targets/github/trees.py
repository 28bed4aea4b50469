"""Git trees as GitHub's git-data API sees them: flat path maps, base_tree overlays, merges."""

from __future__ import annotations

from typing import Any

from dulwich.graph import can_fast_forward, find_merge_base
from dulwich.merge import Merger, three_way_merge
from dulwich.objects import Blob, Commit, ObjectID, Tree
from dulwich.refs import Ref
from dulwich.repo import Repo

from harness.targets.github.errors import ApiError

MODES = {"100644": 0o100644, "100755": 0o100755, "040000": 0o040000, "160000": 0o160000, "120000": 0o120000}
TREE_MODE = 0o040000

# path -> (mode, sha) for every non-tree entry under a tree
Flat = dict[str, tuple[int, ObjectID]]


def oid(sha: str | bytes) -> ObjectID:
    """A hex sha as dulwich's object id type."""
    return ObjectID(sha.encode() if isinstance(sha, str) else sha)


def refname(name: str) -> Ref:
    """A full ref name as dulwich's ref type."""
    return Ref(name.encode())


def load[T](git: Repo, sha: str | bytes, kind: type[T]) -> T:
    """An object the twin itself wrote or resolved (a wrong type is a twin bug, not a client error)."""
    found = git.object_store[oid(sha)]
    assert isinstance(found, kind), f"{sha!r} is a {type(found).__name__}, expected {kind.__name__}"
    return found


def obj(git: Repo, sha: str, kind: type[Any], what: str) -> Any:
    """The object ``sha`` of the given type, or 422 "<what> is not a valid ..." like GitHub's git API."""
    try:
        found = git.object_store[oid(sha)]
    except (KeyError, ValueError, AssertionError):
        found = None
    if not isinstance(found, kind):
        raise ApiError(422, f"{what} is not a valid {kind.__name__.lower()}")
    return found


def flatten(git: Repo, tree_sha: bytes, prefix: str = "") -> Flat:
    """Every blob, symlink and submodule under a tree, keyed by full path."""
    flat: Flat = {}
    tree = load(git, tree_sha, Tree)
    for entry in tree.iteritems():
        path = prefix + entry.path.decode()
        if entry.mode == TREE_MODE:
            flat.update(flatten(git, entry.sha, path + "/"))
        else:
            flat[path] = (entry.mode, entry.sha)
    return flat


def build(git: Repo, flat: Flat) -> ObjectID:
    """Write the trees for a flat path map and return the root tree's sha."""
    children: dict[str, Flat] = {}
    tree = Tree()
    for path, (mode, sha) in flat.items():
        head, _, rest = path.partition("/")
        if rest:
            children.setdefault(head, {})[rest] = (mode, sha)
        else:
            tree.add(head.encode(), mode, sha)
    for name, sub in children.items():
        tree.add(name.encode(), TREE_MODE, build(git, sub))
    git.object_store.add_object(tree)
    return tree.id


def create_tree(git: Repo, entries: list[dict[str, Any]], base_tree: str | None) -> str:
    """POST /git/trees: overlay ``entries`` on ``base_tree``; ``sha: null`` deletes a path."""
    flat: Flat = flatten(git, obj(git, base_tree, Tree, "base_tree").id) if base_tree else {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise ApiError(422, f'Invalid request.\n\n"tree[{index}].path" wasn\'t supplied.')
        path = entry["path"].strip("/")
        mode = MODES.get(str(entry.get("mode")))
        if mode is None:
            raise ApiError(422, f"tree.mode contains a malformed mode: {entry.get('mode')!r}")
        if "sha" in entry and entry["sha"] is None:
            flat = {p: v for p, v in flat.items() if p != path and not p.startswith(path + "/")}
        elif "content" in entry:
            blob = Blob.from_string(str(entry["content"]).encode())
            git.object_store.add_object(blob)
            flat[path] = (mode, blob.id)
        elif isinstance(entry.get("sha"), str):
            if mode == TREE_MODE:
                sub = obj(git, entry["sha"], Tree, f"tree.sha {entry['sha']}")
                flat = {p: v for p, v in flat.items() if not p.startswith(path + "/")}
                flat.update(flatten(git, sub.id, path + "/"))
            elif mode == 0o160000:
                flat[path] = (mode, oid(entry["sha"]))
            else:
                flat[path] = (mode, obj(git, entry["sha"], Blob, f"tree.sha {entry['sha']}").id)
        else:
            raise ApiError(422, f"Must supply tree[{index}].sha or tree[{index}].content")
    return build(git, flat).decode()


def read_path(git: Repo, commit_sha: str, path: str) -> tuple[int, ObjectID] | None:
    """(mode, sha) of ``path`` in a commit's tree ('' is the root tree), or None."""
    mode, sha = TREE_MODE, load(git, commit_sha, Commit).tree
    for part in [p for p in path.split("/") if p]:
        if mode != TREE_MODE:
            return None
        tree = load(git, sha, Tree)
        try:
            mode, sha = tree[part.encode()]
        except KeyError:
            return None
    return mode, sha


def is_ancestor(git: Repo, old: str, new: str) -> bool:
    """True when ``new`` contains ``old`` (a fast-forward from old to new)."""
    return old == new or can_fast_forward(git, oid(old), oid(new))


def merge(git: Repo, base_sha: str, head_sha: str) -> bytes | None:
    """The merged tree of base and head (line-level three-way merge), or None on conflicts."""
    bases = find_merge_base(git, [oid(base_sha), oid(head_sha)])
    ancestor = load(git, bases[0], Commit) if bases else None
    ours, theirs = load(git, base_sha, Commit), load(git, head_sha, Commit)
    tree, conflicts = three_way_merge(git.object_store, ancestor, ours, theirs)
    if conflicts:
        return None
    git.object_store.add_object(tree)
    return tree.id


def cherry_pick(git: Repo, commit: Commit, onto: str) -> bytes | None:
    """The tree of ``commit``'s change applied on ``onto`` (merge base = its parent), or None on conflicts."""
    parent = load(git, commit.parents[0], Commit) if commit.parents else None
    base_tree = load(git, parent.tree, Tree) if parent is not None else None
    ours = load(git, load(git, onto, Commit).tree, Tree)
    theirs = load(git, commit.tree, Tree)
    store = git.object_store
    tree, conflicts = Merger(store).merge_trees(base_tree, ours, theirs)
    if conflicts:
        return None
    store.add_object(tree)
    return tree.id


def commits_between(git: Repo, base_sha: str, head_sha: str) -> list[Commit]:
    """Commits reachable from head but not from base, oldest first (what a PR would merge)."""
    walker = git.get_walker(include=[oid(head_sha)], exclude=[oid(base_sha)])
    return [entry.commit for entry in reversed(list(walker))]
