"""A complete local world for an implementation under test: the managed real NetBox (reset), the
GitHub twin with a fresh repository, the Kubernetes stand-in serving the real Hedgehog CRDs,
optionally a contract proxy in front of each, the implementation prepared through its adapter
(``setup``), and the test fabric built in NetBox. What the world holds is read back through the
providers' public APIs, never through the implementation."""

from __future__ import annotations

import base64
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from kubernetes import client, config

from harness.adapter import Adapter, Command, Endpoints
from harness.proxy.server import ContractProxy
from harness.spec.models import SpecSet
from harness.targets.base import Endpoint, Target, TargetError
from harness.targets.github.target import GitHubLive, GitHubTwin, github_from_env
from harness.targets.kube.kubeconfig import write_kubeconfig
from harness.targets.kube.local import LocalKube, kube_from_env
from harness.world.fabric import BuiltFabric, build_fabric
from harness.world.netbox_api import NetBoxApi
from harness.world.process import RunResult, run_action

REPO = "fabric-gitops"
FABRIC = "hh-e2e"
WORLD_READY_DELAY_S = 0.05  # the stand-in's fabric controller reports Ready this long after a write


@dataclass
class World:
    netbox: Endpoint
    github: Endpoint
    kube: Endpoint
    endpoints: Endpoints  # what the implementation is configured with (through the proxies when proxied)
    adapter: Adapter
    specs: SpecSet
    fabric: BuiltFabric
    netbox_api: NetBoxApi
    proxies: dict[str, ContractProxy] = field(default_factory=dict)
    twin: GitHubTwin | None = None
    kube_target: LocalKube | None = None
    spec_root: Path | None = None  # the project's specs, for the adapter's renderer
    # commits are immutable: each is read once (snapshots walk the history many times in a run)
    _commits: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    _trees: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    _blobs: dict[str, bytes] = field(default_factory=dict, repr=False)

    # -- the implementation under test, through its adapter ------------------------------------
    def command(self, action: str, **options: str) -> Command:
        return self.adapter.command(action, self.endpoints, **{"fabric": self.fabric.site_slug, **options})

    def act(self, action: str, *, timeout_s: float = 300, **options: str) -> RunResult:
        return run_action(self.command(action, **options), timeout_s)

    def set_fabric_status(self, value: str) -> None:
        """The operator's hh_fabric_status on the fabric's site: planned, active, maintenance or
        decommissioned."""
        self.netbox_api.update("dcim.sites", self.fabric.site_id, {"custom_fields": {"hh_fabric_status": value}})

    def observe(self) -> Mapping[str, Any]:
        return self.adapter.observe(self.endpoints, self.fabric.site_slug)

    # -- GitHub --------------------------------------------------------------------------------
    def gh(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.github.url,
            headers={"Authorization": f"Bearer {self.github.secret}", "Accept": "application/vnd.github+json"},
            timeout=30,
        )

    def github_get(self, gh: httpx.Client, path: str, **params: Any) -> Any:
        """GET ``path`` of the world's repository; an answer other than 200 is the twin's error."""
        owner = self.github.extra["owner"]
        answer = gh.get(f"/repos/{owner}/{self.endpoints.github_repo}/{path}", params=params)
        if answer.status_code != 200:
            raise TargetError(
                f"GitHub at {self.github.url}: GET {path} answered {answer.status_code}: {answer.text[:200]}"
            )
        return answer.json()

    def head(self, branch: str = "main") -> str:
        with self.gh() as gh:
            return str(self.github_get(gh, f"git/ref/heads/{branch}")["object"]["sha"])

    def tree(self, sha: str) -> list[dict[str, Any]]:
        """The recursive tree ``sha`` (a tree or a commit's tree), read once: git objects are immutable."""
        if sha not in self._trees:
            with self.gh() as gh:
                self._trees[sha] = list(self.github_get(gh, f"git/trees/{sha}", recursive="1")["tree"])
        return self._trees[sha]

    def repo_files(self, prefix: str = f"fabrics/{FABRIC}", branch: str = "main") -> dict[str, bytes]:
        """The files under ``prefix`` at the head of ``branch``; blobs and trees are read once each."""
        with self.gh() as gh:
            head = self.github_get(gh, f"git/ref/heads/{branch}")["object"]["sha"]
            tree_sha = self._commit(gh, head)["tree"]["sha"]
            files = {}
            for entry in self.tree(tree_sha):
                if entry["type"] == "blob" and entry["path"].startswith(prefix + "/"):
                    if entry["sha"] not in self._blobs:
                        blob = self.github_get(gh, f"git/blobs/{entry['sha']}")
                        self._blobs[entry["sha"]] = base64.b64decode(blob["content"])
                    files[entry["path"]] = self._blobs[entry["sha"]]
            return files

    def _commit(self, gh: httpx.Client, sha: str) -> dict[str, Any]:
        if sha not in self._commits:
            self._commits[sha] = dict(self.github_get(gh, f"git/commits/{sha}"))
        return self._commits[sha]

    def commits(self, branch: str = "main") -> list[dict[str, Any]]:
        with self.gh() as gh:
            sha = self.github_get(gh, f"git/ref/heads/{branch}")["object"]["sha"]
            chain = []
            while sha:
                commit = self._commit(gh, sha)
                chain.append(commit)
                sha = commit["parents"][0]["sha"] if commit["parents"] else ""
            return chain

    # -- Kubernetes ----------------------------------------------------------------------------
    def custom_objects(self) -> Any:
        """The official client's CustomObjectsApi for the cluster (not through the proxy)."""
        api_client = config.new_client_from_config(config_file=self.kube.extra["kubeconfig"])  # type: ignore[no-untyped-call]
        return client.CustomObjectsApi(api_client)

    def cluster_objects(self) -> dict[str, dict[str, Any]]:
        """Every object of the kinds the Kubernetes contracts declare, by ``Kind/name``."""
        api = self.custom_objects()
        found = {}
        for resource in self.specs.resources().values():
            listed = api.list_namespaced_custom_object(resource.group, resource.version, "default", resource.plural)
            for item in listed["items"]:
                found[f"{resource.kind}/{item['metadata']['name']}"] = item
        return found


