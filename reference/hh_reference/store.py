"""Durable state of the integration in one SQLite file (WAL): machine states, transitions, alerts,
webhook deliveries, the sync step journal and small per-fabric values.

Entity keys are described in ``hh_reference.records`` (re-exported here). Every state change goes
through the machine of its spec and is written with its transition record in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hh_reference.errors import condition_error
from hh_reference.machines import StateMachineRegistry
from hh_reference.records import (
    DELIVERY_RETENTION_S,
    ENDPOINTS,
    GLOBAL_SCOPE,
    LAST_RENDERED_DIGEST,
    LAST_SYNC_COMMIT,
    Alert,
    JournalStep,
    Transition,
    alert_key,
    connection_key,
    pull_request_key,
    resource_key,
)
from hh_reference.specs import ErrorCatalog

__all__ = [
    "ENDPOINTS",
    "GLOBAL_SCOPE",
    "LAST_RENDERED_DIGEST",
    "LAST_SYNC_COMMIT",
    "Alert",
    "JournalStep",
    "Store",
    "Transition",
    "alert_key",
    "connection_key",
    "pull_request_key",
    "resource_key",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS machine_state (
    machine TEXT NOT NULL, entity TEXT NOT NULL, fabric TEXT NOT NULL, state TEXT NOT NULL,
    code TEXT, updated_at REAL NOT NULL, PRIMARY KEY (machine, entity));
CREATE INDEX IF NOT EXISTS machine_state_fabric ON machine_state (fabric, machine);
CREATE TABLE IF NOT EXISTS transition_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, machine TEXT NOT NULL, entity TEXT NOT NULL,
    from_state TEXT, to_state TEXT NOT NULL, trigger TEXT NOT NULL, code TEXT, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS transition_log_entity ON transition_log (machine, entity);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, fabric TEXT NOT NULL, code TEXT NOT NULL,
    severity TEXT NOT NULL, message TEXT NOT NULL, created_at REAL NOT NULL,
    operator TEXT, reason TEXT);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    delivery_id TEXT PRIMARY KEY, event TEXT NOT NULL, received_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS webhook_deliveries_age ON webhook_deliveries (received_at);
CREATE TABLE IF NOT EXISTS syncs (
    sync_id TEXT PRIMARY KEY, fabric TEXT NOT NULL, reason TEXT NOT NULL,
    started_at REAL NOT NULL, finished_at REAL, outcome TEXT);
CREATE TABLE IF NOT EXISTS sync_steps (
    sync_id TEXT NOT NULL REFERENCES syncs (sync_id), step TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done')), payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL, updated_at REAL NOT NULL, PRIMARY KEY (sync_id, step));
CREATE TABLE IF NOT EXISTS kv (
    fabric TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (fabric, key));
"""


