"""A complete local world for the reference integration: the managed real NetBox (reset),
the GitHub twin with a fresh repository, and the Kubernetes stand-in serving the real
Hedgehog CRDs; plus helpers to run the `reference` command against it."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from hh_reference.naming import KINDS, SERVED_VERSION
from hh_reference.netbox import NetBox
from hh_reference.specs import load_catalog
from kubernetes import client, config

from harness.proxy.server import ContractProxy
from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, schema_dir
from harness.targets.base import Endpoint, Target
from harness.targets.github.target import GitHubTwin
from harness.targets.kube.kubeconfig import write_kubeconfig
from harness.targets.kube.local import LocalKube
from tests.reference.fabric import BuiltFabric, build_fabric

ROOT = Path(__file__).resolve().parents[2]
REPO = "fabric-gitops"
FABRIC = "hh-e2e"
WORLD_READY_DELAY_S = 0.05  # the stand-in's fabric controller reports Ready this long after a write


@dataclass
class World:
    netbox: Endpoint
    github: Endpoint
    kube: Endpoint
    env: dict[str, str]
    fabric: BuiltFabric
    nb: NetBox
    proxies: dict[str, ContractProxy] = field(default_factory=dict)
    twin: GitHubTwin | None = None
    kube_target: LocalKube | None = None

    # -- the system under test, through its entry point ---------------------------------------
    def reference(
        self, *args: str, crash_after: str | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **({"REFERENCE_CRASH_AFTER": crash_after} if crash_after else {})}
        return subprocess.run(
            [sys.executable, "-m", "hh_reference.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    # -- GitHub --------------------------------------------------------------------------------
    def gh(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.github.url,
            headers={"Authorization": f"Bearer {self.github.secret}", "Accept": "application/vnd.github+json"},
            timeout=30,
        )

    def repo_files(self, prefix: str = f"fabrics/{FABRIC}", branch: str = "main") -> dict[str, bytes]:
        owner = self.github.extra["owner"]
        with self.gh() as gh:
            head = gh.get(f"/repos/{owner}/{REPO}/git/ref/heads/{branch}").json()["object"]["sha"]
            tree_sha = gh.get(f"/repos/{owner}/{REPO}/git/commits/{head}").json()["tree"]["sha"]
            tree = gh.get(f"/repos/{owner}/{REPO}/git/trees/{tree_sha}", params={"recursive": "1"}).json()["tree"]
            files = {}
            for entry in tree:
                if entry["type"] == "blob" and entry["path"].startswith(prefix + "/"):
                    blob = gh.get(f"/repos/{owner}/{REPO}/git/blobs/{entry['sha']}").json()
                    files[entry["path"]] = base64.b64decode(blob["content"])
            return files

    def commits(self, branch: str = "main") -> list[dict[str, Any]]:
        owner = self.github.extra["owner"]
        with self.gh() as gh:
            sha = gh.get(f"/repos/{owner}/{REPO}/git/ref/heads/{branch}").json()["object"]["sha"]
            chain = []
            while sha:
                commit = gh.get(f"/repos/{owner}/{REPO}/git/commits/{sha}").json()
                chain.append(commit)
                sha = commit["parents"][0]["sha"] if commit["parents"] else ""
            return chain

    # -- Kubernetes ----------------------------------------------------------------------------
    def custom_objects(self) -> client.CustomObjectsApi:
        api_client = config.new_client_from_config(config_file=self.kube.extra["kubeconfig"])
        return client.CustomObjectsApi(api_client)

    def cluster_objects(self) -> dict[str, dict[str, Any]]:
        api = self.custom_objects()
        found = {}
        for kind, info in KINDS.items():
            listed = api.list_namespaced_custom_object(info.group, SERVED_VERSION, "default", info.plural)
            for item in listed["items"]:
                found[f"{kind}/{item['metadata']['name']}"] = item
        return found


def rendered_keys(files: dict[str, bytes]) -> set[str]:
    keys = set()
    for data in files.values():
        obj = yaml.safe_load(data)
        keys.add(f"{obj['kind']}/{obj['metadata']['name']}")
    return keys


def make_world(
    netbox_target: Target,
    netbox: Endpoint,
    crds_dir: Path,
    tmp_path: Path,
    *,
    mode: str = "direct",
    proxied: bool = False,
) -> Iterator[World]:
    """Reset NetBox, start the twin and the stand-in, create the repository, init, build the fabric.

    With ``proxied`` the integration reaches NetBox, GitHub and the cluster through a
    ContractProxy each (``world.proxies[boundary]``): every exchange is checked against the
    contracts, and error-catalog recipes can be injected at an operation."""
    netbox_target.reset()
    twin = GitHubTwin()
    kube = LocalKube(crds=[crds_dir], ready_delay=WORLD_READY_DELAY_S)
    gh = twin.start()
    k = kube.start()
    proxies: dict[str, ContractProxy] = {}
    try:
        urls = {"netbox": netbox.url, "github": gh.url, "kubernetes": k.url}
        kubeconfig = k.extra["kubeconfig"]
        if proxied:
            specs = load_specs(default_spec_paths(ROOT), schema_dir(ROOT), ROOT).specs
            for boundary, upstream in urls.items():
                proxies[boundary] = ContractProxy(upstream, specs, boundary).start()
                urls[boundary] = proxies[boundary].url
            kubeconfig = str(write_kubeconfig(tmp_path / "kubeconfig-proxied", urls["kubernetes"]))
        owner = gh.extra["owner"]
        with httpx.Client(base_url=gh.url, headers={"Authorization": f"Bearer {gh.secret}"}, timeout=30) as http:
            http.post("/user/repos", json={"name": REPO, "auto_init": True}).raise_for_status()
        env = {
            **{k_: v for k_, v in os.environ.items() if not k_.startswith("REFERENCE_")},
            "REFERENCE_NETBOX_URL": urls["netbox"],
            "REFERENCE_NETBOX_TOKEN": netbox.secret or "",
            "REFERENCE_GITHUB_URL": urls["github"],
            "REFERENCE_GITHUB_TOKEN": gh.secret or "",
            "REFERENCE_GITHUB_OWNER": owner,
            "REFERENCE_GITHUB_REPO": REPO,
            "REFERENCE_GITHUB_BRANCH": "main",
            "REFERENCE_GITOPS_MODE": mode,
            "REFERENCE_KUBECONFIG": kubeconfig,
            "REFERENCE_KUBE_CONTEXT": k.extra["context"],
            "REFERENCE_STATE_DB": str(tmp_path / "state.sqlite3"),
            "REFERENCE_SPEC_ROOT": str(ROOT),
            "REFERENCE_READY_TIMEOUT_S": "30",
        }
        nb = NetBox.connect(netbox.url, netbox.secret or "", load_catalog(ROOT))
        world = World(netbox, gh, k, env, BuiltFabric(FABRIC, 0), nb, proxies, twin, kube)
        init = world.reference("init")
        assert init.returncode == 0, init.stderr
        world.fabric = build_fabric(nb, FABRIC)
        nb.update_site_status(world.fabric.site_id, {"hh_fabric_status": "active", "hh_gitops_mode": mode})
        yield world
        nb.close()
    finally:
        for proxy in proxies.values():
            proxy.stop()
        twin.stop()
        kube.stop()
