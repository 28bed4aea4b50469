"""The reference integration against a real NetBox: `reference init` is idempotent, the end-to-end test
fabric renders manifests our Kubernetes contracts and the real Hedgehog CRDs accept, and importing
those manifests into an empty NetBox renders the same bytes again.

Each test starts from a reset NetBox (the managed one: a live NetBox given by HARNESS_NETBOX_URL
cannot be reset, and these tests fail saying so).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hh_reference.errors import IntegrationError
from hh_reference.importer import import_manifests
from hh_reference.manifests import load_all, to_files
from hh_reference.naming import manifest_path
from hh_reference.netbox import NetBox
from hh_reference.render import render_fabric
from hh_reference.setup import check_setup, ensure_setup
from hh_reference.specs import load_catalog

from harness.kube.admission import check_manifest_object
from harness.kube.crds import CrdRegistry
from harness.targets.base import Endpoint, Target
from harness.world.fabric import SITE, BuiltFabric, build_fabric

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def client(netbox: Endpoint, project_root: Path) -> Iterator[NetBox]:
    assert netbox.secret is not None
    nb = NetBox.connect(netbox.url, netbox.secret, load_catalog(project_root))
    yield nb
    nb.close()


@dataclass
class Rendered:
    built: BuiltFabric
    files: dict[str, bytes]


@pytest.fixture(scope="module")
def rendered(netbox_target: Target, client: NetBox) -> Rendered:
    """Reset NetBox, run init, build the test fabric, read it back and render it (once per module)."""
    netbox_target.reset()
    ensure_setup(client)
    built = build_fabric(client)
    files = to_files("fabrics", SITE, render_fabric(client.read_fabric(SITE)))
    return Rendered(built, files)


def test_init_creates_everything_once_and_check_setup_agrees(netbox_target: Target, client: NetBox) -> None:
    netbox_target.reset()
    with pytest.raises(IntegrationError) as missing:
        check_setup(client)
    assert missing.value.code == "HH-NB-004"
    assert "custom field hh_connection is missing" in missing.value.message
    first = ensure_setup(client)
    assert "custom field hh_vpc_subnets" in first
    assert "device role hedgehog-switch" in first
    assert "tag hh-fabric" in first
    assert ensure_setup(client) == []
    check_setup(client)


def _kinds(files: dict[str, bytes]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for data in files.values():
        obj = load_all(data)[0]
        out.setdefault(obj["kind"], set()).add(obj["metadata"]["name"])
    return out


def test_the_fabric_renders_every_object_it_was_built_with(rendered: Rendered) -> None:
    built, kinds = rendered.built, _kinds(rendered.files)
    assert kinds["Switch"] == set(built.switches)
    assert kinds["Server"] == set(built.servers)
    assert kinds["SwitchGroup"] == set(built.switch_groups)
    assert kinds["Connection"] == set(built.connections)
    assert kinds["VPC"] == set(built.vpcs)
    assert kinds["VPCAttachment"] == set(built.attachments)
    assert kinds["VLANNamespace"] and kinds["IPv4Namespace"]
    assert {"unbundled", "bundled", "mclag", "eslag", "fabric", "mclagDomain"} == set(built.connections.values())
    for path, data in rendered.files.items():
        obj = load_all(data)[0]
        if obj["kind"] == "Connection":
            assert next(iter(obj["spec"])) == built.connections[obj["metadata"]["name"]], path


def test_rendered_manifests_satisfy_the_contracts_and_the_real_crds(
    rendered: Rendered, project_root: Path, crds_dir: Path
) -> None:
    schemas: dict[str, Any] = {}
    for path in sorted((project_root / "contracts" / "kubernetes").glob("*.yaml")):
        for resource in yaml.safe_load(path.read_text())["resources"]:
            schemas[resource["kind"]] = resource["schema"]
    registry = CrdRegistry()
    registry.load_paths([crds_dir])
    for path, data in rendered.files.items():
        obj = load_all(data)[0]
        jsonschema.validate(obj, schemas[obj["kind"]], cls=jsonschema.Draft202012Validator)
        report = check_manifest_object(registry, obj, path)
        assert report.ok, (path, report.errors)
        assert path == manifest_path("fabrics", SITE, obj["kind"], obj["metadata"]["name"])


def test_import_round_trip_gives_the_same_bytes(
    rendered: Rendered, netbox_target: Target, client: NetBox, tmp_path: Path
) -> None:
    for path, data in rendered.files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    netbox_target.reset()
    ensure_setup(client)
    report = import_manifests(client, SITE, tmp_path / "fabrics" / SITE)
    assert report.ok, report.problems
    assert sum(report.imported.values()) == len(rendered.files)
    again = to_files("fabrics", SITE, render_fabric(client.read_fabric(SITE)))
    assert sorted(again) == sorted(rendered.files)
    assert again == rendered.files
