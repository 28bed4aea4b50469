"""Fault injection against the live world: every error-catalog entry that needs NetBox has its
``inject`` recipe executed (a proxy recipe, a crash, a missing CRD, bad input, a webhook after a
sync) and the implementation's reaction checked against the entry's ``outcome``: retries and
their spacing at the proxies, the transitions and alerts it reports (``harness_observe``), the code
in what it surfaced, and what must be preserved (NetBox intent, Git history, cluster objects),
read from NetBox, GitHub and the cluster themselves.

Entries whose outcome moves the sync pull request run in the pull-request world; the others in
the direct world. Each item restores the world's baseline afterwards (a clean sync, or settling
the pull request). A recipe that cannot be executed faithfully fails with the reason.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml

from harness.adapter import Endpoints
from harness.generate import faults as F
from harness.proxy.faults import PROXY_KINDS
from harness.report.events import Recorder
from harness.spec.models import SpecSet
from harness.targets.base import free_port, wait_for
from harness.targets.kube.controller import ControllerConfig, Outcome
from harness.targets.kube.local import LocalKube
from harness.world.bad_input import (
    COMMANDS,
    PRECONDITIONS,
    REQUIRED_CHECK,
    Action,
    FaultContext,
    FixtureError,
    apply_fixture,
    close_sync_pull,
    open_sync_pull,
)
from harness.world.crash import CrashPointError, StepCrash, run_until_crash
from harness.world.history import reported_changes
from harness.world.invariants import check_invariants
from harness.world.live import REPO, WORLD_READY_DELAY_S, World
from harness.world.process import RunningService, RunResult, run_action

SLOW = frozenset({"HH-NET-002", "HH-NET-011", "HH-NET-021"})  # a 12 s hold per faulted attempt
SYNC: Action = ("sync", {})


def world_kind(case: F.FaultCase) -> str:
    """The world an entry runs in: pull_request when its outcome moves the sync pull request."""
    return "pull_request" if any(t.machine == "pull_request" for t in case.entry.transitions) else "direct"


class Cluster:
    """Swaps the cluster behind the world's Kubernetes proxy for a fresh stand-in (the implementation
    keeps its kubeconfig; recipes armed at that proxy still fire), and swaps it back."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.proxy = world.proxies["kubernetes"]
        self.original = self.proxy.upstream
        self.started: list[LocalKube] = []

    def use(self, crds: Path, outcome: Outcome = Outcome.READY, ready_delay: float = 0.05) -> None:
        kube = LocalKube(crds=[crds], ready_delay=ready_delay, outcome=outcome)
        self.proxy.upstream = kube.start().url.rstrip("/")
        self.started.append(kube)

    def slow(self, ready_delay: float) -> None:
        """The world's own fabric controller reports Ready ``ready_delay`` s after each write."""
        assert self.world.kube_target is not None
        self.world.kube_target.set_controller(ControllerConfig(ready_delay=ready_delay))

    def restore(self) -> None:
        if self.world.kube_target is not None:
            self.world.kube_target.set_controller(ControllerConfig(ready_delay=WORLD_READY_DELAY_S))
        self.proxy.upstream = self.original
        for kube in self.started:
            kube.stop()
        self.started.clear()


def crds_without(source: Path, tmp: Path, resource: str, unserve: bool) -> Path:
    """A copy of the real CRDs lacking ``resource`` (plural.group), or serving it at v1beta2 instead of v1beta1."""
    out = tmp / "crds"
    out.mkdir(exist_ok=True)
    plural, group = resource.split(".", 1)
    for path in source.glob("*.yaml"):
        if path.name == f"{group}_{plural}.yaml":
            if not unserve:
                continue
            # as after a fabric upgrade: the kind is served at v1beta2 only, v1beta1 is kept unserved
            doc = yaml.safe_load(path.read_text())
            old = next(v for v in doc["spec"]["versions"] if v["name"] == "v1beta1")
            doc["spec"]["versions"].append({**old, "name": "v1beta2", "served": True, "storage": True})
            old["served"], old["storage"] = False, False
            (out / path.name).write_text(yaml.safe_dump(doc))
        else:
            shutil.copy(path, out / path.name)
    return out


