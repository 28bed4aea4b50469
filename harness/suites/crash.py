"""Crash safety from the pattern specs: for each crash point step of a pattern
(``specs/patterns/gitops_sync.yaml::crash-after:<step>``), a sync of a changed intent is killed
right after the step (seen at the proxies, see :mod:`harness.world.crash`) and run again. The
pattern promises that the end state equals that of an uninterrupted run; checked on the systems:

- the resumed sync finishes and the implementation reports fabric_sync ``in_sync``, with the
  catalog's crash entry (the entry whose recipe is ``kind: crash``) raised as an alert;
- the branch got exactly one commit for the change (none lost, none duplicated);
- the cluster holds exactly the objects of the committed files, no orphan and none missing;
- no sync is left queued.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.generate import faults as F
from harness.generate.faults import machine_files
from harness.pytest_plugin import NOT_APPLICABLE
from harness.report.elements import crash_id, error_id, spec_file
from harness.report.events import Recorder
from harness.spec.models import ErrorEntry, Pattern, PatternStep, SpecSet
from harness.suites.live_faults import Executor, crash_sync, heal
from harness.world.bad_input import change_intent
from harness.world.crash import CrashPointError, visible_boundary
from harness.world.history import reported_changes
from harness.world.invariants import check_invariants
from harness.world.live import World, rendered_keys
from harness.world.pool import WorldPool

PR_CONTRACTS = ("github.pulls.", "github.statuses.")


def crash_entry(specs: SpecSet, root: Path) -> tuple[str, ErrorEntry] | None:
    """The catalog entry a resumed crash raises (its recipe is ``kind: crash``), with its element id."""
    for catalog in specs.catalogs:
        for entry in catalog.errors:
            if entry.inject.get("kind") == "crash":
                return error_id(spec_file(catalog.loc, root), entry.code), entry
    return None


def crash_convergence(
    pattern: Pattern, step: PatternStep, pool: WorldPool, *, specs: SpecSet, crds_dir: Path, tmp: Path,
    recorder: Recorder, root: Path,
) -> None:  # fmt: skip
    if pattern.action != "sync":
        pytest.skip(f"{NOT_APPLICABLE} crash convergence is checked for the sync action; pattern {pattern.id} "
                    f"runs {pattern.action}")  # fmt: skip
    try:
        visible_boundary(pattern.steps, step.name)
    except CrashPointError as exc:
        pytest.skip(f"{NOT_APPLICABLE} {exc}")
    if step.operations and all(op.startswith(PR_CONTRACTS) for op in step.operations):
        pytest.skip(f"{NOT_APPLICABLE} step {step.name} runs in pull-request mode only; crash points are "
                    f"injected in the direct world")  # fmt: skip
    world = pool.get("model")
    executor = Executor(world, specs, crds_dir, tmp)
    problems: list[str] = []
    files = machine_files(specs, root)
    try:
        with reported_changes(world, specs, recorder, files, label=f"crash after {step.name}", problems=problems):
            change_intent(executor.ctx)
            commits_before = len(world.commits())
            crashed = crash_sync(world, specs, step.name, pattern.id)
            problems += crashed
            if not crashed:
                # what the killed run left: the states it reports, on the systems as it left them (not
                # the render invariants: the run read the changed intent and did not get to commit it)
                left = check_invariants(world, specs, recorder, files)
                problems += [f"after the crash: {p}" for p in left]
                problems += _resumed(world, specs, root, commits_before)
                problems += check_invariants(world, specs, recorder, files, intent_seen=True)
    finally:
        problems += heal(world, "direct")
    element = crash_id(spec_file(pattern.loc, root), step.name)
    recorder.record(element, "crash", "fail" if problems else "pass", "; ".join(problems) or "converged")
    found = crash_entry(specs, root)
    if found is not None and not problems:
        recorder.record(found[0], "error", "pass", f"resumed after a crash after {step.name}")
    assert not problems, "\n".join(problems)


def _resumed(world: World, specs: SpecSet, root: Path, commits_before: int) -> list[str]:
    problems = []
    again = world.act("sync")
    if again.returncode != 0:
        return [f"the sync run after the crash failed ({again.returncode}): {again.stderr[-500:]}"]
    seen = world.observe()
    state = seen.get("fabric", {}).get("fabric_sync", {}).get("state")
    if state != "in_sync":
        problems.append(f"after the resumed sync the implementation reports fabric_sync {state!r}, not 'in_sync'")
    found = crash_entry(specs, root)
    if found is not None:
        alerts = F.active_alerts(seen)
        problems += F.alert_problems(found[1], alerts)
        problems += F.message_problems(found[1], " ".join(str(a.get("message")) for a in alerts) + again.stderr)
    new_commits = len(world.commits()) - commits_before
    if new_commits != 1:
        problems.append(f"the branch got {new_commits} commits for one change (crash + resume), expected exactly 1")
    files = world.repo_files()
    cluster, committed = set(world.cluster_objects()), rendered_keys(files)
    if cluster != committed:
        problems.append(f"the cluster does not hold exactly the committed objects: orphans "
                        f"{sorted(cluster - committed)[:5]}, missing {sorted(committed - cluster)[:5]}")  # fmt: skip
    if seen.get("open_syncs"):
        problems.append(f"syncs still queued after the resumed run: {seen['open_syncs']}")
    return problems
