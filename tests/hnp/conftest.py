"""The HNP tier: the Hedgehog NetBox Plugin installed into a managed NetBox, the Kubernetes
stand-in behind the contract proxy, and HNP reached only through its adapter (adapters/hnp).

Settings (environment):
  HARNESS_HNP_PLUGIN       the HNP archive (default ../shared/hnp/hh-netbox-plugin-607a728.tar.gz
                           beside the repository; upgrading HNP is a change of this path only)
  HARNESS_HNP_NETBOX_PORT  the managed NetBox's port (default 8766, so the live tier's 8765 is untouched)
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hh_hnp_harness.client import HNPClient
from hh_hnp_harness.configure import LOGIN_USER, delete_login_user, ensure_fabric, ensure_login_user
from hh_hnp_harness.findings import Observed, archive_digest, pinned_archive

from harness.adapter import Adapter, Endpoints, available_adapters, load_adapter
from harness.proxy.server import ContractProxy
from harness.targets.base import Endpoint, running_for_session
from harness.targets.kube.local import LocalKube
from harness.targets.netbox.managed import ManagedNetBox

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PLUGIN = ROOT.parent / "shared" / "hnp" / "hh-netbox-plugin-607a728.tar.gz"
DEFAULT_PORT = 8766
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.hnp)
            item.add_marker(pytest.mark.live)


@pytest.fixture(scope="session")
def hnp_plugin() -> Path:
    path = Path(os.environ.get("HARNESS_HNP_PLUGIN", DEFAULT_PLUGIN))
    if not path.is_file():
        pytest.fail(f"the HNP archive is expected at {path}; set HARNESS_HNP_PLUGIN to it")
    return path


@pytest.fixture(scope="session")
def hnp_netbox_target(hnp_plugin: Path) -> Iterator[ManagedNetBox]:
    """NetBox with HNP installed and enabled. When this session starts it, it starts from the freshly
    migrated database (what earlier sessions created is gone) and is stopped at the end; one someone
    started before is used and left as it is."""
    port = int(os.environ.get("HARNESS_HNP_NETBOX_PORT", DEFAULT_PORT))
    netbox = ManagedNetBox(port=port, plugins=[hnp_plugin])
    started_here = not netbox.healthy()
    with running_for_session(netbox) as target:
        if started_here:
            target.reset()
        yield target


@pytest.fixture(scope="session")
def hnp_netbox(hnp_netbox_target: ManagedNetBox) -> Endpoint:
    return hnp_netbox_target.endpoint()


@pytest.fixture(scope="session")
def kube_standin_endpoint(crds_dir: Path) -> Iterator[tuple[LocalKube, Endpoint]]:
    kube = LocalKube(crds=[crds_dir], ready_delay=0.0)
    endpoint = kube.start()
    yield kube, endpoint
    kube.stop()


@pytest.fixture(scope="session")
def kube_standin(kube_standin_endpoint: tuple[LocalKube, Endpoint]) -> LocalKube:
    return kube_standin_endpoint[0]


@pytest.fixture(scope="session")
def kube_url(kube_standin_endpoint: tuple[LocalKube, Endpoint]) -> str:
    """The stand-in itself (the harness writes the cluster's objects here, not through the proxy)."""
    return kube_standin_endpoint[1].url.rstrip("/")


@pytest.fixture(scope="session")
def kube_proxy_session(kube_url: str, harness_specs: Any) -> Iterator[ContractProxy]:
    proxy = ContractProxy(kube_url, harness_specs, "kubernetes").start()
    yield proxy
    proxy.stop()


@pytest.fixture
def kube_proxy(kube_proxy_session: ContractProxy, kube_standin: LocalKube) -> ContractProxy:
    """The proxy HNP's fabric points at, with an empty cluster, no faults and no record."""
    kube_standin.reset()
    kube_proxy_session.clear_faults()
    kube_proxy_session.clear()
    return kube_proxy_session


@pytest.fixture(scope="session")
def hnp_login(hnp_netbox: Endpoint) -> Iterator[tuple[str, str]]:
    """A NetBox user of this session's own (username, password): a shared one would have its
    sessions ended by another run resetting its password."""
    assert hnp_netbox.secret is not None
    username = f"{LOGIN_USER}-{uuid.uuid4().hex[:8]}"
    yield username, ensure_login_user(hnp_netbox.url, hnp_netbox.secret, username)
    delete_login_user(hnp_netbox.url, hnp_netbox.secret, username)


@pytest.fixture(scope="session")
def hnp_adapter(request: pytest.FixtureRequest) -> Adapter:
    """``--harness-adapter`` (``harness run --adapter``), else the entry point ``hnp`` when adapters/hnp is
    installed (the hnp tox env), else the package by module path (a source checkout)."""
    given = request.config.getoption("--harness-adapter", default=None)
    return load_adapter(given or ("hnp" if "hnp" in available_adapters() else "hh_hnp_harness"))


@pytest.fixture
def hnp_endpoints(
    hnp_netbox: Endpoint, hnp_login: tuple[str, str], kube_proxy: ContractProxy, tmp_path: Path
) -> Endpoints:
    assert hnp_netbox.secret is not None
    return Endpoints(
        netbox_url=hnp_netbox.url,
        netbox_token=hnp_netbox.secret,
        workdir=tmp_path,
        settings={"login_user": hnp_login[0], "login_password": hnp_login[1], "kube_server": kube_proxy.url},
    )


@pytest.fixture
def hnp(hnp_endpoints: Endpoints) -> Iterator[HNPClient]:
    client = HNPClient(
        hnp_endpoints.netbox_url,
        hnp_endpoints.netbox_token,
        hnp_endpoints.settings["login_user"],
        hnp_endpoints.settings["login_password"],
    )
    yield client
    client.close()


@pytest.fixture
def fabric(hnp: HNPClient, kube_proxy: ContractProxy) -> dict[str, Any]:
    """A fresh HNP fabric (unique name) whose Kubernetes server is the contract proxy."""
    return ensure_fabric(hnp, f"hh-{uuid.uuid4().hex[:8]}", kube_proxy.url)


_OBSERVED: list[Observed] = []  # every check's observations, written out at the end of the session
_ARCHIVE: dict[str, str] = {}


@pytest.fixture(scope="session")
def hnp_pinned(hnp_plugin: Path) -> bool:
    """Whether HNP is the archive expected_findings.yaml was recorded on (else differences only warn)."""
    _ARCHIVE.update(name=hnp_plugin.name, sha256=archive_digest(hnp_plugin))
    return _ARCHIVE["sha256"] == pinned_archive()


@pytest.fixture
def findings(request: pytest.FixtureRequest, hnp_pinned: bool) -> Observed:
    """What this check observes; ``findings.verify()`` ends the check against expected_findings.yaml."""
    observed = Observed(request.node.name, pinned=hnp_pinned)
    _OBSERVED.append(observed)
    return observed


def pytest_sessionfinish(session: pytest.Session) -> None:
    """With a report directory: ``hnp-findings.yaml``, what every check observed on this archive (the
    record to pin after an upgrade: compare it with expected_findings.yaml)."""
    out = session.config.getoption("--harness-report", None)
    if out is None or not _OBSERVED:
        return
    observed = {o.check: dict(sorted(o.found.items())) for o in sorted(_OBSERVED, key=lambda o: o.check)}
    document = {"archive": _ARCHIVE.get("name"), "archive_sha256": _ARCHIVE.get("sha256"), "observed": observed}
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / "hnp-findings.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``k8s_error``: each entry of specs/errors/kubernetes.yaml that moves a connection or sync state."""
    if "k8s_error" not in metafunc.fixturenames:
        return
    from harness.spec.loader import load_specs  # noqa: PLC0415
    from harness.spec.project import schema_dir  # noqa: PLC0415

    catalog = ROOT / "specs" / "errors" / "kubernetes.yaml"
    specs = load_specs([catalog], schema_dir(ROOT), ROOT).specs
    entries = [
        e
        for c in specs.catalogs
        for e in c.errors
        if any(t.machine in ("connection_status", "fabric_sync") for t in e.transitions)
    ]
    metafunc.parametrize("k8s_error", entries, ids=[e.code for e in entries])
