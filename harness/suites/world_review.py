"""Model-based tests of the sync pull request (``state_machines::world_pull_request``): the world in
pull-request mode (auto-merge, one required check), with rules that act where people act on a pull
request, on GitHub, and the implementation's syncs between them.

Rules: change the NetBox intent (so a sync pushes a new head), run a sync, report the required
check on the open pull request's head (success or failure), merge it on GitHub by hand, close it
unmerged, move the target branch (a commit of another file, or one that changes the same files as
the pull request: a conflict), and a sync while GitHub refuses the credentials on the one call a
sync awaiting a merge makes (github.pulls.get; the recipe of a GitHub catalog entry). The twin
computes mergeability as GitHub does, in the background (null on the first GET after the head or the
base moved), so a pull request rests in ``open`` after a sync that pushed it.

After every step of the implementation, the model predicts:

- every change it reports is a declared edge, from where the entity was (``history``);
- the invariants of every state it reports, evaluated on GitHub, NetBox and the cluster (the pull
  request open, mergeable, its required check failed or passed, merged with the merge commit on
  the target branch, closed unmerged);
- at most one open sync pull request on GitHub, and the implementation reports it in a state that
  is not final; a sync that exits 0 leaves fabric_sync ``awaiting_merge`` exactly when one is open,
  and ``in_sync`` only with the cluster holding exactly what the target branch renders;
- after a merge by hand and a sync, the pull request is ``merged``; after a close, ``closed`` (and a
  sync that was awaiting it leaves fabric_sync ``out_of_sync``); after a failed required check and
  a sync that asked about it afresh, ``checks_failed`` and a failed run; a sync GitHub refuses fails
  and leaves the pull request where it was.

Every example ends with the world put back in_sync (each open pull request's check reported
success and merged by hand, or closed when it conflicts, then syncs). The tour (``TOUR``) comes
first: it takes the pull request through each declared transition a person's action can cause.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, settings, target
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from harness.generate.faults import FaultCase, machine_files
from harness.generate.property import search_phases
from harness.report.events import Recorder
from harness.spec.models import SpecSet
from harness.suites.world import (
    StepChanges,
    _logged,
    _rules,
    load_world_run,
    pick,
    replay_run,
    save_world_run,
    sync_refused,
)
from harness.suites.world import world_faults as _world_faults
from harness.targets.base import TargetError
from harness.world.bad_input import REQUIRED_CHECK
from harness.world.history import observed_states
from harness.world.invariants import check_invariants
from harness.world.live import World, rendered_keys

DEFAULT_EXAMPLES, STEPS = 2, 8
WORLD_RUN = "world-pull-request.yaml"  # a saved run's file in its regression directory
SETTLE_ROUNDS = 6
MTUS = range(9001, 9217)  # within hh_mtu's bounds (contracts/netbox/dcim.yaml), none the world's fabric starts with


@dataclass
class Review:
    """What people did on GitHub since the implementation last looked at its pull request."""

    merged: bool = False
    closed: bool = False
    failed: bool = False  # a failure of the required check reported on its head
    moved: bool = False  # its head or base moved: the implementation's next GET may find mergeability unknown
    intent_pending: bool = False  # the intent changed since the render the branch or target holds
    mtus: list[int] = field(default_factory=list)  # server-01's connection MTU: before the first change, then each
    unseen: set[str] = field(default_factory=set)  # <plural>/<name> whose file on the target branch others edited

    def looked(self) -> None:
        self.merged = self.closed = self.failed = self.moved = False


def world_faults(specs: SpecSet, root: Path) -> list[FaultCase]:
    """The GitHub entries of the world suite's faults (an HTTP status, not retried)."""
    return [c for c in _world_faults(specs, root) if c.entry.boundary == "github"]


