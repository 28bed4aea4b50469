"""`harness run --profile live` pointed at a server that is not a working NetBox, GitHub or
Kubernetes API server: exit 2 in bounded time, one message naming the target URL and what it did,
a partial report written, no traceback.

Each misbehaviour is a small server on loopback (tests/support/misbehaving.py): it resets the
connection in the middle of the body, answers malformed JSON, answers 200 with an HTML login
page, sends its body one byte a second, or accepts the connection and never answers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.misbehaving import MISBEHAVIOURS, netbox_status, serve

from harness.targets.base import TargetError
from harness.targets.github import GitHubLive
from harness.targets.kube.cluster import ClusterKube
from harness.targets.kube.kubeconfig import write_kubeconfig

ROOT = Path(__file__).resolve().parents[1]
CASES = list(MISBEHAVIOURS)
TOO_SLOW = {MISBEHAVIOURS["one-byte-a-second"][1], MISBEHAVIOURS["never-answers"][1]}


@pytest.fixture
def misbehaving(request: pytest.FixtureRequest) -> Iterator[str]:
    with serve(MISBEHAVIOURS[request.param][0]) as url:
        yield url


@pytest.fixture
def working_netbox() -> Iterator[str]:
    with serve(netbox_status) as url:
        yield url


PROBE_TIMEOUT = 2  # s: the run's --probe-timeout; the message of a server that is too slow names it


def run_live(report: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``harness run --profile live`` with a 2 s probe deadline. A run that does not end is the
    subprocess timeout's failure (a hang), well beyond any deadline the run was given."""
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--profile", "live", "--report", str(report),
         "--probe-timeout", str(PROBE_TIMEOUT), *options],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def assert_one_target_error(
    done: subprocess.CompletedProcess[str], *, target: str, url: str, said: str, report: Path
) -> None:
    assert done.returncode == 2, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("harness run: target ")]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"harness run: target {target}:"), lines[0]
    assert url in lines[0] and said in lines[0], lines[0]
    assert "Traceback" not in done.stderr
    assert (report / "report.json").is_file() and (report / "junit.xml").is_file()
    if said in TOO_SLOW:  # cut off at the run's deadline, which the message names
        assert f" {PROBE_TIMEOUT}s" in lines[0], lines[0]


@pytest.mark.parametrize("misbehaving", CASES, indirect=True)
def test_a_misbehaving_netbox_is_exit_2_with_one_message_and_a_partial_report(
    misbehaving: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    said = MISBEHAVIOURS[request.node.callspec.params["misbehaving"]][1]
    done = run_live(tmp_path, "--netbox-url", misbehaving, "--netbox-token", "not-a-real-token")
    assert_one_target_error(done, target="netbox", url=misbehaving, said=said, report=tmp_path)


@pytest.mark.parametrize("misbehaving", CASES, indirect=True)
def test_a_misbehaving_github_is_exit_2_with_one_message_and_a_partial_report(
    misbehaving: str, working_netbox: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    said = MISBEHAVIOURS[request.node.callspec.params["misbehaving"]][1]
    done = run_live(
        tmp_path / "report", "--netbox-url", working_netbox, "--netbox-token", "not-a-real-token",
        "--github-url", misbehaving, "--github-token", "not-a-real-token",
    )  # fmt: skip
    assert_one_target_error(done, target="github", url=misbehaving, said=said, report=tmp_path / "report")


@pytest.mark.parametrize("misbehaving", CASES, indirect=True)
def test_a_misbehaving_kubernetes_api_is_exit_2_with_one_message_and_a_partial_report(
    misbehaving: str, working_netbox: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    said = MISBEHAVIOURS[request.node.callspec.params["misbehaving"]][1]
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", misbehaving)
    done = run_live(
        tmp_path / "report", "--netbox-url", working_netbox, "--netbox-token", "not-a-real-token",
        "--kubeconfig", str(kubeconfig),
    )  # fmt: skip
    assert_one_target_error(done, target="kubernetes", url=misbehaving, said=said, report=tmp_path / "report")


def test_a_json_api_that_is_not_github_is_named_as_such(working_netbox: str) -> None:
    with pytest.raises(TargetError, match=r"/user answered JSON without a login: not GitHub's API"):
        GitHubLive(working_netbox, "not-a-real-token", probe_deadline_s=5).start()


def test_a_json_api_that_is_not_kubernetes_is_named_as_such(working_netbox: str, tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", working_netbox)
    with pytest.raises(TargetError, match=r"/version answered JSON without gitVersion: not a Kubernetes API server"):
        ClusterKube(kubeconfig=kubeconfig, probe_deadline_s=5).start()


@pytest.mark.parametrize("given", ["0", "-1", "soon", "nan", "inf"])
def test_a_probe_timeout_that_is_not_a_positive_number_of_seconds_is_exit_2_naming_the_option(
    given: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--profile", "live", "--report", str(tmp_path),
         f"--probe-timeout={given}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "--probe-timeout" in done.stderr and "number of seconds above 0" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
