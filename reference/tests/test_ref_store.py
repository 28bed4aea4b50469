"""The state store: machine transitions from the real specs, persistence across reopen, alerts,
webhook delivery records, the sync journal and per-fabric values, in real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hh_reference.errors import IntegrationError
from hh_reference.machines import StateMachineRegistry, UnknownMachine
from hh_reference.specs import ErrorCatalog, load_catalog
from hh_reference.store import GLOBAL_SCOPE, Store, connection_key, resource_key


@pytest.fixture(scope="module")
def registry(project_root: Path) -> StateMachineRegistry:
    return StateMachineRegistry(project_root)


@pytest.fixture(scope="module")
def catalog(project_root: Path) -> ErrorCatalog:
    return load_catalog(project_root)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "reference.sqlite3"


@pytest.fixture
def store(db: Path, registry: StateMachineRegistry, catalog: ErrorCatalog) -> Store:
    return Store(db, registry, catalog)


def _state_code(catalog: ErrorCatalog) -> str:
    entry = catalog.by_condition("transition_not_in_machine")
    assert entry is not None
    return entry.code


def test_registry_answers_from_the_specs(registry: StateMachineRegistry) -> None:
    assert registry.allowed("fabric_sync", "never_synced", "start_sync") == "syncing"
    assert registry.allowed("fabric_sync", "error", "sync_succeeded") is None
    assert registry.allowed("resource_lifecycle", "committed", "became_ready") is None
    # Guards choose among several destinations: the caller names the one it observed.
    assert set(registry.destinations("resource_drift", "unobserved", "observe")) >= {"in_sync", "desired_only"}
    assert registry.allowed("resource_drift", "unobserved", "observe") is None
    assert registry.allowed("resource_drift", "unobserved", "observe", "desired_only") == "desired_only"
    assert registry.allowed("resource_drift", "unobserved", "observe", "deletion_pending") is None
    assert registry.allowed("fabric_sync", "In_Sync", "drift_detected") is None
    with pytest.raises(UnknownMachine, match="fabric_sink"):
        registry.allowed("fabric_sink", "x", "y")


def test_fire_persists_and_survives_reopen(
    db: Path, store: Store, registry: StateMachineRegistry, catalog: ErrorCatalog
) -> None:
    assert store.state("fabric_sync", "f1") == "never_synced"
    assert store.fire("fabric_sync", "f1", "start_sync") == "syncing"
    assert store.fire("fabric_sync", "f1", "sync_failed", code="HH-NB-001") == "error"
    store.close()
    reopened = Store(db, registry, catalog)
    assert reopened.state("fabric_sync", "f1") == "error"
    log = reopened.transitions("fabric_sync", "f1")
    assert [(t.from_state, t.to_state, t.trigger, t.code) for t in log] == [
        ("never_synced", "syncing", "start_sync", None),
        ("syncing", "error", "sync_failed", "HH-NB-001"),
    ]
    assert reopened.fabrics() == ["f1"]


def test_forbidden_transition_raises_the_state_code_and_changes_nothing(store: Store, catalog: ErrorCatalog) -> None:
    store.fire("fabric_sync", "f1", "start_sync")
    store.fire("fabric_sync", "f1", "sync_failed", code="HH-NB-001")
    with pytest.raises(IntegrationError) as caught:
        store.fire("fabric_sync", "f1", "sync_succeeded")
    assert caught.value.code == _state_code(catalog)
    assert "state=error" in caught.value.message and "trigger=sync_succeeded" in caught.value.message
    assert store.state("fabric_sync", "f1") == "error"
    assert len(store.transitions("fabric_sync", "f1")) == 2


def test_unknown_code_on_a_transition_is_refused(store: Store) -> None:
    with pytest.raises(LookupError, match="HH-NOPE-001"):
        store.fire("fabric_sync", "f1", "start_sync", code="HH-NOPE-001")
    assert store.state("fabric_sync", "f1") == "never_synced"


def test_per_resource_and_connection_machines(store: Store) -> None:
    key = resource_key("f1", "switches", "leaf-01")
    assert store.fire("resource_drift", key, "observe", dest="desired_only") == "desired_only"
    assert store.fire("resource_lifecycle", key, "commit") == "committed"
    assert store.fire("connection_status", connection_key("f1", "git"), "configure") == "pending"
    assert store.entities("f1", "resource_drift") == {key: ("desired_only", None)}
    assert store.state("connection_status", connection_key("f1", "kubernetes")) == "unknown"
    with pytest.raises(ValueError, match="kubernetes"):
        connection_key("f1", "ssh")


def test_two_stores_on_one_file_see_each_other(
    db: Path, store: Store, registry: StateMachineRegistry, catalog: ErrorCatalog
) -> None:
    other = Store(db, registry, catalog)
    store.fire("fabric_status", "f2", "activate")
    assert other.state("fabric_status", "f2") == "active"
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_alert_lifecycle_through_its_machine(store: Store, catalog: ErrorCatalog) -> None:
    alert = store.raise_alert("f1", "HH-NB-001", "error", "HH-NB-001: boom")
    assert alert.state == "active" and alert.id >= 1
    assert store.raise_alert("f1", "HH-NB-001", "error", "again").id == alert.id  # an open alert is not duplicated
    with pytest.raises(IntegrationError) as no_operator:
        store.update_alert(alert.id, "acknowledge")
    assert no_operator.value.code == _state_code(catalog)
    acked = store.update_alert(alert.id, "acknowledge", operator="ops@example")
    assert (acked.state, acked.operator) == ("acknowledged", "ops@example")
    with pytest.raises(IntegrationError):
        store.update_alert(alert.id, "suppress", operator="ops@example")  # no reason
    assert store.update_alert(alert.id, "resolve").state == "resolved"
    with pytest.raises(IntegrationError):
        store.update_alert(alert.id, "acknowledge", operator="ops@example")
    recurrence = store.raise_alert("f1", "HH-NB-001", "error", "HH-NB-001: boom again")
    assert recurrence.id != alert.id and recurrence.state == "active"
    assert [a.id for a in store.alerts(state="resolved")] == [alert.id]
    with pytest.raises(KeyError):
        store.alert(999)


def test_global_alerts_do_not_make_a_fabric(store: Store) -> None:
    store.raise_alert(GLOBAL_SCOPE, "HH-HOOK-003", "error", "HH-HOOK-003: forged")
    assert store.fabrics() == []
    assert [a.fabric for a in store.alerts()] == [GLOBAL_SCOPE]


def test_delivery_ids_are_remembered_for_the_retention(
    db: Path, registry: StateMachineRegistry, catalog: ErrorCatalog
) -> None:
    now = [1000.0]
    store = Store(db, registry, catalog, clock=lambda: now[0])
    assert store.record_delivery("d-1", "push") is True
    assert store.record_delivery("d-1", "push") is False
    now[0] += 3600
    assert store.record_delivery("d-1", "push", retention_s=7200) is False
    now[0] += 7201
    assert store.record_delivery("d-1", "push", retention_s=7200) is True


def test_sync_journal_survives_reopen(
    db: Path, store: Store, registry: StateMachineRegistry, catalog: ErrorCatalog
) -> None:
    sync_id = store.begin_sync("f1", "api")
    store.journal_step(sync_id, "read_intent", "done", {"objects": 12}, f"{sync_id}:read_intent")
    store.journal_step(sync_id, "create_blobs", "pending", {}, "digest-abc")
    store.close()
    reopened = Store(db, registry, catalog)
    assert reopened.open_syncs() == [(sync_id, "f1")]
    steps = reopened.journal(sync_id)
    assert [(s.step, s.status, s.payload, s.idempotency_key) for s in steps] == [
        ("read_intent", "done", {"objects": 12}, f"{sync_id}:read_intent"),
        ("create_blobs", "pending", {}, "digest-abc"),
    ]
    reopened.journal_step(sync_id, "create_blobs", "done", {"blobs": ["a"]}, "digest-abc")
    reopened.finish_sync(sync_id, "in_sync")
    assert reopened.open_syncs() == []
    assert reopened.journal(sync_id)[1].status == "done"
    with pytest.raises(sqlite3.IntegrityError):
        reopened.journal_step(sync_id, "apply", "half-done", {}, "k")


def test_values_per_fabric(store: Store) -> None:
    assert store.get_value("f1", "last_commit_sha") is None
    store.set_value("f1", "last_commit_sha", "abc")
    store.set_value("f1", "last_commit_sha", "def")
    store.set_value("f2", "last_commit_sha", "xyz")
    assert (store.get_value("f1", "last_commit_sha"), store.get_value("f2", "last_commit_sha")) == ("def", "xyz")


class _RefusingNetBox:
    """NetBox's journal endpoint as the alert journal meets it: refusing (403) until ``accept``."""

    def __init__(self) -> None:
        self.accept = False
        self.entries: list[tuple[str, str]] = []

    def fabric(self, slug: str) -> object:
        return type("Site", (), {"id": 7})()

    def journal(self, object_type: str, object_id: int, kind: str, comments: str) -> None:
        if not self.accept:
            raise IntegrationError("HH-AUTH-002", "HH-AUTH-002: the NetBox token lacks a permission (403)")
        self.entries.append((kind, comments))


