"""Row types and entity keys of the state store.

Entity keys: a fabric machine (fabric_sync, fabric_status) uses the fabric name; everything else
starts with ``<fabric>/``, so the fabric of any row is the key's first segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ENDPOINTS = ("kubernetes", "git")
GLOBAL_SCOPE = "_integration"
"""The 'fabric' of alerts not tied to one fabric (e.g. forged webhooks); never a valid fabric name."""
LAST_SYNC_COMMIT = "last_sync_commit"
"""Per-fabric value: the target-branch commit of the last completed sync (NetBox hh_last_sync_commit)."""
LAST_RENDERED_DIGEST = "last_rendered_digest"
"""Per-fabric value: digest of the last render, to tell whether intent changed."""
DELIVERY_RETENTION_S = 7 * 24 * 3600.0
"""Delivery ids are kept 7 days (the webhook catalog's replay window; GitHub redelivers for 3)."""


def connection_key(fabric: str, endpoint: str) -> str:
    """Entity key of a fabric's connection_status for endpoint ``kubernetes`` or ``git``."""
    if endpoint not in ENDPOINTS:
        raise ValueError(f"connection endpoint must be one of {ENDPOINTS}, got {endpoint!r}")
    return f"{fabric}/{endpoint}"


def resource_key(fabric: str, plural: str, name: str) -> str:
    """Entity key of one managed object (resource_lifecycle, resource_drift)."""
    return f"{fabric}/{plural}/{name}"


def pull_request_key(fabric: str, number: int) -> str:
    """Entity key of one pull request of a fabric's sync branch."""
    return f"{fabric}/pr/{number}"


def alert_key(fabric: str, alert_id: int) -> str:
    """Entity key of one reconciliation_alert."""
    return f"{fabric}/alert/{alert_id}"


@dataclass(frozen=True)
class Transition:
    """One recorded state change (``from_state`` None: the entity was created in its initial state)."""

    machine: str
    entity: str
    from_state: str | None
    to_state: str
    trigger: str
    code: str | None
    at: float


@dataclass(frozen=True)
class Alert:
    """A reconciliation alert with its current reconciliation_alert state."""

    id: int
    fabric: str
    code: str
    severity: str
    message: str
    state: str
    created_at: float
    operator: str | None
    reason: str | None


@dataclass(frozen=True)
class JournalStep:
    """One step of a sync run as journaled: pending (started) or done, with its payload."""

    sync_id: str
    step: str
    status: str
    payload: dict[str, Any]
    idempotency_key: str