def review_machine(world: World, specs: SpecSet, recorder: Recorder, *, root: Path) -> type[RuleBasedStateMachine]:
    files = machine_files(specs, root)
    examples: list[Any] = []
    steps = StepChanges(world, specs, recorder, files)
    refusals = {c.code: c for c in world_faults(specs, root)}
    fabric = world.fabric.site_slug
    owner, repo = world.github.extra["owner"], world.endpoints.github_repo
    branch = f"hh-sync/{fabric}"

    def api(gh: httpx.Client, method: str, path: str, body: Any = None) -> Any:
        answer = gh.request(method, f"/repos/{owner}/{repo}/{path}", json=body)
        if answer.status_code >= 300:
            raise TargetError(f"GitHub at {world.github.url}: {method} {path} answered {answer.status_code}: "
                              f"{answer.text[:200]}")  # fmt: skip
        return answer.json() if answer.content else None

    def blobs(gh: httpx.Client, commit: str) -> dict[str, str]:
        """Path -> blob sha of every file of ``commit``."""
        tree = api(gh, "GET", f"git/trees/{commit}?recursive=1")
        return {e["path"]: e["sha"] for e in tree["tree"] if e["type"] == "blob"}

    def open_pulls() -> list[dict[str, Any]]:
        with world.gh() as gh:
            listed = api(gh, "GET", f"pulls?state=open&head={owner}:{branch}")
        return [p for p in listed if p["head"]["ref"] == branch]

    class ReviewMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            examples.append(self)
            del examples[:-1]
            self.steps: list[dict[str, Any]] = []
            self.tearing_down = False
            self.replaying: dict[str, Any] | None = None
            self.model = Review()
            self.problems: list[str] = []
            self.before: dict[tuple[str, str], str] = {}
            self.seen: Mapping[str, Any] = {}
            self.taken: set[tuple[str, str, str]] = set()

        @initialize()
        def clean_sync(self) -> None:
            steps.history.skip()
            self.before = observed_states(world.observe())
            self._settle()
            self.model = Review()
            assert not self.problems, "\n".join(self.problems)

        # -- what people do ------------------------------------------------------------------------
        @rule(data=st.data())
        @_logged
        def change_netbox_intent(self, data: st.DataObject | None) -> None:
            """server-01's connection MTU: a value it never had, or (after a change) back to the one
            before it, which reverts what the open pull request proposes."""
            changes = ["new", "revert"] if len(self.model.mtus) > 1 else ["new"]
            change = pick(self, data, changes, "change")
            api = world.netbox_api
            cables = api.list_all("dcim.cables", site_id=world.fabric.site_id)
            cable = next((c for c in cables if str(c["custom_fields"].get("hh_connection")).startswith("server-01--")),
                         None)  # fmt: skip
            assert cable is not None, "the world has no cable of server-01"
            mtus = self.model.mtus or [int(cable["custom_fields"].get("hh_mtu") or 9000)]
            value = mtus[-2] if change == "revert" else next(m for m in MTUS if m not in mtus)
            api.update("dcim.cables", int(cable["id"]), {"custom_fields": {"hh_mtu": value}})
            self.model.mtus = [*mtus, value]
            self.model.intent_pending = True

        @precondition(lambda self: self._open() is not None)
        @rule(data=st.data())
        @_logged
        def report_check(self, data: st.DataObject | None) -> None:
            result = pick(self, data, ["failure", "success"], "result")
            pr = self._open()
            assert pr is not None
            with world.gh() as gh:
                status = {"state": result, "context": REQUIRED_CHECK, "description": f"the world reports {result}"}
                api(gh, "POST", f"statuses/{pr['head']['sha']}", status)
            self.model.failed = result == "failure"

        @precondition(lambda self: self._open() is not None)
        @rule()
        @_logged
        def merge_on_github(self) -> None:
            pr = self._open()
            assert pr is not None
            with world.gh() as gh:
                answer = gh.put(f"/repos/{owner}/{repo}/pulls/{pr['number']}/merge", json={})
            if answer.status_code == 405:  # it conflicts: GitHub refuses, as it would refuse a person
                return
            if answer.status_code != 200:
                raise TargetError(f"a merge by hand of #{pr['number']} answered {answer.status_code}: "
                                  f"{answer.text[:200]}")  # fmt: skip
            self.model.merged = True

        @precondition(lambda self: self._open() is not None)
        @rule()
        @_logged
        def close_on_github(self) -> None:
            pr = self._open()
            assert pr is not None
            with world.gh() as gh:
                api(gh, "PATCH", f"pulls/{pr['number']}", {"state": "closed"})
            self.model.closed = True

        @rule(data=st.data())
        @_logged
        def push_to_base(self, data: st.DataObject | None) -> None:
            """A commit on the target branch by someone else: another file, or (with a pull request
            open) the files it changes, so it conflicts."""
            pr = self._open()
            conflicting = pr is not None and pick(self, data, [False, True], "conflicting")
            with world.gh() as gh:
                base = api(gh, "GET", "git/ref/heads/main")["object"]["sha"]
                stamp = f"{time.time():.6f}"
                paths = [f"notes/world-{stamp}.txt"]
                if conflicting and pr is not None:
                    ours, theirs = (blobs(gh, sha) for sha in (base, pr["head"]["sha"]))
                    paths = sorted(p for p, sha in theirs.items() if ours.get(p) != sha) or paths
                text = f"# edited on the target branch by someone else at {stamp}\n"
                entries = [{"path": p, "mode": "100644", "type": "blob", "content": text} for p in paths]
                tree = api(gh, "POST", "git/trees", {"base_tree": api(gh, "GET", f"git/commits/{base}")["tree"]["sha"],
                                                     "tree": entries})["sha"]  # fmt: skip
                commit = api(gh, "POST", "git/commits", {"message": "Edited by someone else", "tree": tree,
                                                         "parents": [base]})["sha"]  # fmt: skip
                api(gh, "PATCH", "git/refs/heads/main", {"sha": commit, "force": False})
            self.model.moved = True
            if conflicting:
                self.model.intent_pending = True  # the target branch no longer holds the render
                # what the implementation last compared with the cluster changed under it
                self.model.unseen |= {p.split("/", 2)[2].removesuffix(".yaml") for p in paths
                                      if p.startswith(f"fabrics/{fabric}/") and p.count("/") == 3}  # fmt: skip

        # -- what the implementation does ----------------------------------------------------------
        @rule()
        @_logged
        def sync(self) -> None:
            self._sync()

        @precondition(lambda self: bool(refusals) and self._state("fabric_sync") == "awaiting_merge")
        @rule(data=st.data())
        @_logged
        def sync_refused_by_github(self, data: st.DataObject | None) -> None:
            """A sync awaiting the merge while GitHub refuses (a GitHub catalog entry's status, at
            github.pulls.get): it fails, and the pull request stays where it was."""
            case = refusals[pick(self, data, sorted(refusals), "fault")]
            numbers = {k[1]: v for k, v in self.before.items() if k[0] == "pull_request"}
            recipe = {**case.entry.inject, "operation": "github.pulls.get"}
            result, fired = sync_refused(world, "github", recipe, case.code)
            if not fired:
                self._checked(result.returncode, "sync refused by GitHub (never asked)")
                return
            seen = world.observe()
            self.before, problems = steps.took(
                self.taken, self.before, seen, step=f"sync refused by GitHub ({case.code})"
            )
            self.problems += problems
            if result.returncode == 0:
                self.problems.append(f"a sync GitHub refused ({case.code} at github.pulls.get) exited 0")
            for key, state in self.before.items():
                if key[0] == "pull_request" and numbers.get(key[1], state) != state:
                    self.problems.append(f"pull request {key[1]} went {numbers[key[1]]} -> {state} in a sync "
                                         "GitHub refused: it cannot know anything new")  # fmt: skip
            self._invariants(seen)

        def teardown(self) -> None:
            failed = sys.exception() is not None or bool(self.problems)
            self.tearing_down = True
            if failed:
                if sys.exception() is None:
                    raise AssertionError("\n".join(self.problems))
                return
            self._settle()
            if currently_in_test_context():
                target(float(len(self.taken)), label="declared transitions taken")
            assert not self.problems, "\n".join(self.problems)

        # -- the model's predictions ---------------------------------------------------------------
        def _sync(self) -> None:
            model, pr = self.model, self._open()
            number = str(pr["number"]) if pr else ""
            was = self._state("fabric_sync")
            result = world.act("sync")
            prefix = f"sync after {model}" if pr else "sync"
            self._checked(result.returncode, prefix)
            reported = self._pull_state(number) if number else None
            if number and model.merged and reported != "merged":
                self.problems.append(f"#{number} was merged by hand; after a sync the implementation reports "
                                     f"{reported!r}, the model says 'merged'")  # fmt: skip
            if number and model.closed and reported != "closed":
                self.problems.append(f"#{number} was closed unmerged; after a sync the implementation reports "
                                     f"{reported!r}, the model says 'closed'")  # fmt: skip
            if number and model.closed and was == "awaiting_merge" and self._state("fabric_sync") != "out_of_sync":
                self.problems.append(f"a sync awaiting #{number}, which was closed unmerged, left fabric_sync "
                                     f"{self._state('fabric_sync')!r}, the model says 'out_of_sync'")  # fmt: skip
            fresh = not (model.merged or model.closed or model.moved or model.intent_pending)
            if number and model.failed and fresh and (reported != "checks_failed" or result.returncode == 0):
                self.problems.append(f"{REQUIRED_CHECK} failed on #{number}'s head; after a sync (exit "
                                     f"{result.returncode}) it is {reported!r}, the model says a failed run "
                                     "and 'checks_failed'")  # fmt: skip
            if result.returncode == 0 or model.merged:
                model.intent_pending = False
            model.looked()
            assert not self.problems, "\n".join(self.problems)

        def _checked(self, returncode: int, step: str) -> None:
            seen = world.observe()
            self.before, problems = steps.took(self.taken, self.before, seen, step=step, through="syncing",
                                               source=self._state("fabric_sync"))  # fmt: skip
            self.problems += problems
            opened = open_pulls()
            if len(opened) > 1:
                self.problems.append(f"{len(opened)} sync pull requests open on GitHub: "
                                     f"{[p['number'] for p in opened]}")  # fmt: skip
            finals = {"merged", "closed", "none"}
            for pr in opened:
                state = self._pull_state(str(pr["number"]))
                if state is None or state in finals:
                    self.problems.append(f"#{pr['number']} is open on GitHub; the implementation reports {state!r}")
            fabric_sync = self._state("fabric_sync")
            if returncode == 0:
                if (fabric_sync == "awaiting_merge") != bool(opened):
                    self.problems.append(f"after a sync that exited 0 fabric_sync is {fabric_sync!r} with "
                                         f"{len(opened)} sync pull request(s) open")  # fmt: skip
                if fabric_sync not in ("awaiting_merge", "in_sync", "out_of_sync"):
                    self.problems.append(f"a sync exited 0 and left fabric_sync {fabric_sync!r}")
            if fabric_sync == "in_sync":
                self.model.unseen.clear()  # applied from the target branch as it now is
                committed, cluster = rendered_keys(world.repo_files()), set(world.cluster_objects())
                if committed != cluster:
                    self.problems.append(f"in_sync, the cluster is not the target branch: "
                                         f"{sorted(committed ^ cluster)[:4]}")  # fmt: skip
            self._invariants(seen)

        def _invariants(self, seen: Mapping[str, Any]) -> None:
            self.seen = seen
            self.problems += check_invariants(world, specs, recorder, files, seen, unseen=frozenset(self.model.unseen))
            assert not self.problems, "\n".join(self.problems)

        def _state(self, machine: str) -> str | None:
            return self.before.get((machine, fabric))

        def _pull_state(self, number: str) -> str | None:
            return self.before.get(("pull_request", number))

        def _open(self) -> dict[str, Any] | None:
            found = open_pulls()
            return found[0] if found else None

        def _settle(self) -> None:
            """Back to in_sync: each open sync pull request's check reported success and merged by
            hand (closed when it conflicts), then a sync; every step checked like the rules'."""
            for _ in range(SETTLE_ROUNDS):
                pr = self._open()
                if pr is None and self._state("fabric_sync") == "in_sync" and not self.model.intent_pending:
                    return
                if pr is not None:
                    with world.gh() as gh:
                        api(
                            gh, "POST", f"statuses/{pr['head']['sha']}", {"state": "success", "context": REQUIRED_CHECK}
                        )
                        merged = gh.put(f"/repos/{owner}/{repo}/pulls/{pr['number']}/merge", json={})
                        if merged.status_code == 405:
                            api(gh, "PATCH", f"pulls/{pr['number']}", {"state": "closed"})
                        elif merged.status_code != 200:
                            raise TargetError(f"a merge by hand of #{pr['number']} answered {merged.status_code}")
                    self.model.merged, self.model.closed = merged.status_code == 200, merged.status_code == 405
                self._sync()
            raise AssertionError(f"the pull-request world did not settle in_sync in {SETTLE_ROUNDS} rounds: "
                                 f"{(world.observe().get('fabric') or {}).get('fabric_sync')}")  # fmt: skip

    ReviewMachine.examples = examples
    return ReviewMachine


