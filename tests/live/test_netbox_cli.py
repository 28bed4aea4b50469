"""``harness up netbox`` / ``harness down netbox`` as a user runs them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from harness.targets.base import Endpoint, Target
from harness.targets.netbox import ManagedNetBox

pytestmark = pytest.mark.live


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI; HARNESS_NETBOX_* are dropped so the command acts on the managed NetBox."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_NETBOX_")}
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )


def test_up_prints_one_json_object_for_the_running_instance(netbox_target: Target, netbox: Endpoint) -> None:
    if not isinstance(netbox_target, ManagedNetBox):
        pytest.skip("needs the managed NetBox: HARNESS_NETBOX_URL points at an existing one")
    before = netbox_target.pids()
    result = _harness("up", "netbox", "--port", str(netbox_target.port))
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["url"] == netbox.url
    token_file = Path(printed["token_file"])
    assert token_file.read_text().strip() == netbox.secret
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert result.stdout.count("\n") == 1
    assert netbox.secret is not None and netbox.secret not in result.stdout + result.stderr
    assert netbox_target.pids() == before


def test_up_on_a_taken_port_exits_2_with_advice(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = _harness("up", "netbox", "--port", str(port), "--home", str(tmp_path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"127.0.0.1:{port} is already in use" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_up_with_an_unreachable_existing_netbox_exits_2(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        result = _harness("up", "netbox", "--netbox-url", f"http://127.0.0.1:{port}", "--netbox-token", "x")
    assert result.returncode == 2
    assert "unreachable" in result.stderr
    assert "Traceback" not in result.stderr


def test_down_when_nothing_runs_succeeds(tmp_path: Path) -> None:
    result = _harness("down", "netbox", "--home", str(tmp_path))
    assert result.returncode == 0, result.stderr


def test_prepare_names_the_cached_dump_and_leaves_nothing_running(netbox_target: Target) -> None:
    """What CI runs beside its offline tier: on a warm cache it only confirms the dump."""
    if not isinstance(netbox_target, ManagedNetBox):
        pytest.skip("needs the managed NetBox: HARNESS_NETBOX_URL points at an existing one")
    port = 8790  # the instance make test prepares the plain NetBox's dump with (a fixed one: no strays)
    result = _harness("up", "netbox", "--prepare", "--port", str(port))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"dump": str(netbox_target.dump_path)}
    assert netbox_target.dump_path.is_file()
    assert ManagedNetBox(port=port).pids() == {"gunicorn": None, "redis": None, "postgres": None}


def test_prepare_of_an_existing_netbox_exits_2(tmp_path: Path) -> None:
    result = _harness("up", "netbox", "--prepare", "--netbox-url", "http://127.0.0.1:9", "--netbox-token", "x")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "needs no preparing" in result.stderr and "Traceback" not in result.stderr