_SNAPSHOT_FIELDS = "id,name,prefix,vid,custom_fields"
_STATUS_FIELDS = ("hh_last_sync_commit", "hh_pull_request", "hh_git_connection_status", "hh_cluster_connection_status")


def _intent_of(row: Mapping[str, Any]) -> str:
    """A NetBox row's compared fields and custom fields, without those the integration writes back."""
    fields = {k: row.get(k) for k in ("id", "name", "prefix", "vid")}
    cf = {k: v for k, v in sorted((row.get("custom_fields") or {}).items())
          if not k.startswith("hh_sync") and k not in _STATUS_FIELDS}  # fmt: skip
    return repr(sorted((fields | {"cf": cf}).items()))


SNAPSHOT_KINDS = ("netbox_intent", "git_history", "cluster_objects")


def snapshot(world: World, preserves: tuple[str, ...] = SNAPSHOT_KINDS) -> dict[str, Any]:
    """What ``preserves`` protects, read from the systems (only the kinds asked for): NetBox intent
    (without the status fields the integration writes back), the branch history, the cluster objects."""
    out: dict[str, Any] = {}
    if "netbox_intent" in preserves:
        intent = {}
        for endpoint in ("dcim.devices", "dcim.cables", "ipam.prefixes", "ipam.vlans", "ipam.vrfs"):
            # only the compared fields (NetBox's ``fields``): serialising whole rows cost seconds per snapshot
            rows = world.netbox_api.list_all(endpoint, fields=_SNAPSHOT_FIELDS)
            intent[endpoint] = sorted(_intent_of(r) for r in rows)
        out["netbox_intent"] = intent
    if "git_history" in preserves:
        out["git_history"] = [c["sha"] for c in world.commits()]
    if "cluster_objects" in preserves:
        out["cluster_objects"] = set(world.cluster_objects())
    return out