# Every run starts with this tour: the pull request through each transition a person's action causes,
# with mergeability computed in the background. Opened and closed while GitHub has not computed it
# (open -> closed), opened again and merged by hand (open -> merged); checks pending when the target
# branch moves (checks_pending -> open) and merged by hand (checks_pending -> merged); a failed
# check, then a new head (checks_failed -> open), the base moving (checks_failed -> open), closed by
# hand (checks_failed -> closed); failed again and merged by hand (checks_failed -> merged); failed,
# then the intent reverted, so the implementation closes it; a conflict closed (conflicted ->
# closed), another rebased (conflicted -> open) and merged when its check passes; a sync GitHub
# refuses while it waits, then a new head (open -> open), its checks pending when it is closed by
# hand (checks_pending -> closed).
_NEW = {"change": "new"}
TOUR: tuple[dict[str, Any], ...] = tuple(
    {"rule": rule, **({"picks": picks} if picks else {})}
    for rule, picks in (
        ("change_netbox_intent", _NEW), ("sync", None), ("close_on_github", None), ("sync", None),
        ("sync", None), ("merge_on_github", None), ("sync", None),
        ("change_netbox_intent", _NEW), ("sync", None), ("sync", None),
        ("push_to_base", {"conflicting": False}), ("sync", None), ("sync", None),
        ("merge_on_github", None), ("sync", None),
        ("change_netbox_intent", _NEW), ("sync", None), ("report_check", {"result": "failure"}), ("sync", None),
        ("change_netbox_intent", _NEW), ("sync", None), ("sync", None),
        ("report_check", {"result": "failure"}), ("sync", None),
        ("push_to_base", {"conflicting": False}), ("sync", None),
        ("close_on_github", None), ("sync", None),
        ("sync", None), ("report_check", {"result": "failure"}), ("sync", None),
        ("merge_on_github", None), ("sync", None),
        ("change_netbox_intent", _NEW), ("sync", None), ("report_check", {"result": "failure"}), ("sync", None),
        ("change_netbox_intent", {"change": "revert"}), ("sync", None),
        ("change_netbox_intent", _NEW), ("sync", None),
        ("push_to_base", {"conflicting": True}), ("sync", None), ("sync", None),
        ("close_on_github", None), ("sync", None), ("sync", None), ("sync", None), ("sync", None),
        ("report_check", {"result": "success"}), ("sync", None),
        ("change_netbox_intent", _NEW), ("sync", None), ("sync_refused_by_github", None),
        ("change_netbox_intent", _NEW), ("sync", None), ("sync", None), ("close_on_github", None), ("sync", None),
    )
)  # fmt: skip


