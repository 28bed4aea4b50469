"""Fault injection against the live world: every error-catalog entry that needs NetBox has its
``inject`` recipe executed (proxy recipe, crash, missing CRD, bad input, webhook after a sync)
and the reference's reaction checked against the entry's ``outcome``: retries and their
spacing, transitions in the status API, the alert, the code in the surfaced message, and what
must be preserved (NetBox intent, Git history, cluster objects).

One world per module (NetBox reset + fabric build once); each test restores the baseline with
a clean sync afterwards. Recipes that cannot be executed faithfully fail with the reason."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hh_reference.api import BackgroundServer, JournalSyncTrigger, create_app
from hh_reference.config import Config
from hh_reference.machines import StateMachineRegistry
from hh_reference.specs import load_catalog
from hh_reference.store import Store

from harness.bindings.reference_faults import PRECONDITIONS, FaultContext, FixtureError, apply_fixture
from harness.generate import faults as F
from harness.proxy.faults import PROXY_KINDS
from harness.proxy.server import ContractProxy
from harness.report.events import Recorder
from harness.targets.base import Endpoint, Target, free_port, wait_for
from harness.targets.kube.controller import Outcome
from harness.targets.kube.kubeconfig import write_kubeconfig
from harness.targets.kube.local import LocalKube
from tests.live.reference_world import FABRIC, ROOT, World, make_world
from tests.test_faults_offline import SPECS

CASES = [c for c in F.fault_cases(SPECS, ROOT) if not c.offline]
FILES = F.machine_files(SPECS, ROOT)
SLOW = {"HH-NET-002", "HH-NET-011", "HH-NET-021"}  # a 12 s hold per faulted attempt
pytestmark = [pytest.mark.live, pytest.mark.fault]


@pytest.fixture(scope="module")
def world(
    netbox_target: Target, netbox: Endpoint, crds_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("faults")
    for w in make_world(netbox_target, netbox, crds_dir, tmp, proxied=True):
        w.env["REFERENCE_READY_TIMEOUT_S"] = "5"
        first = w.reference("sync", "--fabric", FABRIC)
        assert first.returncode == 0, first.stderr
        yield w


@pytest.fixture(scope="module")
def status_api(world: World) -> Iterator[str]:
    """The reference's status API over the world's state file (what an operator reads)."""
    port = free_port()
    cfg = Config(state_db=Path(world.env["REFERENCE_STATE_DB"]), spec_root=ROOT, listen_port=port)
    store = Store(cfg.state_db, StateMachineRegistry(ROOT), load_catalog(ROOT))
    server = BackgroundServer(create_app(cfg, store, JournalSyncTrigger(store)), "127.0.0.1", port)
    server.start()
    wait_for(lambda: server.started, 10.0, "the reference status API to start")
    yield f"http://127.0.0.1:{port}"
    server.stop()
    store.close()


def view(url: str) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=10) as c:
        return {
            "fabric": c.get(f"/api/v1/fabrics/{FABRIC}").json(),
            "resources": c.get(f"/api/v1/fabrics/{FABRIC}/resources").json().get("resources", []),
            "alerts": c.get("/api/v1/alerts", params={"state": "active"}).json()["alerts"],
        }


class Cluster:
    """Swaps the cluster the reference talks to (a fresh stand-in behind its own proxy)."""

    def __init__(self, world: World, tmp: Path) -> None:
        self.world, self.tmp = world, tmp
        self.original = world.env["REFERENCE_KUBECONFIG"]
        self.started: list[tuple[LocalKube, ContractProxy]] = []

    def use(self, crds: Path, outcome: Outcome = Outcome.READY) -> None:
        kube = LocalKube(crds=[crds], ready_delay=0.05, outcome=outcome)
        endpoint = kube.start()
        proxy = ContractProxy(endpoint.url, SPECS, "kubernetes").start()
        self.started.append((kube, proxy))
        path = write_kubeconfig(self.tmp / f"kubeconfig-{len(self.started)}", proxy.url)
        self.world.env["REFERENCE_KUBECONFIG"] = str(path)
        self.world.env["REFERENCE_KUBE_CONTEXT"] = endpoint.extra["context"]

    def restore(self) -> None:
        self.world.env["REFERENCE_KUBECONFIG"] = self.original
        self.world.env["REFERENCE_KUBE_CONTEXT"] = self.world.kube.extra["context"]
        for kube, proxy in self.started:
            proxy.stop()
            kube.stop()
        self.started.clear()


def crds_without(source: Path, tmp: Path, resource: str, unserve: bool) -> Path:
    """A copy of the real CRDs lacking ``resource`` (plural.group), or with its v1beta1 not served."""
    out = tmp / "crds"
    out.mkdir(exist_ok=True)
    for path in source.glob("*.yaml"):
        if path.name == f"{resource.split('.', 1)[1]}_{resource.split('.', 1)[0]}.yaml":
            if not unserve:
                continue
            doc = yaml.safe_load(path.read_text())
            for version in doc["spec"]["versions"]:
                if version["name"] == "v1beta1":
                    version["served"] = False
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

    def use_cluster(outcome: Outcome | None) -> None:
        if outcome is None:
            cluster.restore()
        else:
            cluster.use(crds_dir, outcome)

    owner = world.github.extra["owner"]
    return FaultContext(FABRIC, world.netbox.url, world.netbox.secret or "", world.github.url,
                        world.github.secret or "", owner, "fabric-gitops", world.env["REFERENCE_KUBECONFIG"],
                        drive_to_error, use_cluster)  # fmt: skip


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
    injection = proxy.inject(recipe, code=case.code)
    result = run(world, ["sync"])
    proxy.clear_faults()
    problems = [f"{case.code}: the concurrent commit failed: {f}" for f in injection.failures]
    problems += preserve_problems(case.code, entry.preserves, before, snapshot(world))
    if injection.fired == 0:
        return [f"{case.code}: the recipe's operation {recipe['operation']} was never called by `reference sync` "
                "(the recipe cannot be executed against this integration)"], []  # fmt: skip
    times = times_of(recipe)
    same_body = recipe["kind"] != "git_concurrent_update" and recipe["operation"] != "github.git.update_ref"
    attempts = F.first_call(proxy.exchanges, recipe["operation"], case.code, same_body=same_body)
    problems += F.retry_problems(entry, attempts, times, injection.fired_at)
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
    exhausted = proxy.inject({**recipe, "times": "always"}, code=case.code)
    result = run(world, ["sync"])
    proxy.clear_faults()
    attempts = F.first_call(proxy.exchanges, recipe["operation"], case.code, same_body=same_body)
    problems += F.retry_problems(entry, attempts, None, exhausted.fired_at)
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


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.element, marks=[pytest.mark.slow] if c.code in SLOW else []) for c in CASES]
)
def test_fault_recipe(  # noqa: PLR0917 - pytest passes fixtures positionally
    case: F.FaultCase, world: World, status_api: str, crds_dir: Path, tmp_path: Path,
                      recorder: Recorder) -> None:  # fmt: skip
    cluster = Cluster(world, tmp_path)
    ctx = context(world, cluster, crds_dir)
    before = snapshot(world)
    try:
        if case.kind in PROXY_KINDS:
            problems, edges = proxy_case(case, world, ctx, status_api)
        elif case.kind == "webhook":
            problems, edges = [f"{case.code}: the pull-request webhook recipe needs a pull-request-mode world, "
                               "which this suite does not build yet"], []  # fmt: skip
        else:
            problems, edges = other_case(
                case, world, ctx, cluster=cluster, crds_dir=crds_dir, tmp=tmp_path, api=status_api
            )
        if case.kind not in ("bad_input", *PROXY_KINDS):
            problems += preserve_problems(case.code, case.entry.preserves, before, snapshot(world))
    finally:
        for proxy in world.proxies.values():
            proxy.clear_faults()
        cluster.restore()
        heal = run(world, ["sync"])
    record_problems = list(problems)
    F.record_case(recorder, case, record_problems, edges, FILES)
    assert not problems, "\n".join(problems)
    assert heal.returncode == 0, f"the clean sync after {case.code} failed: {heal.stderr[-500:]}"
