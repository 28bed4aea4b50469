"""Fault injection in the pull-request world: the catalog entries whose outcome moves the sync
pull request (a refused merge, a conflict, a pull request closed without merge, a failed required
check) executed against the reference in pull-request mode with auto-merge and one required check.

One world per module; each test starts from in_sync and settles back to it afterwards (the
required check succeeds and auto-merge merges, or a stuck pull request is merged by hand)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.generate import faults as F
from harness.proxy.faults import PROXY_KINDS
from harness.report.events import Recorder
from harness.targets.base import Endpoint, Target
from harness.world.bad_input import REQUIRED_CHECK
from tests.live.fault_support import (
    FILES,
    SPECS,
    Cluster,
    StatusApi,
    context,
    other_case,
    proxy_case,
    pull_request_case,
    settle,
    webhook_case,
)
from tests.live.reference_world import FABRIC, ROOT, World, make_world

CASES = [c for c in F.fault_cases(SPECS, ROOT) if not c.offline and pull_request_case(c)]
WEBHOOK_SECRET = "pr-world-webhook-secret"  # a test value, never a real secret
pytestmark = [pytest.mark.live, pytest.mark.fault]


@pytest.fixture(scope="module")
def pr_world(
    netbox_target: Target, netbox: Endpoint, crds_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("faults-pr")
    for w in make_world(netbox_target, netbox, crds_dir, tmp, mode="pull_request", proxied=True):
        w.env.update({"REFERENCE_READY_TIMEOUT_S": "14", "REFERENCE_AUTO_MERGE": "true",
                      "REFERENCE_REQUIRED_CHECKS": REQUIRED_CHECK})  # fmt: skip
        first = w.reference("sync", "--fabric", FABRIC)
        assert first.returncode == 0, first.stderr
        yield w


@pytest.fixture(scope="module")
def pr_api(pr_world: World) -> Iterator[StatusApi]:
    owner = pr_world.github.extra["owner"]
    with StatusApi(pr_world, webhook_secret=WEBHOOK_SECRET, github_owner=owner, github_repo="fabric-gitops") as api:
        settle(pr_world, api.url)
        yield api


def test_pull_request_world_waits_for_the_required_check_then_auto_merges(pr_world: World, pr_api: StatusApi) -> None:
    """The baseline the fault tests start from: the first sync left its pull request waiting for the
    required check; once it succeeded, auto-merge merged it and the merged render was applied."""
    fabric = httpx.get(f"{pr_api.url}/api/v1/fabrics/{FABRIC}", timeout=10).json()
    assert fabric["fabric_sync"]["state"] == "in_sync"
    assert {pr["state"] for pr in fabric["pull_requests"].values()} == {"merged"}
    files = pr_world.repo_files()
    assert files and len(files) == len(pr_world.cluster_objects())


@pytest.mark.parametrize("case", [pytest.param(c, id=c.element) for c in CASES])
def test_pull_request_fault_recipe(  # noqa: PLR0917 - pytest passes fixtures positionally
    case: F.FaultCase, pr_world: World, pr_api: StatusApi, crds_dir: Path, tmp_path: Path, recorder: Recorder
) -> None:
    cluster = Cluster(pr_world, tmp_path)
    ctx = context(pr_world, cluster, crds_dir)
    try:
        if case.kind in PROXY_KINDS:
            problems, edges = proxy_case(case, pr_world, ctx, pr_api.url)
        elif case.kind == "webhook":
            problems, edges = webhook_case(case, pr_world, ctx, pr_api)
        else:
            problems, edges = other_case(
                case, pr_world, ctx, cluster=cluster, crds_dir=crds_dir, tmp=tmp_path, api=pr_api.url
            )
    finally:
        for proxy in pr_world.proxies.values():
            proxy.clear_faults()
        cluster.restore()
    F.record_case(recorder, case, list(problems), edges, FILES)
    assert not problems, "\n".join(problems)
    settle(pr_world, pr_api.url)
