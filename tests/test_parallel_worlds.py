"""Live worlds side by side: each xdist worker manages its own NetBox, world kinds are xdist groups,
and NetBox installs and migrations of instances started at once are serialised by a lock."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from harness.suites import live_group
from harness.targets.base import wait_for
from harness.targets.netbox.managed import _exclusive

pytest_plugins = ["pytester"]


def test_each_world_kind_is_a_group_of_its_own_with_the_managed_netbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_NETBOX_URL", raising=False)
    assert {live_group(k) for k in ("model", "pull_request")} == {"live-world-model", "live-world-pull_request"}
    assert live_group(None) == "live-world"


def test_the_direct_world_is_dealt_round_robin_into_two_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_NETBOX_URL", raising=False)
    assert [live_group("direct", i) for i in range(4)] == [
        "live-world-direct-0", "live-world-direct-1", "live-world-direct-0", "live-world-direct-1"]  # fmt: skip


def test_with_a_given_netbox_every_live_item_is_in_one_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_NETBOX_URL", "http://netbox.example:8000")
    assert {live_group(k, i) for k in ("direct", "model", "pull_request", None) for i in range(3)} == {"live-world"}


PORTS = """
import os
from pathlib import Path

import pytest

from harness.pytest_plugin import managed_netbox_port


@pytest.mark.parametrize("n", range(8))
def test_port(n, request):
    (Path(os.environ["PORTS_SEEN"]) / f"port-{managed_netbox_port(request.config)}").touch()
"""


def test_each_xdist_worker_manages_a_netbox_on_its_own_port(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytester.makepyfile(PORTS)
    monkeypatch.setenv("HARNESS_NETBOX_PORT", "9100")
    monkeypatch.setenv("PORTS_SEEN", str(tmp_path))
    result = pytester.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=8)
    assert sorted(p.name for p in tmp_path.glob("port-*")) == ["port-9100", "port-9200"]


GROUPS = """
import os
from pathlib import Path

import pytest


def _seen(group, n):
    (Path(os.environ["WORKERS_SEEN"]) / f"{group}-{n}").write_text(os.environ["PYTEST_XDIST_WORKER"])


@pytest.mark.xdist_group("live-world-direct")
@pytest.mark.parametrize("n", range(6))
def test_direct(n):
    _seen("live-world-direct", n)


@pytest.mark.xdist_group("live-world-model")
@pytest.mark.parametrize("n", range(6))
def test_model(n):
    _seen("live-world-model", n)
"""


def test_an_xdist_group_runs_on_one_worker(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:  # fmt: skip
    """The world kinds rely on --dist loadgroup keeping a group on one worker (pytest 9.2 with
    pytest-xdist 3.8 silently stopped doing so: pytest-dev/pytest-xdist#1386)."""
    pytester.makepyfile(GROUPS)
    monkeypatch.setenv("WORKERS_SEEN", str(tmp_path))
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadgroup", "-p", "no:harness")
    result.assert_outcomes(passed=12)
    for group in ("live-world-direct", "live-world-model"):
        workers = {p.read_text() for p in tmp_path.glob(f"{group}-*")}
        assert len(workers) == 1, f"the items of {group} ran on {sorted(workers)}"


def test_a_second_install_waits_for_the_lock_and_then_proceeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "install.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys\nf = open(sys.argv[1], 'a')\nfcntl.flock(f, fcntl.LOCK_EX)\n"
         "print('held', flush=True)\nsys.stdin.readline()", str(lock)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        entered = threading.Event()

        def install() -> None:
            with _exclusive(lock, "installing NetBox"):
                entered.set()

        thread = threading.Thread(target=install, daemon=True)
        thread.start()
        seen: list[str] = []
        wait_for(lambda: bool(seen.append(capsys.readouterr().err) or "waiting for another" in "".join(seen)), 10.0,
                 "the waiting message")  # fmt: skip
        assert not entered.is_set()  # it announced the wait and is blocked on the lock
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(10)
    assert entered.wait(10), "the lock was released but the second install never entered"
    thread.join(10)


def test_the_live_schedule_names_every_world_kind_once() -> None:
    from harness.suites import SCHEDULE  # noqa: PLC0415
    from harness.world.pool import KINDS  # noqa: PLC0415

    assert sorted(SCHEDULE) == sorted(KINDS) and len(SCHEDULE) == len(set(SCHEDULE))
