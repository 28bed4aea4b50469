"""End to end on the local targets: a fabric built in a real NetBox is synced by the reference
integration (`reference sync`) to the GitHub twin and the Kubernetes stand-in with the real CRDs."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml

from harness.kube.admission import check_manifest_object
from harness.spec.loader import load_specs
from harness.spec.project import schema_dir
from harness.targets.base import Endpoint, Target
from harness.targets.kube.server import load_registry
from tests.live.reference_world import FABRIC, ROOT, World, make_world, rendered_keys

pytestmark = pytest.mark.live


@pytest.fixture
def world(netbox_target: Target, netbox: Endpoint, crds_dir: Path, tmp_path: Path) -> Iterator[World]:
    yield from make_world(netbox_target, netbox, crds_dir, tmp_path)


def _sync(world: World, **kw: str) -> dict:
    proc = world.reference("sync", "--fabric", FABRIC, **kw)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _drift(world: World) -> list[dict]:
    proc = world.reference("drift", "--fabric", FABRIC)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["drifts"]


def test_sync_renders_commits_and_applies_the_whole_fabric(world: World, crds_dir: Path) -> None:
    outcome = _sync(world)
    assert outcome["state"] == "in_sync"

    files = world.repo_files()
    assert files, "nothing was committed under fabrics/hh-e2e/"
    kinds = {yaml.safe_load(data)["kind"] for data in files.values()}
    assert kinds == {
        "Switch",
        "Server",
        "Connection",
        "SwitchGroup",
        "VLANNamespace",
        "IPv4Namespace",
        "VPC",
        "VPCAttachment",
    }

    # every manifest validates against our Kubernetes contracts and is accepted with the real CRDs
    specs = load_specs([ROOT / "contracts" / "kubernetes"], schema_dir(ROOT), ROOT).specs
    by_kind = {r.kind: r for r in specs.resources().values()}
    registry = load_registry([crds_dir])
    for path, data in files.items():
        obj = yaml.safe_load(data)
        errors = list(jsonschema.Draft202012Validator(by_kind[obj["kind"]].schema).iter_errors(obj))
        assert not errors, f"{path}: {errors[0].message}"
        verdict = check_manifest_object(registry, obj, path)
        assert verdict.ok, f"{path}: rejected by the CRD: {verdict.errors}"

    # the cluster holds exactly the rendered objects
    assert set(world.cluster_objects()) == rendered_keys(files)

    # exactly one sync commit, status and journal in NetBox
    sync_commits = [c for c in world.commits() if "Hedgehog-Sync-Digest" in c["message"]]
    assert len(sync_commits) == 1
    site = world.nb.fabric(FABRIC)
    assert site.custom_fields["hh_sync_status"]["value"] == "in_sync"
    journal = world.nb.list_all("extras.journal_entries", assigned_object_type="dcim.site", assigned_object_id=site.id)
    assert any("fabric_sync" in entry["comments"] and "in_sync" in entry["comments"] for entry in journal)

    # a second sync with nothing changed makes no commit
    _sync(world)
    assert len([c for c in world.commits() if "Hedgehog-Sync-Digest" in c["message"]]) == 1


def test_netbox_git_and_cluster_edits_are_each_detected_as_their_drift_kind(world: World) -> None:
    _sync(world)
    assert _drift(world) == []

    # a NetBox edit: intent changed, Git still holds the last sync
    switch = next(
        d for d in world.nb.list_all("dcim.devices", site_id=world.fabric.site_id) if d["custom_fields"].get("hh_asn")
    )
    world.nb.update("dcim.devices", switch["id"], {"custom_fields": {"hh_asn": 65999}})
    drifts = _drift(world)
    assert {(d["drift"], d["name"]) for d in drifts} == {("netbox_changed", switch["name"])}
    _sync(world)
    assert _drift(world) == []

    # a Git edit: someone changed a managed file on the branch
    path, data = sorted(world.repo_files().items())[0]
    owner = world.github.extra["owner"]
    with world.gh() as gh:
        current = gh.get(f"/repos/{owner}/fabric-gitops/contents/{path}").json()
        edited = data.replace(b"spec:", b"# edited by hand\nspec:", 1)
        gh.put(
            f"/repos/{owner}/fabric-gitops/contents/{path}",
            json={
                "message": "hand edit",
                "content": base64.b64encode(edited).decode(),
                "sha": current["sha"],
            },
        ).raise_for_status()
    drifts = _drift(world)
    assert [(d["drift"], d["code"], d["path"]) for d in drifts] == [("git_edited", "HH-SYNC-005", path)]
    _sync(world)
    assert _drift(world) == []

    # a cluster edit: someone changed an object's spec in the cluster
    api = world.custom_objects()
    live = api.get_namespaced_custom_object("wiring.githedgehog.com", "v1beta1", "default", "switches", switch["name"])
    live["spec"]["description"] = "changed in the cluster"
    api.replace_namespaced_custom_object(
        "wiring.githedgehog.com", "v1beta1", "default", "switches", switch["name"], live
    )
    drifts = _drift(world)
    assert [(d["drift"], d["code"], d["name"]) for d in drifts] == [("spec_drift", "HH-SYNC-002", switch["name"])]


@pytest.fixture
def pr_world(netbox_target: Target, netbox: Endpoint, crds_dir: Path, tmp_path: Path) -> Iterator[World]:
    yield from make_world(netbox_target, netbox, crds_dir, tmp_path, mode="pull_request")


def test_pull_request_mode_applies_only_after_the_merge(pr_world: World) -> None:
    world = pr_world
    first = _sync(world)
    assert first["state"] == "awaiting_merge"
    number = first["pull_request"]
    assert world.repo_files() == {}, "nothing may reach the target branch before the merge"
    assert world.cluster_objects() == {}, "nothing may be applied before the merge"

    still_open = _sync(world)
    assert still_open["state"] == "awaiting_merge"

    owner = world.github.extra["owner"]
    with world.gh() as gh:
        gh.put(f"/repos/{owner}/fabric-gitops/pulls/{number}/merge", json={"merge_method": "merge"}).raise_for_status()
    merged = _sync(world)
    assert merged["state"] == "in_sync"
    assert set(world.cluster_objects()) == rendered_keys(world.repo_files())


@pytest.fixture
def proxied_world(netbox_target: Target, netbox: Endpoint, crds_dir: Path, tmp_path: Path) -> Iterator[World]:
    yield from make_world(netbox_target, netbox, crds_dir, tmp_path, proxied=True)


@pytest.mark.contract
def test_every_exchange_of_a_sync_matches_its_contract(proxied_world: World) -> None:
    world = proxied_world
    assert _sync(world)["state"] == "in_sync"
    for boundary, proxy in world.proxies.items():
        assert proxy.exchanges, f"the sync made no {boundary} call through the proxy"
        findings = [f"{f.operation_id} {f.kind} {f.pointer}: {f.message}" for f in proxy.findings]
        assert not findings, f"{boundary}: " + "\n".join(findings[:20])