class Store:
    """The integration's state file. Thread-safe; several processes may open the same file."""

    def __init__(
        self,
        path: Path,
        registry: StateMachineRegistry,
        catalog: ErrorCatalog,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.registry = registry
        self.catalog = catalog
        self.clock = clock
        # told of every alert raised and every change of an alert (alert, trigger): the journal on NetBox
        self.alert_listeners: list[Callable[[Alert, str], None]] = []
        self._lock = threading.RLock()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode; every write opens its own BEGIN IMMEDIATE transaction.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        # IF NOT EXISTS makes this safe when several processes open the same file.
        with self._lock:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the file; the Store is unusable afterwards."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- machine states -------------------------------------------------------------------------

    def state(self, machine_id: str, entity: str) -> str:
        """The current state (the machine's initial state when nothing was recorded yet)."""
        with self._lock:
            row = self._db.execute(
                "SELECT state FROM machine_state WHERE machine = ? AND entity = ?", (machine_id, entity)
            ).fetchone()
        return str(row["state"]) if row else self.registry.spec(machine_id).initial

    def fire(
        self, machine_id: str, entity_key: str, trigger: str, *, code: str | None = None, dest: str | None = None
    ) -> str:
        """Take ``trigger`` on the entity's machine and persist it; returns the new state.

        ``dest`` names the destination when the spec declares several for this trigger (guards the
        caller evaluated). A trigger that is not a declared transition from the current state raises
        the catalog's HH-STATE error and changes nothing.
        """
        if code is not None and not self.catalog.has(code):
            raise LookupError(f"error code {code} is not defined in specs/errors/*.yaml")
        with self._write() as db:
            row = db.execute(
                "SELECT state FROM machine_state WHERE machine = ? AND entity = ?", (machine_id, entity_key)
            ).fetchone()
            current = str(row["state"]) if row else self.registry.spec(machine_id).initial
            new = self.registry.allowed(machine_id, current, trigger, dest)
            if new is None:
                raise condition_error(
                    "transition_not_in_machine",
                    catalog=self.catalog,
                    machine=machine_id,
                    entity=entity_key,
                    state=current,
                    trigger=trigger,
                )
            self._put(
                db,
                machine=machine_id,
                entity=entity_key,
                old=current,  # an entity with no record yet was in the machine's initial state
                new=new,
                trigger=trigger,
                code=code,
            )
        return new

    def _put(
        self,
        db: sqlite3.Connection,
        *,
        machine: str,
        entity: str,
        old: str | None,
        new: str,
        trigger: str,
        code: str | None,
    ) -> None:
        now = self.clock()
        db.execute(
            "INSERT INTO machine_state (machine, entity, fabric, state, code, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (machine, entity) DO UPDATE SET state = excluded.state, code = excluded.code, "
            "updated_at = excluded.updated_at",
            (machine, entity, entity.split("/", 1)[0], new, code, now),
        )
        db.execute(
            "INSERT INTO transition_log (machine, entity, from_state, to_state, trigger, code, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (machine, entity, old, new, trigger, code, now),
        )

    def ensure(self, machine_id: str, entity_key: str) -> str:
        """Record the entity in its initial state if it has no state yet; returns its state."""
        initial = self.registry.spec(machine_id).initial
        with self._write() as db:
            row = db.execute(
                "SELECT state FROM machine_state WHERE machine = ? AND entity = ?", (machine_id, entity_key)
            ).fetchone()
            if row:
                return str(row["state"])
            self._put(db, machine=machine_id, entity=entity_key, old=None, new=initial, trigger="created", code=None)
        return initial

    def renew(self, machine_id: str, entity_key: str) -> str:
        """A new life for an entity whose state is final (a deleted resource whose name NetBox reuses:
        "a NetBox object that reuses the name starts a new lifecycle"): its initial state, logged as a
        creation, not as a transition out of the final state. Any other entity is left as it is."""
        spec = self.registry.spec(machine_id)
        with self._write() as db:
            row = db.execute(
                "SELECT state FROM machine_state WHERE machine = ? AND entity = ?", (machine_id, entity_key)
            ).fetchone()
            if row and str(row["state"]) not in spec.final_states:
                return str(row["state"])
            self._put(
                db, machine=machine_id, entity=entity_key, old=None, new=spec.initial, trigger="created", code=None
            )
        return spec.initial

    def transitions(self, machine_id: str, entity_key: str) -> list[Transition]:
        """Every recorded state change of one entity, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM transition_log WHERE machine = ? AND entity = ? ORDER BY id", (machine_id, entity_key)
            ).fetchall()
        return [_transition(r) for r in rows]

    def history(self, fabric: str, after: int = 0, limit: int = 1000) -> list[tuple[int, Transition]]:
        """The fabric's recorded state changes with their log ids, oldest first: those after log id
        ``after``, at most ``limit`` (read on from the last id to page)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM transition_log WHERE id > ? AND (entity = ? OR substr(entity, 1, ?) = ?) "
                "ORDER BY id LIMIT ?",
                (after, fabric, len(fabric) + 1, f"{fabric}/", limit),
            ).fetchall()
        return [(int(r["id"]), _transition(r)) for r in rows]

    def fabrics(self) -> list[str]:
        """Names of every fabric with recorded state, sorted."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT fabric FROM machine_state WHERE fabric != ? ORDER BY fabric", (GLOBAL_SCOPE,)
            ).fetchall()
        return [str(r["fabric"]) for r in rows]

    def entities(self, fabric: str, machine_id: str) -> dict[str, tuple[str, str | None]]:
        """Entity key -> (state, last code) of one machine within a fabric."""
        with self._lock:
            rows = self._db.execute(
                "SELECT entity, state, code FROM machine_state WHERE fabric = ? AND machine = ? ORDER BY entity",
                (fabric, machine_id),
            ).fetchall()
        return {str(r["entity"]): (str(r["state"]), r["code"]) for r in rows}

    # -- alerts -----------------------------------------------------------------------------------

    def raise_alert(self, fabric: str, code: str, severity: str, message: str) -> Alert:
        """Open an alert in its initial state; an open (active/acknowledged) alert for the same
        fabric and code is returned instead, so a failing retry loop does not flood operators."""
        if not self.catalog.has(code):
            raise LookupError(f"error code {code} is not defined in specs/errors/*.yaml")
        open_alert = next(
            (a for a in self.alerts(fabric=fabric) if a.code == code and a.state in ("active", "acknowledged")), None
        )
        if open_alert is not None:
            return open_alert
        alert = self._insert_alert(fabric, code, severity, message)
        self._tell(alert, "raised")
        return alert

    def catch_up_alerts(self, fabric: str) -> None:
        """Let each alert listener that keeps what it could not pass on (``flush``) try again."""
        for listener in self.alert_listeners:
            flush = getattr(listener, "flush", None)
            if flush is not None:
                flush(fabric)

    def _tell(self, alert: Alert, trigger: str) -> None:
        for listener in self.alert_listeners:
            listener(alert, trigger)

    def _insert_alert(self, fabric: str, code: str, severity: str, message: str) -> Alert:
        initial = self.registry.spec("reconciliation_alert").initial
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO alerts (fabric, code, severity, message, created_at) VALUES (?, ?, ?, ?, ?)",
                (fabric, code, severity, message, self.clock()),
            )
            alert_id = int(cursor.lastrowid or 0)
            self._put(
                db,
                machine="reconciliation_alert",
                entity=alert_key(fabric, alert_id),
                old=None,
                new=initial,
                trigger="raised",
                code=code,
            )
        return self.alert(alert_id)

    def alert(self, alert_id: int) -> Alert:
        """One alert; KeyError when no alert has this id."""
        found = self._alerts("WHERE a.id = ?", (alert_id,))
        if not found:
            raise KeyError(f"no alert with id {alert_id}")
        return found[0]

    def alerts(self, *, fabric: str | None = None, state: str | None = None) -> list[Alert]:
        """Alerts, oldest first, optionally of one fabric and/or in one state."""
        clauses, params = [], []
        if fabric is not None:
            clauses.append("a.fabric = ?")
            params.append(fabric)
        if state is not None:
            clauses.append("m.state = ?")
            params.append(state)
        return self._alerts(("WHERE " + " AND ".join(clauses)) if clauses else "", tuple(params))

    def _alerts(self, where: str, params: tuple[Any, ...]) -> list[Alert]:
        with self._lock:
            rows = self._db.execute(
                "SELECT a.*, m.state FROM alerts a JOIN machine_state m ON m.machine = 'reconciliation_alert' "
                f"AND m.entity = a.fabric || '/alert/' || a.id {where} ORDER BY a.id",
                params,
            ).fetchall()
        return [
            Alert(
                r["id"],
                r["fabric"],
                r["code"],
                r["severity"],
                r["message"],
                r["state"],
                r["created_at"],
                r["operator"],
                r["reason"],
            )
            for r in rows
        ]

    def update_alert(
        self, alert_id: int, trigger: str, *, operator: str | None = None, reason: str | None = None
    ) -> Alert:
        """acknowledge / resolve / suppress an alert through its machine. The guards operator_named and
        suppression_reason_given are checked here: a missing operator or reason refuses the change."""
        alert = self.alert(alert_id)
        needs_operator = trigger in ("acknowledge", "suppress")
        if (needs_operator and not operator) or (trigger == "suppress" and not reason):
            raise condition_error(
                "transition_not_in_machine",
                catalog=self.catalog,
                machine="reconciliation_alert",
                entity=alert_key(alert.fabric, alert_id),
                state=alert.state,
                trigger=trigger,
                guard="operator_named" if not operator else "suppression_reason_given",
            )
        self.fire("reconciliation_alert", alert_key(alert.fabric, alert_id), trigger)
        if operator or reason:
            with self._write() as db:
                db.execute(
                    "UPDATE alerts SET operator = COALESCE(?, operator), reason = COALESCE(?, reason) WHERE id = ?",
                    (operator, reason, alert_id),
                )
        changed = self.alert(alert_id)
        self._tell(changed, trigger)
        return changed

    # -- webhook deliveries --------------------------------------------------------------------

    def record_delivery(self, delivery_id: str, event: str, retention_s: float = DELIVERY_RETENTION_S) -> bool:
        """Remember a delivery id; False when it was already recorded within the retention (a replay)."""
        now = self.clock()
        with self._write() as db:
            db.execute("DELETE FROM webhook_deliveries WHERE received_at < ?", (now - retention_s,))
            cursor = db.execute(
                "INSERT OR IGNORE INTO webhook_deliveries (delivery_id, event, received_at) VALUES (?, ?, ?)",
                (delivery_id, event, now),
            )
            return cursor.rowcount == 1

    # -- sync journal ---------------------------------------------------------------------------

    def begin_sync(self, fabric: str, reason: str) -> str:
        """Open a sync run and return its id."""
        sync_id = uuid.uuid4().hex
        with self._write() as db:
            db.execute(
                "INSERT INTO syncs (sync_id, fabric, reason, started_at) VALUES (?, ?, ?, ?)",
                (sync_id, fabric, reason, self.clock()),
            )
        return sync_id

    def finish_sync(self, sync_id: str, outcome: str) -> None:
        """Close a sync run with its outcome (e.g. in_sync, awaiting_merge, or an HH- code)."""
        with self._write() as db:
            db.execute(
                "UPDATE syncs SET finished_at = ?, outcome = ? WHERE sync_id = ?", (self.clock(), outcome, sync_id)
            )

    def open_syncs(self, fabric: str | None = None) -> list[tuple[str, str]]:
        """(sync_id, fabric) of runs never finished, oldest first: what a crash left to resume."""
        with self._lock:
            rows = self._db.execute(
                "SELECT sync_id, fabric FROM syncs WHERE finished_at IS NULL AND (? IS NULL OR fabric = ?) "
                "ORDER BY started_at, rowid",
                (fabric, fabric),
            ).fetchall()
        return [(str(r["sync_id"]), str(r["fabric"])) for r in rows]

    def journal_step(self, sync_id: str, step: str, status: str, payload: dict[str, Any], idempotency_key: str) -> None:
        """Record a step as pending (about to act, with the key that makes the act idempotent) or done
        (with its result). Rewriting a step replaces its record."""
        with self._write() as db:
            db.execute(
                "INSERT INTO sync_steps (sync_id, step, status, payload, idempotency_key, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sync_id, step) DO UPDATE SET status = excluded.status, "
                "payload = excluded.payload, idempotency_key = excluded.idempotency_key, "
                "updated_at = excluded.updated_at",
                (sync_id, step, status, json.dumps(payload, sort_keys=True), idempotency_key, self.clock()),
            )

    def journal(self, sync_id: str) -> list[JournalStep]:
        """The steps of one run in the order they were first journaled."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM sync_steps WHERE sync_id = ? ORDER BY rowid", (sync_id,)).fetchall()
        return [
            JournalStep(r["sync_id"], r["step"], r["status"], json.loads(r["payload"]), r["idempotency_key"])
            for r in rows
        ]

    # -- per-fabric values ------------------------------------------------------------------------

    def set_value(self, fabric: str, key: str, value: str) -> None:
        """Store a small value (e.g. LAST_RENDERED_DIGEST, LAST_SYNC_COMMIT) for a fabric."""
        with self._write() as db:
            db.execute(
                "INSERT INTO kv (fabric, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (fabric, key) DO UPDATE SET value = excluded.value",
                (fabric, key, value),
            )

    def get_value(self, fabric: str, key: str) -> str | None:
        """A stored value, or None."""
        with self._lock:
            row = self._db.execute("SELECT value FROM kv WHERE fabric = ? AND key = ?", (fabric, key)).fetchone()
        return str(row["value"]) if row else None


def _transition(row: sqlite3.Row) -> Transition:
    return Transition(row["machine"], row["entity"], row["from_state"], row["to_state"], row["trigger"], row["code"],
                      row["at"])  # fmt: skip
