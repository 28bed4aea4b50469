"""The hh-harness adapter for the Hedgehog NetBox Plugin (entry point ``hh_harness.adapters: hnp``).

HNP is a NetBox plugin: it has no process of its own to start, no GitOps writer and no renderer
at the commit under test. What it offers, and what this adapter translates the hooks into:

- configure: a NetBox user that can log in (HNP's actions are session-only views) and a fabric
  whose ``kubernetes_server`` is the harness's Kubernetes proxy (``settings["kube_server"]``);
- act: ``harness_command`` runs ``python -m hh_hnp_harness.act`` (setup, test-connection, sync);
- observe: the fabric's status fields read through HNP's REST API, translated by the declared
  table ``state_map.yaml``; states HNP cannot show are left out (the table says why).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from harness.adapter import Command, Endpoints, MachineBinding, hookimpl
from hh_hnp_harness.binding import HNPBinding
from hh_hnp_harness.client import HNPClient
from hh_hnp_harness.configure import LOGIN_USER
from hh_hnp_harness.states import state_table

_ACTIONS = {"setup": "setup", "sync": "sync", "test_connection": "test-connection"}


def _client(endpoints: Endpoints) -> HNPClient:
    settings = endpoints.settings
    return HNPClient(
        endpoints.netbox_url,
        endpoints.netbox_token,
        settings.get("login_user", LOGIN_USER),
        settings.get("login_password", ""),
    )


@hookimpl
def harness_adapter_info() -> Mapping[str, str]:
    return {"name": "netbox_hedgehog (Hedgehog NetBox Plugin)", "version": "installed in the NetBox under test"}


@hookimpl
def harness_command(action: str, endpoints: Endpoints, options: Mapping[str, str]) -> Command | None:
    if action not in _ACTIONS:
        return None  # drift and import from Git: HNP has no GitOps side at this commit
    settings = endpoints.settings
    env = {
        "HNP_NETBOX_URL": endpoints.netbox_url,
        "HNP_NETBOX_TOKEN": endpoints.netbox_token,
        "HNP_LOGIN_USER": settings.get("login_user", LOGIN_USER),
        "HNP_LOGIN_PASSWORD": settings.get("login_password", ""),
        "HNP_KUBE_SERVER": settings.get("kube_server", ""),
    }
    return Command([sys.executable, "-m", "hh_hnp_harness.act", _ACTIONS[action], "--fabric", options["fabric"]], env)


@hookimpl
def harness_observe(endpoints: Endpoints, fabric: str) -> Mapping[str, Any] | None:
    client = _client(endpoints)
    try:
        found = client.named("fabrics", fabric)
    finally:
        client.close()
    if not found:
        return {"fabric": {"name": fabric}, "resources": [], "alerts": []}
    row = found[0]
    machines = state_table().machines
    return {
        "fabric": {
            "name": fabric,
            "fabric_status": {"state": machines["fabric_status"].state_of(str(row["status"]))},
            "fabric_sync": {"state": machines["fabric_sync"].state_of(str(row["sync_status"]))},
            "connections": {
                "cluster": {"state": machines["connection_status"].state_of(str(row["connection_status"]))}
            },
        },
        "resources": [],
        "alerts": [],
    }


@hookimpl
def harness_machine_binding(endpoints: Endpoints) -> MachineBinding | None:
    return HNPBinding(_client(endpoints), endpoints.settings.get("kube_server", ""))
