"""What the live fault suites share: the status API view, the snapshot that ``preserves``
protects, the cluster swap, the FaultContext for the bindings' fixtures, and the executors of
proxy and other recipes with the checks of a failed run."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import yaml
from hh_reference.api import BackgroundServer, JournalSyncTrigger, create_app
from hh_reference.config import Config
from hh_reference.machines import StateMachineRegistry
from hh_reference.specs import load_catalog
from hh_reference.store import Store

from harness.generate import faults as F
from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, schema_dir
from harness.targets.base import free_port, wait_for
from harness.targets.kube.controller import ControllerConfig, Outcome
from harness.targets.kube.local import LocalKube
from harness.world.bad_input import (
    COMMANDS,
    PRECONDITIONS,
    REQUIRED_CHECK,
    FaultContext,
    FixtureError,
    apply_fixture,
    close_sync_pull,
    open_sync_pull,
)
from tests.live.reference_world import FABRIC, ROOT, WORLD_READY_DELAY_S, World

SPECS = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs
FILES = F.machine_files(SPECS, ROOT)


def pull_request_case(case: F.FaultCase) -> bool:
    """Whether the entry's outcome moves the sync pull request (it needs the pull-request world)."""
    return any(t.machine == "pull_request" for t in case.entry.transitions)


SLOW = {"HH-NET-002", "HH-NET-011", "HH-NET-021"}  # a 12 s hold per faulted attempt


class StatusApi:
    """The reference's status API (and webhook endpoint) over a world's state file, in-process."""

    def __init__(self, world: World, **settings: Any) -> None:
        port = free_port()
        self.config = Config(state_db=Path(world.env["REFERENCE_STATE_DB"]), spec_root=ROOT, listen_port=port,
                             **settings)  # fmt: skip
        self.store = Store(self.config.state_db, StateMachineRegistry(ROOT), load_catalog(ROOT))
        self.server = BackgroundServer(create_app(self.config, self.store, JournalSyncTrigger(self.store)),
                                       "127.0.0.1", port)  # fmt: skip
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> StatusApi:
        self.server.start()
        wait_for(lambda: self.server.started, 10.0, "the reference status API to start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
        self.store.close()


def view(url: str) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=10) as c:
        return {
            "fabric": c.get(f"/api/v1/fabrics/{FABRIC}").json(),
            "resources": c.get(f"/api/v1/fabrics/{FABRIC}/resources").json().get("resources", []),
            "alerts": c.get("/api/v1/alerts", params={"state": "active"}).json()["alerts"],
        }


class Cluster:
    """Swaps the cluster behind the world's Kubernetes proxy for a fresh stand-in (the reference keeps
    its kubeconfig; recipes armed at that proxy still fire), and swaps it back."""

    def __init__(self, world: World, tmp: Path) -> None:
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
    for path in source.glob("*.yaml"):
        if path.name == f"{resource.split('.', 1)[1]}_{resource.split('.', 1)[0]}.yaml":
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


def snapshot(world: World) -> dict[str, Any]:
    """What ``preserves`` protects: NetBox intent, the branch history, the cluster objects."""
    nb = httpx.Client(base_url=world.netbox.url, headers={"Authorization": f"Token {world.netbox.secret}"}, timeout=30)
    intent = {}
    for path in ("dcim/devices", "dcim/cables", "ipam/prefixes", "ipam/vlans", "ipam/vrfs"):
        rows = nb.get(f"/api/{path}/", params={"limit": 1000}).json()["results"]
        intent[path] = sorted(json.dumps({k: r.get(k) for k in ("id", "name", "prefix", "vid")} | {
            "cf": {k: v for k, v in (r.get("custom_fields") or {}).items() if not k.startswith("hh_sync")
                   and k not in ("hh_last_sync_commit", "hh_pull_request", "hh_git_connection_status",
                                 "hh_cluster_connection_status")}}, sort_keys=True) for r in rows)  # fmt: skip
    nb.close()
    return {"netbox_intent": intent, "git_history": [c["sha"] for c in world.commits()],
            "cluster_objects": set(world.cluster_objects())}  # fmt: skip


