"""resource_lifecycle's guard file_changed_on_target_branch as the world suite checks it: a reported
commit against the target branch's files before and after the step."""

from __future__ import annotations

from harness.world.guards import CommitRevisions

LEAF = "fabrics/f/switches/leaf-01.yaml"
VPC = "fabrics/f/vpcs/vpc-1.yaml"


def _commit(entity: str, src: str) -> dict[str, object]:
    return {"id": 1, "machine": "resource_lifecycle", "entity": entity, "from": src, "to": "committed",
            "trigger": "commit"}  # fmt: skip


def test_a_commit_of_a_new_revision_or_a_first_version_holds_and_is_remembered() -> None:
    revisions = CommitRevisions("f", {LEAF: b"v1"})
    before, after = {LEAF: b"v1"}, {LEAF: b"v2", VPC: b"v1"}
    changes = [_commit("switches/leaf-01", "synced"), _commit("vpcs/vpc-1", "draft")]
    assert revisions.check(changes, before, after, step="sync") == []
    assert revisions.committed == {LEAF: b"v2", VPC: b"v1"}


def test_a_commit_of_an_unchanged_file_or_of_no_file_is_a_problem() -> None:
    revisions = CommitRevisions("f", {LEAF: b"v1"})
    unchanged = revisions.check([_commit("switches/leaf-01", "drifted")], {LEAF: b"v1"}, {LEAF: b"v1"}, step="sync")
    assert len(unchanged) == 1 and "the revision last committed" in unchanged[0] and LEAF in unchanged[0]
    missing = revisions.check([_commit("vpcs/vpc-1", "draft")], {LEAF: b"v1"}, {LEAF: b"v1"}, step="sync")
    assert len(missing) == 1 and f"has no file {VPC}" in missing[0]


def test_a_file_the_sync_changed_without_a_reported_commit_is_a_problem() -> None:
    revisions = CommitRevisions("f", {LEAF: b"v1"})
    other = {"id": 2, "machine": "resource_lifecycle", "entity": "switches/leaf-01", "from": "synced",
             "to": "pending", "trigger": "reapply"}  # fmt: skip
    problems = revisions.check([other], {LEAF: b"v1"}, {LEAF: b"v2", "fabrics/f/README.md": b"x"}, step="sync")
    assert problems == [f"sync: {LEAF} changed on the target branch, and the implementation reports no commit of "
                        "switches/leaf-01 (resource_lifecycle)"]  # fmt: skip


def test_a_file_removed_from_the_branch_is_forgotten_and_its_next_life_starts_from_draft() -> None:
    revisions = CommitRevisions("f", {LEAF: b"v1", VPC: b"v1"})
    assert revisions.check([], {LEAF: b"v1", VPC: b"v1"}, {LEAF: b"v1"}, step="prune") == []
    assert VPC not in revisions.committed
    assert revisions.check([_commit("vpcs/vpc-1", "draft")], {LEAF: b"v1"}, {LEAF: b"v1", VPC: b"v1"},
                           step="sync") == []  # fmt: skip
