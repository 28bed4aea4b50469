"""Wire the integration from its configuration: clients for NetBox, GitHub and the cluster,
the state store, the syncer and the drift checker."""

from __future__ import annotations

from dataclasses import dataclass

from hh_reference.cluster import Cluster
from hh_reference.config import Config, ConfigError
from hh_reference.errors import install_catalog
from hh_reference.gitops import GitOps, RepoRef
from hh_reference.http import ApiClient
from hh_reference.machines import StateMachineRegistry
from hh_reference.netbox import NetBox
from hh_reference.observe import DriftChecker
from hh_reference.specs import ErrorCatalog, load_catalog
from hh_reference.store import Store
from hh_reference.sync import Syncer

GITHUB_API_VERSION = "2022-11-28"


@dataclass
class Services:
    config: Config
    catalog: ErrorCatalog
    store: Store
    netbox: NetBox
    gitops: GitOps
    cluster: Cluster
    syncer: Syncer
    drift: DriftChecker

    def close(self) -> None:
        self.netbox.close()
        self.gitops.api.close()
        self.store.close()


def open_store(config: Config) -> tuple[ErrorCatalog, Store]:
    catalog = load_catalog(config.spec_root)
    install_catalog(catalog)
    return catalog, Store(config.state_db, StateMachineRegistry(config.spec_root), catalog)


def netbox_client(config: Config, catalog: ErrorCatalog) -> NetBox:
    if not config.netbox_url or not config.netbox_token:
        raise ConfigError("netbox_url and netbox_token are required (REFERENCE_NETBOX_URL, REFERENCE_NETBOX_TOKEN)")
    return NetBox.connect(config.netbox_url, config.netbox_token, catalog)


def build(config: Config) -> Services:
    """Every collaborator of a sync, from ``config``. Raises ConfigError naming what is missing."""
    missing = [name for name in ("github_token", "github_owner", "github_repo") if not getattr(config, name)]
    if missing:
        raise ConfigError(f"missing configuration: {', '.join(missing)} (REFERENCE_{missing[0].upper()})")
    catalog, store = open_store(config)
    netbox = netbox_client(config, catalog)
    github = ApiClient(
        boundary="github",
        base_url=config.github_url,
        token=config.github_token,
        catalog=catalog,
        headers={"X-GitHub-Api-Version": GITHUB_API_VERSION, "Accept": "application/vnd.github+json"},
    )
    gitops = GitOps(
        github,
        RepoRef(config.github_owner, config.github_repo, config.github_branch),
    )
    cluster = Cluster(
        kubeconfig=str(config.kubeconfig) if config.kubeconfig else None,
        context=config.kube_context,
        namespace=config.kube_namespace,
        catalog=catalog,
    )
    syncer = Syncer(
        netbox=netbox,
        gitops=gitops,
        cluster=cluster,
        store=store,
        gitops_path=config.gitops_path,
        default_mode=config.gitops_mode,
        ready_timeout_s=config.ready_timeout_s,
        spec_root=config.spec_root,
        auto_merge=config.auto_merge,
        required_checks=[c.strip() for c in config.required_checks.split(",") if c.strip()],
    )
    drift = DriftChecker(netbox=netbox, gitops=gitops, cluster=cluster, store=store, gitops_path=config.gitops_path)
    return Services(config, catalog, store, netbox, gitops, cluster, syncer, drift)