def preserve_problems(
    code: str, preserves: tuple[str, ...], before: dict[str, Any], after: dict[str, Any]
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


def run(world: World, command: list[str], crash_after: str | None = None) -> subprocess.CompletedProcess[str]:
    args = ["-v", *command[:1], "--fabric", FABRIC, *command[1:]]
    return world.reference(*args, crash_after=crash_after)


def check_failure(
    case: F.FaultCase, result: subprocess.CompletedProcess[str], state: dict[str, Any]
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """A run that must fail with the code: exit 1, the code in stderr, transitions, alert."""
    entry = case.entry
    problems = []
    if result.returncode != 1:
        problems.append(f"{case.code}: `reference` exited {result.returncode}, expected 1 (failed with a code)")
    problems += F.message_problems(entry, _reference_lines(result))
    t_problems, held = F.transition_problems(entry, state)
    r_problems, r_held = F.resource_problems(entry, state["resources"])
    problems += t_problems + r_problems + F.alert_problems(entry, state["alerts"])
    return problems, _edges(entry, held + r_held)


def _reference_lines(result: subprocess.CompletedProcess[str]) -> str:
    """What the reference surfaced: its own stderr lines (not the -v HTTP log) and its stdout."""
    own = [line for line in result.stderr.splitlines() if line.startswith("reference:")]
    return "\n".join(own) + "\n" + result.stdout


def _edges(entry: Any, held: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """The (machine, source, dest) edges a held transition took, where the spec gives one source."""
    out = []
    for machine, dest in held:
        spec = next(m for m in SPECS.machines if m.id == machine)
        triggers = {t.trigger for t in entry.transitions if t.machine == machine and t.to == dest}
        sources = {s for tr in spec.transitions if tr.trigger in triggers and tr.dest == dest for s in tr.sources}
        if len(sources) == 1 or (machine == "fabric_sync" and "syncing" in sources):
            out.append((machine, "syncing" if "syncing" in sources else sources.pop(), dest))
    return out


def context(world: World, cluster: Cluster, crds_dir: Path) -> FaultContext:
    def drive_to_error() -> None:
        proxy = world.proxies["netbox"]
        proxy.inject({"kind": "http_status", "operation": "netbox.dcim.devices.list", "status": 418,
                      "times": "always"}, code="HH-NB-006")  # fmt: skip
        run(world, ["sync"])
        proxy.clear_faults()

    def use_cluster(outcome: Outcome | None, ready_delay: float) -> None:
        if outcome is None:
            cluster.restore()
        else:
            cluster.use(crds_dir, outcome, max(ready_delay, 0.05))

    def run_sync() -> None:
        run(world, ["sync"])

    def slow_controller(ready_delay: float) -> None:
        cluster.slow(ready_delay)

    owner = world.github.extra["owner"]
    return FaultContext(FABRIC, world.netbox.url, world.netbox.secret or "", world.github.url,
                        world.github.secret or "", owner, "fabric-gitops", world.env["REFERENCE_KUBECONFIG"],
                        drive_to_error, use_cluster, run_sync, slow_controller)  # fmt: skip


def times_of(recipe: dict[str, Any]) -> int | None:
    times = recipe.get("times", 1)
    return None if times == "always" else int(times)


def proxy_case(
    case: F.FaultCase, world: World, ctx: FaultContext, api: str
) -> tuple[list[str], list[tuple[str, str, str]]]:
    entry, recipe = case.entry, dict(case.entry.inject)
    proxy = world.proxies[entry.boundary]
    if recipe["operation"] in PRECONDITIONS:
        PRECONDITIONS[recipe["operation"]](ctx)
    before = snapshot(world)  # after the precondition: what the faulted run itself must not lose
    proxy.clear()
    command = COMMANDS[recipe["operation"]](ctx) if recipe["operation"] in COMMANDS else ["sync"]
    injection = proxy.inject(recipe, code=case.code)
    result = run(world, command)
    proxy.clear_faults()
    proxy.wait_idle(proxy.max_hold_s + 20)  # a held attempt, or a watch winding down upstream
    problems = [f"{case.code}: the concurrent commit failed: {f}" for f in injection.failures]
    problems += preserve_problems(case.code, entry.preserves, before, snapshot(world))
    if injection.fired == 0:
        return [f"{case.code}: the recipe's operation {recipe['operation']} was never called by "
                f"`reference {command[0]}` (the recipe cannot be executed against this integration)"], []  # fmt: skip
    times = times_of(recipe)
    same_body = recipe["kind"] != "git_concurrent_update" and recipe["operation"] != "github.git.update_ref"
    attempts = F.first_call(proxy.exchanges, recipe["operation"], case.code, same_body=same_body)
    problems += F.retry_problems(entry, attempts, times, injection.fired_at, proxy.exchanges)
    _, fails = F.expected_faulted(entry, times)
    if fails:
        p, edges = check_failure(case, result, view(api))
        return problems + p, edges
    if result.returncode != 0:
        problems.append(f"{case.code}: the sync should recover after {times} fault(s): {result.stderr[-400:]}")
    if recipe["kind"] == "timeout" or case.code in SLOW:
        return problems, []
    # the same recipe until retries are exhausted: the failure outcome of the entry
    if recipe["operation"] in PRECONDITIONS:
        PRECONDITIONS[recipe["operation"]](ctx)
    proxy.clear()
    command = COMMANDS[recipe["operation"]](ctx) if recipe["operation"] in COMMANDS else ["sync"]
    exhausted = proxy.inject({**recipe, "times": "always"}, code=case.code)
    result = run(world, command)
    proxy.clear_faults()
    proxy.wait_idle(proxy.max_hold_s + 20)  # a held attempt, or a watch winding down upstream
    attempts = F.first_call(proxy.exchanges, recipe["operation"], case.code, same_body=same_body)
    problems += F.retry_problems(entry, attempts, None, exhausted.fired_at, proxy.exchanges)
    p, edges = check_failure(case, result, view(api))
    return problems + p, edges


def other_case(case: F.FaultCase, world: World, ctx: FaultContext, *, cluster: Cluster, crds_dir: Path, tmp: Path,
               api: str) -> tuple[list[str], list[tuple[str, str, str]]]:  # fmt: skip
    entry, recipe = case.entry, case.entry.inject
    kind = recipe["kind"]
    if kind == "crash":
        killed = run(world, ["sync"], crash_after=str(recipe["step"]))
        if killed.returncode != -signal.SIGKILL:
            return [f"{case.code}: the crash after {recipe['step']} did not happen (exit {killed.returncode})"], []
        result = run(world, ["sync"])
        state = view(api)
        problems = F.alert_problems(entry, state["alerts"]) + F.message_problems(
            entry, " ".join(str(a.get("message")) for a in state["alerts"]))  # fmt: skip
        if result.returncode != 0:
            problems.append(f"{case.code}: the resumed sync failed: {result.stderr[-300:]}")
        return problems, [("fabric_sync", "syncing", "syncing")] if not problems else []
    if kind in ("crd_missing", "crd_version_not_served"):
        cluster.use(crds_without(crds_dir, tmp, str(recipe["resource"]), kind == "crd_version_not_served"))
        try:
            result = run(world, ["sync"])
            return check_failure(case, result, view(api))
        finally:
            cluster.restore()
    if kind == "bad_input":
        try:
            bad = apply_fixture(str(recipe["fixture"]), ctx)
        except FixtureError as exc:
            return [f"{case.code}: bad_input fixture could not be made: {exc}"], []
        try:
            result = run(world, bad.command)
            if bad.command[0] == "drift":
                state = view(api)
                problems = F.alert_problems(entry, state["alerts"])
                problems += F.message_problems(
                    entry, result.stdout + " ".join(str(a.get("message")) for a in state["alerts"])
                )
                t, held = F.transition_problems(entry, state)
                r, r_held = F.resource_problems(entry, state["resources"])
                return problems + t + r, _edges(entry, held + r_held)
            return check_failure(case, result, view(api))
        finally:
            bad.undo()
    return [f"{case.code}: inject.kind {kind!r} has no executor in the live fault suite"], []


def webhook_case(
    case: F.FaultCase, world: World, ctx: FaultContext, api: StatusApi
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """A ``webhook`` recipe as GitHub would send it: the twin delivers its own signed event to the
    reference's webhook endpoint when the recipe's action happens (a sync pull request closed
    without merge); the queued reconcile is then run by a worker (``reference sync``)."""
    entry, recipe = case.entry, case.entry.inject
    if recipe.get("event") != "pull_request" or recipe.get("signature") != "valid":
        return [f"{case.code}: only a validly signed pull_request webhook is executed live (got {dict(recipe)})"], []
    open_sync_pull(ctx)
    before = snapshot(world)
    admin = httpx.Client(base_url=world.github.url, headers={"Authorization": f"Bearer {world.github.secret}"},
                         timeout=30)  # fmt: skip
    hook = {"url": f"{api.url}/webhooks/github", "secret": api.config.webhook_secret}
    admin.put("/_twin/webhook", json=hook).raise_for_status()
    try:
        queued = len(api.store.open_syncs(FABRIC))
        number = close_sync_pull(ctx)
        wait_for(lambda: len(api.store.open_syncs(FABRIC)) > queued, 10.0,
                 f"the pull_request closed delivery for #{number} to queue a reconcile")  # fmt: skip
    finally:
        admin.put("/_twin/webhook", json={"url": None}).raise_for_status()
        admin.close()
    result = run(world, ["sync"])
    state = view(api.url)
    problems = F.alert_problems(entry, state["alerts"])
    problems += F.message_problems(
        entry, _reference_lines(result) + " ".join(str(a.get("message")) for a in state["alerts"])
    )
    t_problems, held = F.transition_problems(entry, state)
    problems += t_problems + preserve_problems(case.code, entry.preserves, before, snapshot(world))
    return problems, _edges(entry, held)


def settle(world: World, api: str) -> None:
    """Bring the pull-request world back to in_sync: the required check succeeds on the open sync
    pull request (auto-merge merges it); one stuck with a failed check is merged by hand."""
    ctx_http = world.gh()
    owner = world.github.extra["owner"]
    for _ in range(4):
        fabric = view(api)["fabric"]
        if fabric["fabric_sync"]["state"] == "in_sync":
            ctx_http.close()
            return
        pulls = [p for p in ctx_http.get(f"/repos/{owner}/fabric-gitops/pulls", params={"state": "open"}).json()
                 if p["head"]["ref"] == f"hh-sync/{FABRIC}"]  # fmt: skip
        for pr in pulls:
            ctx_http.post(f"/repos/{owner}/fabric-gitops/statuses/{pr['head']['sha']}",
                          json={"state": "success", "context": REQUIRED_CHECK}).raise_for_status()  # fmt: skip
            newest = (fabric.get("pull_requests") or {}).get(str(pr["number"]), {})
            if newest.get("state") == "checks_failed":
                ctx_http.put(f"/repos/{owner}/fabric-gitops/pulls/{pr['number']}/merge", json={}).raise_for_status()
        run(world, ["sync"])
    ctx_http.close()
    raise AssertionError(f"the pull-request world did not settle in_sync: {view(api)['fabric']}")