def test_alert_journal_entries_netbox_refused_wait_and_are_written_in_order(store: Store) -> None:
    from hh_reference.service import AlertJournal  # noqa: PLC0415

    netbox = _RefusingNetBox()
    store.alert_listeners.append(AlertJournal(netbox, store))  # type: ignore[arg-type]
    first = store.raise_alert("f1", "HH-AUTH-002", "error", "HH-AUTH-002: refused")
    second = store.raise_alert("f1", "HH-NB-002", "error", "HH-NB-002: rejected")
    assert netbox.entries == []  # refused, nothing lost: both wait in the store
    netbox.accept = True
    store.catch_up_alerts("f1")
    assert [text.split(":")[0] for _, text in netbox.entries] == [
        f"alert {first.id} HH-AUTH-002",
        f"alert {second.id} HH-NB-002",
    ]
    store.catch_up_alerts("f1")
    assert len(netbox.entries) == 2  # each written once


def test_renew_gives_a_deleted_resource_a_new_lifecycle_and_leaves_a_live_one(store: Store) -> None:
    gone, live = resource_key("f", "connections", "server-07"), resource_key("f", "connections", "server-01")
    for trigger in ("commit", "apply", "became_ready", "source_deleted", "prune"):
        store.fire("resource_lifecycle", gone, trigger)
    store.fire("resource_lifecycle", live, "commit")
    assert store.renew("resource_lifecycle", gone) == "draft"
    assert store.renew("resource_lifecycle", live) == "committed"
    logged = store.transitions("resource_lifecycle", gone)[-1]
    assert (logged.from_state, logged.to_state, logged.trigger) == (None, "draft", "created")
    assert store.fire("resource_lifecycle", gone, "commit") == "committed"