def run_review(world: World, specs: SpecSet, recorder: Recorder, *, root: Path, max_examples: int | None,
               regressions: Path) -> None:  # fmt: skip
    """The tour, every saved run (``tests/regressions/*/world-pull-request.yaml``), then
    Hypothesis's examples, with the twin computing mergeability in the background meanwhile."""
    machine = review_machine(world, specs, recorder, root=root)
    rules = sorted(_rules(machine))
    saved = [(str(p.relative_to(root)), load_world_run(p, rules))
             for p in sorted((root / "tests" / "regressions").glob(f"*/{WORLD_RUN}"))]  # fmt: skip
    with _deferred_mergeability(world):
        for where, tour in [("the tour (harness.suites.world_review.TOUR)", list(TOUR)), *saved]:
            for note in replay_run(machine, tour, where):
                recorder.warn(note)
        try:
            run_state_machine_as_test(machine, settings=settings(
                max_examples=max_examples or DEFAULT_EXAMPLES, stateful_step_count=STEPS, phases=search_phases(),
                deadline=None, database=None, suppress_health_check=list(HealthCheck)))  # fmt: skip
        except Exception as exc:
            last = machine.examples[-1] if machine.examples else None  # type: ignore[attr-defined]
            if last is not None and last.steps:
                path = save_world_run(regressions, last.steps, str(exc), name=WORLD_RUN)
                exc.add_note(f"the failing example's steps are saved as {path}; move its directory to "
                             f"tests/regressions/ to replay it before the drawn examples of every run")  # fmt: skip
            raise


@contextmanager
def _deferred_mergeability(world: World) -> Iterator[None]:
    """The twin computes mergeability as GitHub does (null on the first GET after a move) while
    the suite runs; real GitHub always does. Back to at once afterwards: the world's other items
    expect it."""

    def deferred(value: bool) -> None:
        if world.twin is None:
            return
        with world.gh() as gh:
            answer = gh.put("/_twin/mergeability", json={"deferred": value})
        if answer.status_code != 200:
            raise TargetError(f"the GitHub twin refused PUT /_twin/mergeability: {answer.status_code}")

    deferred(True)
    try:
        yield
    finally:
        deferred(False)
