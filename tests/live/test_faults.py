"""Fault injection against the live world: every error-catalog entry that needs NetBox has its
``inject`` recipe executed (proxy recipe, crash, missing CRD, bad input, webhook after a sync)
and the reference's reaction checked against the entry's ``outcome``: retries and their
spacing, transitions in the status API, the alert, the code in the surfaced message, and what
must be preserved (NetBox intent, Git history, cluster objects).

One world per module (NetBox reset + fabric build once); each test restores the baseline with
a clean sync afterwards. Recipes that cannot be executed faithfully fail with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.generate import faults as F
from harness.proxy.faults import PROXY_KINDS
from harness.report.events import Recorder
from harness.targets.base import Endpoint, Target
from tests.live.fault_support import (
    FILES,
    SLOW,
    SPECS,
    Cluster,
    StatusApi,
    context,
    other_case,
    preserve_problems,
    proxy_case,
    pull_request_case,
    run,
    snapshot,
)
from tests.live.reference_world import FABRIC, ROOT, World, make_world

# Entries whose outcome moves the sync pull request run in the pull-request world (test_faults_pr.py).
CASES = [c for c in F.fault_cases(SPECS, ROOT) if not c.offline and not pull_request_case(c)]
pytestmark = [pytest.mark.live, pytest.mark.fault]


@pytest.fixture(scope="module")
def world(
    netbox_target: Target, netbox: Endpoint, crds_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("faults")
    for w in make_world(netbox_target, netbox, crds_dir, tmp, proxied=True):
        w.env["REFERENCE_READY_TIMEOUT_S"] = "14"  # > the 10 s slow controller of HH-K8S-007
        first = w.reference("sync", "--fabric", FABRIC)
        assert first.returncode == 0, first.stderr
        yield w


@pytest.fixture(scope="module")
def status_api(world: World) -> Iterator[str]:
    """The reference's status API over the world's state file (what an operator reads)."""
    with StatusApi(world) as api:
        yield api.url


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
