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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from hh_reference.api import BackgroundServer, JournalSyncTrigger, create_app
from hh_reference.config import load_config
from hh_reference.machines import StateMachineRegistry
from hh_reference.specs import load_catalog
from hh_reference.store import Store
from starlette.testclient import TestClient

from harness.adapter import Endpoints


@contextmanager
def _status_api(endpoints: Endpoints) -> Iterator[tuple[TestClient, Store]]:
    """The status API over the state file, in-process."""
    from hh_reference_harness import environment  # noqa: PLC0415 - circular at import time
    from hh_reference_harness.state import specs_of  # noqa: PLC0415

    config = load_config(None, environment(endpoints))
    store = Store(config.state_db, *specs_of(config.spec_root.resolve()))  # the specs parsed once per process
    try:
        headers = {"Authorization": f"Bearer {config.api_token}"} if config.api_token else {}
        with TestClient(create_app(config, store, JournalSyncTrigger(store)), headers=headers) as api:
            yield api, store
    finally:
        store.close()


def observe(endpoints: Endpoints, fabric: str) -> Mapping[str, Any]:
    with _status_api(endpoints) as (api, store):
        return {
            "fabric": api.get(f"/api/v1/fabrics/{fabric}").json(),
            # an object with drift only (never rendered) has lifecycle null: the observation leaves it out
            "resources": [
                {k: v for k, v in r.items() if v is not None}
                for r in api.get(f"/api/v1/fabrics/{fabric}/resources").json().get("resources", [])
            ],
            "alerts": api.get("/api/v1/alerts").json()["alerts"],  # every state: resolved ones too
            "open_syncs": [sync_id for sync_id, _ in store.open_syncs(fabric)],
        }


PAGE = 1000  # the status API's default limit


def transitions(endpoints: Endpoints, fabric: str, after: int) -> list[Mapping[str, Any]]:
    """The status API's transition log of ``fabric`` after log id ``after``, every page of it
    (none when the fabric has recorded nothing yet)."""
    found: list[Mapping[str, Any]] = []
    with _status_api(endpoints) as (api, _):
        while True:
            answer = api.get(f"/api/v1/fabrics/{fabric}/transitions", params={"after": after})
            if answer.status_code == 404:
                return found
            page = answer.json()
            found += page["transitions"]
            if len(page["transitions"]) < PAGE:  # the last page
                return found
            after = page["next"]


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
