"""Replay into the implementation: a full sync with no NetBox, the offline tier's end-to-end check.

For the ``sync`` scenario of the project's cassette corpus (``[tool.harness] cassettes``, written by
``harness record``), item ``<corpus>/sync::replay``: NetBox is the recording, served back by
:class:`harness.replay.server.ReplayServer`; GitHub and Kubernetes are the twin and the stand-in
with the real CRDs (stateful and local: what the implementation writes there is read back from
them, as in the live world). The implementation runs its sync through the adapter, and the
outcome is checked as a live sync's would be:

- the sync finishes and the implementation reports fabric_sync ``in_sync``;
- it asked NetBox nothing the recording cannot answer, and wrote to NetBox what it wrote when the
  corpus was recorded (the same writes in the same order; commit shas, UUIDs and timestamps masked);
- the branch holds exactly the files it committed when recorded (the recorded blobs and tree
  paths), byte for byte: a render that changed is a failure naming the files;
- the cluster holds exactly the objects of those files.

A recording is this project's data: an intended change of behaviour means recording the corpus
again (``harness record``); the replay then says what changed.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from harness.adapter import Adapter, Endpoints
from harness.proxy.exchange import Exchange
from harness.replay.cassette import Cassette, load_cassette
from harness.replay.recording import fabric_and_mode, masked
from harness.replay.server import ReplayServer, request_key
from harness.report.elements import operation_id, spec_file
from harness.report.events import Recorder
from harness.spec.models import SpecSet
from harness.targets.base import Endpoint
from harness.targets.github.target import GitHubTwin
from harness.targets.kube.local import LocalKube
from harness.world.live import REPO, rendered_keys
from harness.world.process import run_action

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _recorded_files(github: Cassette, fabric: str) -> dict[str, bytes]:
    """path -> content the recorded sync committed under fabrics/<fabric>/ (tree entries and their blobs)."""
    blobs: dict[str, bytes] = {}
    for exchange in github.exchanges:
        if exchange.operation_id == "github.git.create_blob" and exchange.response_body:
            sha = json.loads(exchange.response_body)["sha"]
            body = json.loads(exchange.request_body)
            raw = body["content"]
            blobs[sha] = base64.b64decode(raw) if body.get("encoding") == "base64" else raw.encode()
    files: dict[str, bytes] = {}
    for exchange in github.exchanges:
        if exchange.operation_id == "github.git.create_tree":
            for entry in json.loads(exchange.request_body)["tree"]:
                if str(entry["path"]).startswith(f"fabrics/{fabric}/") and entry.get("sha") in blobs:
                    files[entry["path"]] = blobs[entry["sha"]]
    return files


def _netbox_writes(exchanges: list[Exchange]) -> list[str]:
    return [f"{e.method} {e.path} {masked(e.request_body)}" for e in exchanges if e.method in WRITES]


def _repo_files(twin_url: str, token: str, owner: str, fabric: str) -> dict[str, bytes]:
    with httpx.Client(base_url=twin_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as gh:
        head = gh.get(f"/repos/{owner}/{REPO}/git/ref/heads/main").json()["object"]["sha"]
        tree_sha = gh.get(f"/repos/{owner}/{REPO}/git/commits/{head}").json()["tree"]["sha"]
        tree = gh.get(f"/repos/{owner}/{REPO}/git/trees/{tree_sha}", params={"recursive": "1"}).json()["tree"]
        return {
            e["path"]: base64.b64decode(gh.get(f"/repos/{owner}/{REPO}/git/blobs/{e['sha']}").json()["content"])
            for e in tree
            if e["type"] == "blob" and e["path"].startswith(f"fabrics/{fabric}/")
        }


def _cluster_keys(kube: Any, specs: SpecSet) -> set[str]:
    from kubernetes import client, config  # noqa: PLC0415

    api = client.CustomObjectsApi(config.new_client_from_config(config_file=kube.extra["kubeconfig"]))  # type: ignore[no-untyped-call]
    keys = set()
    for resource in specs.resources().values():
        listed: dict[str, Any] = api.list_namespaced_custom_object(  # type: ignore[assignment]
            resource.group, resource.version, "default", resource.plural
        )
        keys |= {f"{resource.kind}/{item['metadata']['name']}" for item in listed["items"]}
    return keys


@contextlib.contextmanager
def offline_world(
    netbox_url: str, *, crds_dir: Path, workdir: Path, root: Path, mode: str, github: tuple[str, str] | None = None
) -> Iterator[tuple[Endpoints, Endpoint | None, Endpoint]]:
    """The implementation's endpoints for a sync with no NetBox: ``netbox_url`` (a replay or a mock of
    a recording), GitHub (``github``: the URL and owner of a mock of a recording, else the GitHub twin
    with a fresh repository) and the Kubernetes stand-in with the real CRDs; yields (endpoints, the
    twin's endpoint or None, the stand-in's) and stops what it started afterwards."""
    twin, kube = (GitHubTwin() if github is None else None), LocalKube(crds=[crds_dir], ready_delay=0.05)
    try:
        gh, k = (twin.start() if twin else None), kube.start()
        if gh is not None:
            with httpx.Client(base_url=gh.url, headers={"Authorization": f"Bearer {gh.secret}"}, timeout=30) as http:
                http.post("/user/repos", json={"name": REPO, "auto_init": True}).raise_for_status()
            github_url, owner, token = gh.url, str(gh.extra["owner"]), gh.secret or ""
        else:
            (github_url, owner), token = github or ("", ""), "recorded"
        yield Endpoints(
            netbox_url=netbox_url, netbox_token="recorded", github_url=github_url, github_token=token,
            github_owner=owner, github_repo=REPO, github_branch="main", kubeconfig=k.extra["kubeconfig"],
            kube_context=k.extra["context"], workdir=workdir, spec_root=root,
            settings={"gitops_mode": mode, "ready_timeout_s": "30"},
        ), gh, k  # fmt: skip
    finally:
        if twin is not None:
            twin.stop()
        kube.stop()


def replay_sync(
    scenario: Path, adapter: Adapter, specs: SpecSet, *, crds_dir: Path, root: Path, workdir: Path,
    recorder: Recorder,
) -> None:  # fmt: skip
    netbox = load_cassette(scenario / "netbox.yaml", specs, "netbox")
    github = load_cassette(scenario / "github.yaml", specs, "github")
    fabric, mode = fabric_and_mode(netbox)
    recorded_files = _recorded_files(github, fabric)
    problems: list[str] = []
    with ReplayServer(netbox) as replay, offline_world(replay.url, crds_dir=crds_dir, workdir=workdir, root=root,
                                                       mode=mode) as (endpoints, gh, k):  # fmt: skip
        assert gh is not None  # the twin: the checks read what the sync committed
        owner = gh.extra["owner"]
        # the checks below read the twin and the stand-in before they stop
        result = run_action(adapter.command("sync", endpoints, fabric=fabric))
        if result.returncode != 0:
            problems.append(f"the sync against the recording exited {result.returncode}: {result.stderr[-800:]}")
        if replay.unmatched:
            problems.append(f"asked NetBox what the recording has no answer for: {replay.unmatched[:5]}")
        want, got = _netbox_writes(netbox.exchanges), _netbox_writes(replay.received)
        if want != got:
            extra, lost = Counter(got) - Counter(want), Counter(want) - Counter(got)
            detail = f"not recorded {sorted(extra)[:3]}; recorded, not made {sorted(lost)[:3]}"
            problems.append(
                f"the NetBox writes differ from the recording ({len(got)} vs {len(want)}): {detail}"
                if extra or lost
                else "the NetBox writes are the recorded ones in another order"
            )
        committed = _repo_files(gh.url, gh.secret or "", owner, fabric)
        changed = sorted(p for p in committed.keys() | recorded_files.keys()
                         if committed.get(p) != recorded_files.get(p))  # fmt: skip
        if changed:
            problems.append(f"the committed files differ from the recorded sync's in {len(changed)} file(s): "
                            f"{changed[:6]}")  # fmt: skip
        cluster = _cluster_keys(k, specs)
        if cluster != rendered_keys(committed):
            problems.append(f"the cluster does not hold exactly the committed objects: "
                            f"{sorted(cluster ^ rendered_keys(committed))[:6]}")  # fmt: skip
        state = adapter.observe(endpoints, fabric).get("fabric", {}).get("fabric_sync", {}).get("state")
        if state != "in_sync":
            problems.append(f"the implementation reports fabric_sync {state!r} after the replayed sync")
    verdict = "fail" if problems else "pass"
    for op_id in sorted(_served_ops(netbox, replay)):
        op = specs.operations().get(op_id)
        if op is not None:
            recorder.record(operation_id(spec_file(op.loc, root), op.id), "operation", verdict, "replayed sync")
    assert not problems, "\n".join(problems)


def _served_ops(netbox: Cassette, replay: ReplayServer) -> set[str]:
    """The operations of the recorded exchanges the implementation asked for again."""
    asked = {request_key(e.method, e.path, e.query) for e in replay.received}
    return {e.operation_id for e in netbox.exchanges
            if e.operation_id and request_key(e.method, e.path, e.query) in asked}  # fmt: skip