def rendered_keys(files: dict[str, bytes]) -> set[str]:
    keys = set()
    for data in files.values():
        obj = yaml.safe_load(data)
        keys.add(f"{obj['kind']}/{obj['metadata']['name']}")
    return keys


def make_world(
    adapter: Adapter,
    specs: SpecSet,
    netbox_target: Target,
    netbox: Endpoint,
    *,
    crds_dir: Path,
    workdir: Path,
    spec_root: Path,
    mode: str = "direct",
    proxied: bool = False,
    settings: Mapping[str, str] | None = None,
) -> Generator[World]:
    """Reset NetBox, start the twin and the stand-in (or reach the GitHub and the cluster that
    HARNESS_GITHUB_URL and HARNESS_KUBECONFIG name, wiping their test objects), create the
    repository, set the implementation up, build the fabric; yields the world and stops what it
    started afterwards.

    With ``proxied`` the implementation reaches NetBox, GitHub and the cluster through a
    ContractProxy each (``world.proxies[boundary]``): every exchange is checked against the
    contracts, and error-catalog recipes can be injected at an operation."""
    netbox_target.reset()
    # GitHub and the cluster are the twin and the stand-in unless the live profile names real ones
    # (HARNESS_GITHUB_URL, HARNESS_KUBECONFIG; `harness run --github-url/--kubeconfig`)
    github = github_from_env()
    kube = kube_from_env([crds_dir], WORLD_READY_DELAY_S)
    proxies: dict[str, ContractProxy] = {}
    try:
        gh = github.start()
        k = kube.start()
        if not isinstance(github, GitHubTwin):
            github.reset()  # a previous run's test repository
        if not isinstance(kube, LocalKube):
            kube.reset()
        urls = {"netbox": netbox.url, "github": gh.url, "kubernetes": k.url}
        kubeconfig = k.extra["kubeconfig"]
        if proxied:
            for boundary, upstream in urls.items():
                proxies[boundary] = ContractProxy(upstream, specs, boundary).start()
                urls[boundary] = proxies[boundary].url
            kubeconfig = str(write_kubeconfig(workdir / "kubeconfig-proxied", urls["kubernetes"]))
        owner, repo = gh.extra["owner"], gh.extra.get("prefix", "") + REPO
        org = isinstance(github, GitHubLive) and github.org
        with httpx.Client(base_url=gh.url, headers={"Authorization": f"Bearer {gh.secret}"}, timeout=30) as http:
            http.post(f"/orgs/{owner}/repos" if org else "/user/repos",
                      json={"name": repo, "auto_init": True}).raise_for_status()  # fmt: skip
        endpoints = Endpoints(
            netbox_url=urls["netbox"], netbox_token=netbox.secret or "", github_url=urls["github"],
            github_token=gh.secret or "", github_owner=owner, github_repo=repo, github_branch="main",
            kubeconfig=kubeconfig, kube_context=k.extra["context"], workdir=workdir, spec_root=spec_root,
            settings={"gitops_mode": mode, "ready_timeout_s": "30", **(settings or {})},
        )  # fmt: skip
        api = NetBoxApi(netbox.url, netbox.secret or "")
        world = World(netbox, gh, k, endpoints, adapter, specs, BuiltFabric(FABRIC, 0), api, proxies,
                      github if isinstance(github, GitHubTwin) else None,
                      kube if isinstance(kube, LocalKube) else None, spec_root)  # fmt: skip
        setup = world.act("setup")
        if setup.returncode != 0:
            raise TargetError(f"the implementation's setup action failed ({setup.returncode}): {setup.stderr[-1000:]}")
        world.fabric = build_fabric(api, FABRIC)
        api.update("dcim.sites", world.fabric.site_id,
                   {"custom_fields": {"hh_fabric_status": "active", "hh_gitops_mode": mode}})  # fmt: skip
        yield world
        api.close()
    finally:
        for proxy in proxies.values():
            proxy.stop()
        github.stop()
        kube.stop()
