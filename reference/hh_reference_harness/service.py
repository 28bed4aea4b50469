"""The reference's status API and webhook receiver without the sync worker, and the in-process
read of its status API the adapter's ``harness_observe`` answers with.

``python -m hh_reference_harness.service`` serves what ``reference serve`` serves (configured by
the same REFERENCE_* variables) but only records the syncs a webhook asks for: the offline suites
have no NetBox to sync against. Fabrics named in REFERENCE_ACTIVE_FABRICS (comma-separated) are
activated first, as NetBox's hh_fabric_status would make them.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Mapping
from typing import Any

from hh_reference.api import BackgroundServer, JournalSyncTrigger, create_app
from hh_reference.config import load_config
from hh_reference.machines import StateMachineRegistry
from hh_reference.specs import load_catalog
from hh_reference.store import Store
from starlette.testclient import TestClient

from harness.adapter import Endpoints


def observe(endpoints: Endpoints, fabric: str) -> Mapping[str, Any]:
    from hh_reference_harness import environment  # noqa: PLC0415 - circular at import time
    from hh_reference_harness.state import specs_of  # noqa: PLC0415

    config = load_config(None, environment(endpoints))
    store = Store(config.state_db, *specs_of(config.spec_root.resolve()))  # the specs parsed once per process
    try:
        headers = {"Authorization": f"Bearer {config.api_token}"} if config.api_token else {}
        with TestClient(create_app(config, store, JournalSyncTrigger(store)), headers=headers) as api:
            return {
                "fabric": api.get(f"/api/v1/fabrics/{fabric}").json(),
                "resources": api.get(f"/api/v1/fabrics/{fabric}/resources").json().get("resources", []),
                "alerts": api.get("/api/v1/alerts").json()["alerts"],  # every state: resolved ones too
                "open_syncs": [sync_id for sync_id, _ in store.open_syncs(fabric)],
            }
    finally:
        store.close()


def main() -> int:
    config = load_config(None, os.environ)
    store = Store(config.state_db, StateMachineRegistry(config.spec_root), load_catalog(config.spec_root))
    for fabric in filter(None, os.environ.get("REFERENCE_ACTIVE_FABRICS", "").split(",")):
        if store.state("fabric_status", fabric) != "active":
            store.fire("fabric_status", fabric, "activate")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    server = BackgroundServer(create_app(config, store, JournalSyncTrigger(store)), config.listen_host,
                              config.listen_port)  # fmt: skip
    server.start()
    try:
        stop.wait()
    finally:
        server.stop()
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
