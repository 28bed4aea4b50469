"""The NetBox target against a real NetBox: token auth, CRUD through the API, reset, idempotent up, down."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import httpx
import pytest

from harness.targets.base import Endpoint, Target
from harness.targets.netbox import ManagedNetBox
from harness.targets.netbox.managed import DEFAULT_PORT, DEFAULT_VERSION
from harness.targets.netbox.processes import alive

pytestmark = pytest.mark.live

# A second managed instance beside the session's one, on its own fixed port so reruns reuse it (clear of
# 8766, where the HNP tier runs its NetBox with the plugin)
SECOND_PORT = DEFAULT_PORT + 10


@pytest.fixture
def managed(netbox_target: Target) -> ManagedNetBox:
    if not isinstance(netbox_target, ManagedNetBox):
        pytest.skip("needs the managed NetBox: HARNESS_NETBOX_URL points at an existing one")
    return netbox_target


def _create_device(client: httpx.Client) -> dict[str, object]:
    """Site, manufacturer, device type, device role and device; returns the created device."""
    tag = uuid.uuid4().hex[:8]

    def post(path: str, body: dict[str, object]) -> dict[str, object]:
        response = client.post(path, json=body)
        assert response.status_code == 201, f"POST {path}: {response.status_code} {response.text}"
        created: dict[str, object] = response.json()
        return created

    site = post("/api/dcim/sites/", {"name": f"site-{tag}", "slug": f"site-{tag}"})
    maker = post("/api/dcim/manufacturers/", {"name": f"maker-{tag}", "slug": f"maker-{tag}"})
    dtype = post(
        "/api/dcim/device-types/", {"manufacturer": maker["id"], "model": f"model-{tag}", "slug": f"model-{tag}"}
    )
    role = post("/api/dcim/device-roles/", {"name": f"role-{tag}", "slug": f"role-{tag}", "color": "00ff00"})
    return post(
        "/api/dcim/devices/",
        {"name": f"leaf-{tag}", "site": site["id"], "device_type": dtype["id"], "role": role["id"], "status": "active"},
    )


def test_status_answers_200_with_the_token(netbox_http: httpx.Client, netbox_target: Target) -> None:
    response = netbox_http.get("/api/status/")
    assert response.status_code == 200
    if isinstance(netbox_target, ManagedNetBox):
        assert response.json()["netbox-version"].startswith(DEFAULT_VERSION)


def test_status_without_token_is_403(netbox: Endpoint) -> None:
    response = httpx.get(f"{netbox.url}/api/status/", timeout=30.0)
    assert response.status_code == 403


def test_status_with_a_wrong_token_is_403(netbox: Endpoint) -> None:
    wrong = "nbt_aaaaaaaaaaaa." + "b" * 40
    response = httpx.get(f"{netbox.url}/api/status/", headers={"Authorization": f"Bearer {wrong}"}, timeout=30.0)
    assert response.status_code == 403


def test_created_device_reads_back(netbox_http: httpx.Client) -> None:
    device = _create_device(netbox_http)
    response = netbox_http.get(f"/api/dcim/devices/{device['id']}/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == device["name"]
    assert body["status"]["value"] == "active"
    assert body["site"]["id"] == device["site"]["id"]  # type: ignore[index]


def test_reset_removes_created_objects_and_keeps_the_token(managed: ManagedNetBox, netbox_http: httpx.Client) -> None:
    device = _create_device(netbox_http)
    managed.reset()
    assert netbox_http.get(f"/api/dcim/devices/{device['id']}/").status_code == 404
    assert netbox_http.get("/api/dcim/devices/").json()["count"] == 0
    assert netbox_http.get("/api/dcim/sites/").json()["count"] == 0
    assert netbox_http.get("/api/status/").status_code == 200


def test_the_token_appears_in_no_log(managed: ManagedNetBox, netbox: Endpoint) -> None:
    assert netbox.secret is not None
    secret_part = netbox.secret.split(".", 1)[1]
    logs = list(managed.instance_dir.joinpath("logs").glob("*"))
    assert logs, "expected log files under the instance directory"
    for log in logs:
        assert secret_part not in log.read_text(encoding="utf-8", errors="replace"), log


@pytest.fixture(scope="module")
def second() -> Iterator[ManagedNetBox]:
    """Another managed instance (same home: venv and dump cache shared), stopped afterwards."""
    if os.environ.get("HARNESS_NETBOX_URL"):
        pytest.skip("needs the managed NetBox: HARNESS_NETBOX_URL points at an existing one")
    target = ManagedNetBox(port=SECOND_PORT)
    target.start()
    yield target
    target.stop()


def test_second_up_reuses_the_running_instance(second: ManagedNetBox) -> None:
    before = second.pids()
    again = ManagedNetBox(port=SECOND_PORT).start()
    assert again.url == second.url
    assert again.secret == second.token
    assert ManagedNetBox(port=SECOND_PORT).pids() == before
    assert all(pid is not None for pid in before.values())


def test_down_stops_every_process(second: ManagedNetBox) -> None:
    pids = second.pids()
    assert all(pid is not None for pid in pids.values()), pids
    second.stop()
    assert [name for name, pid in pids.items() if pid is not None and alive(pid)] == []
    assert ManagedNetBox(port=SECOND_PORT).pids() == {"gunicorn": None, "redis": None, "postgres": None}
    assert not second.healthy()
