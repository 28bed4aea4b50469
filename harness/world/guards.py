"""Guards of the state machines checked on the real systems around a world step.

The machines name the guards a transition needs; the implementation evaluates them, and its report
of the transitions it took (``harness_transitions``) says which it believed held. Here the harness
holds those reports to what the systems show.

``resource_lifecycle.commit`` (guard ``file_changed_on_target_branch``): a commit is a new revision
of the object on the target branch. So the harness keeps the revision it last saw committed for each
managed file (the branch as the suite found it, then each reported commit's file) and, around each
sync:

- a reported ``commit`` needs the object's file on the target branch after the step, and, unless
  the object was a draft (its first version), another revision than the one last committed;
- a managed file the step changed on the target branch needs a reported ``commit`` of its object
  (the world suite makes no edits of the branch by hand, so a change there is the sync's write).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class CommitRevisions:
    """The revision last committed of each managed file under ``fabrics/<fabric>/``, and the check
    of one step's reported commits against the target branch before and after it."""

    def __init__(self, fabric: str, branch: Mapping[str, bytes], prefix: str = "fabrics") -> None:
        self.root = f"{prefix}/{fabric}/"
        self.committed = {p: data for p, data in branch.items() if self._managed(p)}

    def _managed(self, path: str) -> bool:
        """``<prefix>/<fabric>/<plural>/<name>.yaml``: one object's file."""
        rest = path.removeprefix(self.root)
        return path.startswith(self.root) and rest.count("/") == 1 and rest.endswith(".yaml")

    def check(self, changes: Iterable[Mapping[str, Any]], before: Mapping[str, bytes],
              after: Mapping[str, bytes], *, step: str) -> list[str]:  # fmt: skip
        """The problems of one step's reported ``changes`` against the target branch's files
        ``before`` and ``after`` it; then the revisions committed are remembered."""
        problems, committed = [], {}
        for change in changes:
            if change.get("machine") != "resource_lifecycle" or change.get("trigger") != "commit":
                continue
            path = f"{self.root}{change.get('entity')}.yaml"
            committed[path] = change.get("from")
            what = f"{step}: resource_lifecycle {change.get('entity')} reported commit (from {change.get('from')})"
            if path not in after:
                problems.append(f"{what}, but the target branch has no file {path} "
                                "(guard file_changed_on_target_branch)")  # fmt: skip
            elif change.get("from") != "draft" and after[path] == self.committed.get(path):
                problems.append(f"{what}, but {path} on the target branch is the revision last committed: "
                                "nothing new was committed (guard file_changed_on_target_branch)")  # fmt: skip
        for path in sorted(after):
            if self._managed(path) and before.get(path) != after[path] and path not in committed:
                entity = path.removeprefix(self.root).removesuffix(".yaml")
                problems.append(f"{step}: {path} changed on the target branch, and the implementation reports no "
                                f"commit of {entity} (resource_lifecycle)")  # fmt: skip
        for path in committed:
            if path in after:
                self.committed[path] = after[path]
        for path in [p for p in self.committed if p not in after]:
            del self.committed[path]
        return problems
