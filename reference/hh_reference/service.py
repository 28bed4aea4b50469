"""Wire the integration from its configuration: clients for NetBox, GitHub and the cluster,
the state store, the syncer and the drift checker."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import ClassVar

from hh_reference.cluster import Cluster
from hh_reference.config import Config, ConfigError
from hh_reference.errors import IntegrationError, install_catalog
from hh_reference.gitops import GitOps, RepoRef
from hh_reference.http import ApiClient
from hh_reference.machines import StateMachineRegistry
from hh_reference.netbox import FabricNotFound, NetBox
from hh_reference.observe import DriftChecker
from hh_reference.records import Alert
from hh_reference.specs import ErrorCatalog, load_catalog
from hh_reference.store import Store
from hh_reference.sync import Syncer

GITHUB_API_VERSION = "2022-11-28"
log = logging.getLogger(__name__)


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


class AlertJournal:
    """Every alert raised or changed, as a journal entry on its fabric's site (what
    reconciliation_alert's invariants ask: the alert's code and id, its resolution, its suppression
    with operator and reason). NetBox being unreachable or refusing the write must not fail what
    raised the alert, nor lose its entry: entries NetBox did not take wait in the store, in order, and
    are written by the next alert change or sync run of the fabric (``flush``)."""

    KINDS: ClassVar[dict[str, str]] = {"critical": "danger", "error": "danger"}
    PENDING = "alert_journal_pending"

    def __init__(self, netbox: NetBox, store: Store) -> None:
        self.netbox = netbox
        self.store = store
        self._sites: dict[str, int] = {}

    def __call__(self, alert: Alert, trigger: str) -> None:
        if trigger == "raised":
            kind, text = self.KINDS.get(alert.severity, "warning"), f"alert {alert.id} {alert.code}: {alert.message}"
        elif trigger == "resolve":
            kind, text = "success", f"alert {alert.id} {alert.code} resolved"
        elif trigger == "suppress":
            kind, text = "info", f"alert {alert.id} {alert.code} suppressed by {alert.operator}: {alert.reason}"
        else:
            kind, text = "info", f"alert {alert.id} {alert.code} {trigger}d by {alert.operator}"
        pending = self._pending(alert.fabric)
        self.store.set_value(alert.fabric, self.PENDING, json.dumps([*pending, [kind, text]]))
        self.flush(alert.fabric)

    def _pending(self, fabric: str) -> list[list[str]]:
        return list(json.loads(self.store.get_value(fabric, self.PENDING) or "[]"))

    def flush(self, fabric: str) -> None:
        """Write the fabric's waiting entries, oldest first, until NetBox refuses one."""
        pending = self._pending(fabric)
        if not pending:
            return
        try:
            site_id = self._sites.get(fabric) or self.netbox.fabric(fabric).id
        except FabricNotFound:
            pending = []  # not a fabric NetBox knows (the webhook scope): nowhere to journal
        except IntegrationError:
            return  # NetBox unreachable: the entries wait
        else:
            self._sites[fabric] = site_id
            while pending:
                kind, text = pending[0]
                try:
                    self.netbox.journal("dcim.site", site_id, kind, text)
                except IntegrationError as error:
                    log.warning("a journal entry for an alert of %s waits: %s", fabric, error.code)
                    break
                pending.pop(0)
        self.store.set_value(fabric, self.PENDING, json.dumps(pending))


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
    store.alert_listeners.append(AlertJournal(netbox, store))
    return Services(config, catalog, store, netbox, gitops, cluster, syncer, drift)