def preserve_problems(
    code: str, preserves: tuple[str, ...], before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[str]:
    problems = []
    if "netbox_intent" in preserves and before["netbox_intent"] != after["netbox_intent"]:
        problems.append(f"{code}: NetBox intent changed during the faulted run")
    if "git_history" in preserves and not set(before["git_history"]) <= set(after["git_history"]):
        problems.append(f"{code}: a commit was lost from the branch history (force push?)")
    if "cluster_objects" in preserves and not before["cluster_objects"] <= after["cluster_objects"]:
        lost = sorted(before["cluster_objects"] - after["cluster_objects"])
        problems.append(f"{code}: cluster objects were deleted: {lost[:5]}")
    return problems


def act(world: World, action: Action) -> RunResult:
    name, options = action
    return run_action(world.command(name, **options))


def surfaced(result: RunResult) -> str:
    """What the implementation surfaced on a failed run: its stderr and stdout."""
    return result.stderr + "\n" + result.stdout


class Executor:
    """Runs one catalog entry's recipe in a world and returns (problems, edges taken)."""

    def __init__(self, world: World, specs: SpecSet, crds_dir: Path, tmp: Path, *, recorder: Recorder | None = None,
                 files: Mapping[str, str] | None = None) -> None:  # fmt: skip
        self.world, self.specs, self.crds_dir, self.tmp = world, specs, crds_dir, tmp
        self.recorder, self.files = recorder, files  # given: the invariants of what a failed run reports
        self.cluster = Cluster(world)
        self.ctx = self._context()
        self.observed_before: Mapping[str, Any] | None = None  # by the last armed run, before its fault

    # -- the fixtures' view of the world ------------------------------------------------------
    def _context(self) -> FaultContext:
        world = self.world

        def drive_to_error() -> None:
            proxy = world.proxies["netbox"]
            proxy.inject({"kind": "http_status", "operation": "netbox.dcim.devices.list", "status": 418,
                          "times": "always"}, code="HH-NB-006")  # fmt: skip
            world.act("sync")
            proxy.clear_faults()

        def use_cluster(outcome: Outcome | None, ready_delay: float) -> None:
            if outcome is None:
                self.cluster.restore()
            else:
                self.cluster.use(self.crds_dir, outcome, max(ready_delay, 0.05))

        def run_sync() -> None:
            world.act("sync")

        return FaultContext(world.fabric.site_slug, world.netbox.url, world.netbox.secret or "", world.github.url,
                            world.github.secret or "", world.github.extra["owner"], REPO, world.endpoints.kubeconfig,
                            drive_to_error, use_cluster, run_sync, self.cluster.slow)  # fmt: skip

    def observe(self) -> Mapping[str, Any]:
        return self.world.observe()

    # -- checks ---------------------------------------------------------------------------------
    def edges(
        self, entry: Any, held: list[tuple[str, str]], state: Mapping[str, Any] | None = None
    ) -> list[tuple[str, str, str]]:
        """The (machine, source, dest) edges a held transition took, where the spec gives one source.
        A resource-level edge only when a resource is in ``dest`` with the entry's code (in ``state``,
        the observation after the run): being in the state alone does not say which edge led there."""
        out = []
        coded = {(machine, str((r.get(field) or {}).get("state")))
                 for r in (state or {}).get("resources", []) for machine, field in F.RESOURCE_FIELDS.items()
                 if (r.get(field) or {}).get("code") == entry.code}  # fmt: skip
        for machine, dest in held:
            if machine in F.RESOURCE_FIELDS and (machine, dest) not in coded:
                continue
            spec = next(m for m in self.specs.machines if m.id == machine)
            triggers = {t.trigger for t in entry.transitions if t.machine == machine and t.to == dest}
            sources = {s for tr in spec.transitions if tr.trigger in triggers and tr.dest == dest for s in tr.sources}
            if len(sources) == 1 or (machine == "fabric_sync" and "syncing" in sources):
                out.append((machine, "syncing" if "syncing" in sources else sources.pop(), dest))
        return out

    def failure(
        self, case: F.FaultCase, result: RunResult, before: Mapping[str, Any] | None = None,
        unseen: frozenset[str] = frozenset(),
    ) -> tuple[list[str], list[tuple[str, str, str]]]:  # fmt: skip
        """A run that must fail with the code: a non-zero exit, the code surfaced, transitions, alert.
        ``before``: the observation before the run (resource-level transitions must be its doing);
        ``unseen``: resources the world suite changed in the cluster since the implementation last
        looked (their invariants are not held against it)."""
        entry, state = case.entry, self.observe()
        problems = []
        if result.returncode == 0:
            problems.append(f"{case.code}: the {case.kind} run exited 0, expected a failed run with the code")
        problems += F.message_problems(entry, surfaced(result))
        t_problems, held = F.transition_problems(entry, state)
        earlier = None if before is None else before.get("resources", [])
        r_problems, r_held = F.resource_problems(entry, state.get("resources", []), earlier)
        problems += t_problems + r_problems + F.alert_problems(entry, state.get("alerts", []))
        return problems + self.invariants(case, state, unseen), self.edges(entry, held + r_held, state)

    def invariants(
        self, case: F.FaultCase, state: Mapping[str, Any], unseen: frozenset[str] = frozenset()
    ) -> list[str]:
        """The invariants of the states the implementation reports right after the failed run (its
        recipe's fixture still in place), evaluated on the systems. Not behind a swapped cluster:
        the harness reads the world's own cluster, which the implementation then does not see."""
        if self.recorder is None or self.files is None or self.cluster.proxy.upstream != self.cluster.original:
            return []
        operation = case.entry.inject.get("operation")
        refused = frozenset([operation]) if case.kind == "http_status" and operation else frozenset()
        found = check_invariants(self.world, self.specs, self.recorder, self.files, state, refused=refused,
                                 unseen=unseen)  # fmt: skip
        return [f"{case.code}: {p}" for p in found]

    # -- recipes --------------------------------------------------------------------------------
    def run(self, case: F.FaultCase) -> tuple[list[str], list[tuple[str, str, str]]]:
        try:
            if case.kind in PROXY_KINDS:
                return self.proxy_case(case)  # snapshots around each armed run
            if case.kind == "webhook":
                return self.webhook_case(case)
            if case.kind == "bad_input":
                return self.other_case(case)  # the fixture itself changes what is preserved
            preserves = case.entry.preserves
            before = snapshot(self.world, preserves)
            problems, edges = self.other_case(case)
            problems += preserve_problems(case.code, preserves, before, snapshot(self.world, preserves))
            return problems, edges
        finally:
            for proxy in self.world.proxies.values():
                proxy.clear_faults()
                proxy.gate = None
            self.cluster.restore()

    def _armed_run(self, case: F.FaultCase, recipe: dict[str, Any]) -> tuple[RunResult, Any, list[str]]:
        proxy = self.world.proxies[case.entry.boundary]
        operation = recipe["operation"]
        made = PRECONDITIONS[operation](self.ctx) if operation in PRECONDITIONS else None
        self.observed_before = self.observe()
        preserves = case.entry.preserves
        before = snapshot(self.world, preserves)  # after the precondition: what the faulted run must not lose
        times = F.recipe_times(recipe)
        if made and "cluster_objects" in before and not F.expected_faulted(case.entry, times)[1]:
            before["cluster_objects"] -= made  # made for the run to delete: a run that recovers does
        proxy.clear()
        injection = proxy.inject(recipe, code=case.code)
        result = act(self.world, COMMANDS[operation](self.ctx) if operation in COMMANDS else SYNC)
        proxy.clear_faults()
        proxy.wait_idle(proxy.max_hold_s + 20)  # a held attempt, or a watch winding down upstream
        problems = [f"{case.code}: the concurrent commit failed: {f}" for f in injection.failures]
        problems += preserve_problems(case.code, preserves, before, snapshot(self.world, preserves))
        return result, injection, problems

    def proxy_case(self, case: F.FaultCase) -> tuple[list[str], list[tuple[str, str, str]]]:
        entry, recipe = case.entry, dict(case.entry.inject)
        proxy = self.world.proxies[entry.boundary]
        result, injection, problems = self._armed_run(case, recipe)
        if injection.fired == 0:
            return [f"{case.code}: the recipe's operation {recipe['operation']} was never called by the "
                    f"implementation's run (the recipe cannot be executed against it)"], []  # fmt: skip
        times = F.recipe_times(recipe)
        same_body = recipe["kind"] != "git_concurrent_update" and recipe["operation"] != "github.git.update_ref"
        attempts = F.first_call(proxy.exchanges, recipe["operation"], case.code, same_body=same_body)
        problems += F.retry_problems(entry, attempts, times, injection.fired_at, proxy.exchanges)
        _, fails = F.expected_faulted(entry, times)
        if fails:
            p, edges = self.failure(case, result, self.observed_before)
            return problems + p, edges
        if result.returncode != 0:
            problems.append(f"{case.code}: the run should recover after {times} fault(s): {result.stderr[-400:]}")
        if recipe["kind"] == "timeout" or case.code in SLOW:
            return problems, []
        # the same recipe until retries are exhausted: the failure outcome of the entry
        result, exhausted, more = self._armed_run(case, {**recipe, "times": "always"})
        attempts = F.first_call(proxy.exchanges, recipe["operation"], case.code, same_body=same_body)
        problems += more + F.retry_problems(entry, attempts, None, exhausted.fired_at, proxy.exchanges)
        p, edges = self.failure(case, result, self.observed_before)
        return problems + p, edges

    def other_case(self, case: F.FaultCase) -> tuple[list[str], list[tuple[str, str, str]]]:
        entry, recipe = case.entry, case.entry.inject
        kind = recipe["kind"]
        if kind == "crash":
            return self.crash_case(case, str(recipe["step"]))
        if kind in ("crd_missing", "crd_version_not_served"):
            crds = crds_without(self.crds_dir, self.tmp, str(recipe["resource"]), kind == "crd_version_not_served")
            self.cluster.use(crds)
            before = self.observe()
            return self.failure(case, self.world.act("sync"), before)
        if kind == "bad_input":
            try:
                bad = apply_fixture(str(recipe["fixture"]), self.ctx)
            except FixtureError as exc:
                return [f"{case.code}: bad_input fixture could not be made: {exc}"], []
            try:
                before = self.observe()
                result = act(self.world, bad.action)
                if bad.action[0] != "drift":
                    return self.failure(case, result, before)
                state = self.observe()
                alerts = F.active_alerts(state)
                problems = F.alert_problems(entry, alerts)
                problems += F.message_problems(entry, result.stdout + " ".join(str(a.get("message")) for a in alerts))
                t, held = F.transition_problems(entry, state)
                r, r_held = F.resource_problems(entry, state.get("resources", []), before.get("resources", []))
                return problems + t + r + self.invariants(case, state), self.edges(entry, held + r_held, state)
            finally:
                bad.undo()
        return [f"{case.code}: inject.kind {kind!r} has no executor in the live fault suite"], []

    def crash_case(self, case: F.FaultCase, step: str) -> tuple[list[str], list[tuple[str, str, str]]]:
        """Kill the sync right after ``step`` (seen at the proxies), run it again: the resumed run
        must raise the entry's alert and message and finish."""
        problems = crash_sync(self.world, self.specs, step)
        if problems:
            return [f"{case.code}: {p}" for p in problems], []
        result = self.world.act("sync")
        alerts = F.active_alerts(self.observe())
        problems = F.alert_problems(case.entry, alerts) + F.message_problems(
            case.entry, " ".join(str(a.get("message")) for a in alerts) + surfaced(result))  # fmt: skip
        if result.returncode != 0:
            problems.append(f"{case.code}: the resumed sync failed: {result.stderr[-300:]}")
        return problems, [("fabric_sync", "syncing", "syncing")] if not problems else []

    def webhook_case(self, case: F.FaultCase) -> tuple[list[str], list[tuple[str, str, str]]]:
        """A ``webhook`` recipe as GitHub sends it: the twin delivers its own signed event to the
        implementation's webhook endpoint (its service) when the recipe's action happens (a sync pull
        request closed without merge); the queued reconcile is then run by a sync."""
        entry, recipe, world = case.entry, case.entry.inject, self.world
        if recipe.get("event") != "pull_request" or recipe.get("signature") != "valid":
            return [f"{case.code}: only a validly signed pull_request webhook is executed live, got {dict(recipe)}"], []
        open_sync_pull(self.ctx)
        before = snapshot(world, entry.preserves)
        secret = world.endpoints.settings.get("webhook_secret", "")
        service_endpoints = _with(world.endpoints, run_syncs="false")
        with (
            RunningService(world.adapter.service(service_endpoints, free_port())) as service,
            httpx.Client(
                base_url=world.github.url, headers={"Authorization": f"Bearer {world.github.secret}"}, timeout=30
            ) as admin,
        ):
            admin.put("/_twin/webhook", json={"url": f"{service.url}{service.service.webhook_path}",
                                              "secret": secret}).raise_for_status()  # fmt: skip
            try:
                queued = len(world.observe().get("open_syncs", []))
                number = close_sync_pull(self.ctx)
                wait_for(lambda: len(world.observe().get("open_syncs", [])) > queued, 10.0,
                         f"the pull_request closed delivery for #{number} to queue a reconcile")  # fmt: skip
            finally:
                admin.put("/_twin/webhook", json={"url": None}).raise_for_status()
        result = world.act("sync")
        state = self.observe()
        alerts = F.active_alerts(state)
        problems = F.alert_problems(entry, alerts)
        problems += F.message_problems(entry, surfaced(result) + " ".join(str(a.get("message")) for a in alerts))
        t_problems, held = F.transition_problems(entry, state)
        problems += t_problems + preserve_problems(case.code, entry.preserves, before, snapshot(world, entry.preserves))
        return problems, self.edges(entry, held)


def _with(endpoints: Endpoints, **settings: str) -> Endpoints:
    return dataclasses.replace(endpoints, settings={**endpoints.settings, **settings})


def crash_sync(world: World, specs: SpecSet, step: str, pattern: str = "gitops_sync") -> list[str]:
    """One sync killed right after ``step`` of ``pattern``; problems when it could not be done."""
    steps = next((p.steps for p in specs.patterns if p.id == pattern), None)
    if steps is None:
        raise CrashPointError(f"no pattern {pattern!r} in the specs")
    crash = StepCrash(steps, step)
    for proxy in world.proxies.values():
        proxy.gate = crash
    try:
        run = run_until_crash(world.command("sync"), crash)
    finally:
        for proxy in world.proxies.values():
            proxy.gate = None
            proxy.wait_idle(proxy.max_hold_s + 5)
    if not run.killed:
        return [f"the sync finished (exit {run.result.returncode}) without a request after step {step} "
                f"that the proxies could hold: {run.result.stderr[-300:]}"]  # fmt: skip
    return []


# -- baselines ------------------------------------------------------------------------------------


def settle(world: World) -> None:
    """Bring the pull-request world back to in_sync: the required check succeeds on the open sync
    pull request (auto-merge merges it); one stuck with a failed check is merged by hand."""
    owner = world.github.extra["owner"]
    with world.gh() as gh:
        for _ in range(4):
            fabric = world.observe().get("fabric", {})
            if fabric.get("fabric_sync", {}).get("state") == "in_sync":
                return
            pulls = [p for p in gh.get(f"/repos/{owner}/{REPO}/pulls", params={"state": "open"}).json()
                     if p["head"]["ref"] == f"hh-sync/{world.fabric.site_slug}"]  # fmt: skip
            for pr in pulls:
                gh.post(f"/repos/{owner}/{REPO}/statuses/{pr['head']['sha']}",
                        json={"state": "success", "context": REQUIRED_CHECK}).raise_for_status()  # fmt: skip
                newest = (fabric.get("pull_requests") or {}).get(str(pr["number"]), {})
                if newest.get("state") == "checks_failed":
                    gh.put(f"/repos/{owner}/{REPO}/pulls/{pr['number']}/merge", json={}).raise_for_status()
            world.act("sync")
    raise AssertionError(f"the pull-request world did not settle in_sync: {world.observe().get('fabric')}")


def heal(world: World, kind: str) -> list[str]:
    """Back to the baseline after an item; problems when the world does not come back."""
    if kind == "pull_request":
        settle(world)
        return []
    result = world.act("sync")
    return [] if result.returncode == 0 else [f"the clean sync after the item failed: {result.stderr[-500:]}"]


def run_fault(case: F.FaultCase, world: World, *, specs: SpecSet, crds_dir: Path, tmp: Path, recorder: Recorder,
              files: Mapping[str, str]) -> None:  # fmt: skip
    """The item body: execute, record the verdict and the edges, restore the baseline. After a run
    that must fail, the invariants of the states the implementation then reports are evaluated on
    the systems (before the recipe's fixture is undone)."""
    problems: list[str] = []
    try:
        with reported_changes(world, specs, recorder, files, label=f"fault item {case.code}", problems=problems):
            found, edges = Executor(world, specs, crds_dir, tmp, recorder=recorder, files=files).run(case)
            problems += found
    finally:
        healed = heal(world, world_kind(case))
    F.record_case(recorder, case, problems, edges, files)
    assert not problems, "\n".join(problems)
    assert not healed, "\n".join(healed)
