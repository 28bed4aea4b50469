"""Shared fixtures: where the project and the real Hedgehog CRDs are, and the session's NetBox.

``netbox`` is the managed real NetBox (started through the Python API, warm from the dump cache
after the first run), or an existing one when HARNESS_NETBOX_URL and HARNESS_NETBOX_TOKEN are set.
A NetBox this session started is stopped at the end; one that was already running is left running.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.report.events import Recorder
from harness.targets.base import Endpoint, Target
from harness.targets.netbox.live import auth_header

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def crds_dir() -> Path:
    """The real Hedgehog CRDs (../shared/hedgehog-crds, or $HARNESS_CRDS_DIR). Missing is an error, not a skip."""
    path = Path(os.environ.get("HARNESS_CRDS_DIR", ROOT.parent / "shared" / "hedgehog-crds"))
    if not path.is_dir():
        pytest.fail(f"the Hedgehog CRDs are expected at {path}; set HARNESS_CRDS_DIR to their directory")
    return path


@pytest.fixture(scope="session")
def netbox_target(harness_netbox_target: Target) -> Target:
    """The session's NetBox Target (the harness plugin's, so the generated suites share it)."""
    return harness_netbox_target


@pytest.fixture(scope="session")
def netbox(harness_netbox: Endpoint) -> Endpoint:
    """The NetBox endpoint: ``url`` and the API token in ``secret``."""
    return harness_netbox


@pytest.fixture
def netbox_http(netbox: Endpoint) -> Iterator[httpx.Client]:
    """An httpx client bound to the NetBox API, authenticated with the token."""
    assert netbox.secret is not None
    headers = {**auth_header(netbox.secret), "Accept": "application/json"}
    with httpx.Client(base_url=netbox.url, headers=headers, timeout=30.0) as client:
        yield client


@pytest.fixture(scope="session")
def recorder(harness_recorder: Recorder) -> Recorder:
    """The harness plugin's coverage recorder, under the short name the suites use."""
    return harness_recorder
