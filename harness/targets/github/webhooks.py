"""Webhook delivery: signed like GitHub, sent asynchronously, recorded in a delivery log."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import queue
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

USER_AGENT = "GitHub-Hookshot/hh-twin"


def signature(secret: str, body: bytes) -> str:
    """``X-Hub-Signature-256``: ``sha256=`` + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Webhooks:
    """One hook (URL + secret) and a worker thread that delivers events in order."""

    def __init__(self, url: str | None, secret: str | None, timeout_s: float = 10.0) -> None:
        self.url = url
        self._secret = secret
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._log: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="github-twin-webhooks", daemon=True)
        self._worker.start()

    def configure(self, url: str | None, secret: str | None) -> None:
        """Point the hook somewhere else (None disables delivery)."""
        with self._lock:
            self.url = url
            self._secret = secret

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        """Queue an event; nothing is queued when no URL is configured (like a repo without hooks)."""
        if self.url is None:
            return
        with self._lock:
            delivery_id = next(self._ids)
            delivery: dict[str, Any] = {
                "id": delivery_id,
                "guid": str(uuid.uuid4()),
                "event": event,
                "action": payload.get("action"),
                "url": self.url,
                "status": "queued",
                "status_code": None,
                "error": None,
                "redelivery": False,
                "delivered_at": None,
                "payload": payload,
                "request_headers": {},
            }
            self._log[delivery_id] = delivery
        self._queue.put(delivery)

    def redeliver(self, delivery_id: int) -> dict[str, Any] | None:
        """Send a recorded delivery again (same guid, as GitHub's redeliver does); None if unknown."""
        with self._lock:
            old = self._log.get(delivery_id)
            if old is None:
                return None
            again = {**old, "id": next(self._ids), "status": "queued", "status_code": None,
                     "error": None, "redelivery": True, "delivered_at": None, "request_headers": {}}  # fmt: skip
            self._log[again["id"]] = again
        self._queue.put(again)
        return again

    def deliveries(self) -> list[dict[str, Any]]:
        """A snapshot of the delivery log, oldest first."""
        with self._lock:
            return [dict(d) for d in self._log.values()]

    def clear(self) -> None:
        """Forget the log (deliveries already queued are still attempted)."""
        with self._lock:
            self._log.clear()

    def close(self) -> None:
        """Stop the worker after what is queued."""
        self._queue.put(None)
        self._worker.join(timeout=self._timeout_s)

    def _run(self) -> None:
        client: httpx.Client | None = None  # made at the first delivery: a twin with no hook never imports httpx
        try:
            while (delivery := self._queue.get()) is not None:
                try:
                    if client is None:
                        import httpx  # noqa: PLC0415

                        client = httpx.Client(timeout=self._timeout_s)
                    self._deliver(client, delivery)
                except Exception as exc:  # noqa: BLE001 - one delivery's failure must not stop the ones after it
                    with self._lock:
                        delivery.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            if client is not None:
                client.close()

    def _deliver(self, client: httpx.Client, delivery: dict[str, Any]) -> None:
        import httpx  # noqa: PLC0415 - loaded by _run already

        body = json.dumps(delivery["payload"]).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-GitHub-Event": delivery["event"],
            "X-GitHub-Delivery": delivery["guid"],
            "X-GitHub-Hook-ID": "1",
        }
        with self._lock:
            secret = self._secret
        if secret:
            headers["X-Hub-Signature-256"] = signature(secret, body)
        update: dict[str, Any] = {"request_headers": headers}
        try:
            response = client.post(delivery["url"], content=body, headers=headers)
            update.update(status="delivered" if response.is_success else "failed",
                          status_code=response.status_code)  # fmt: skip
        except httpx.HTTPError as exc:
            update.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        update["delivered_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self._lock:
            delivery.update(update)
