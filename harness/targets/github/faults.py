"""Fault injection and rate limits: what the harness uses to make the twin misbehave on purpose."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

_ACTIONS = {"respond", "reset", "delay"}
_SECONDARY_STATUSES = (403, 429)


class FaultSpecError(ValueError):
    """A fault or limit definition the twin cannot honour; the message names the field."""


@dataclass
class Fault:
    """Answer ``operation`` (an operation id, or "*" for every one) with a canned response.

    ``action``: respond (status/headers/body), reset (close the connection) or delay (then serve normally).
    """

    operation: str
    action: str = "respond"
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay_s: float = 0.0
    times: int | None = 1

    @classmethod
    def parse(cls, data: Any) -> Fault:
        """Validate a POST /_twin/faults body."""
        if not isinstance(data, dict) or not isinstance(data.get("operation"), str):
            raise FaultSpecError('fault: "operation" (an operation id such as github.git.update_ref) is required')
        action = data.get("action", "respond")
        if action not in _ACTIONS:
            raise FaultSpecError(f"fault.action: {action!r} is not one of {sorted(_ACTIONS)}")
        status = data.get("status", 500)
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise FaultSpecError(f"fault.status: {status!r} is not an HTTP status (100..599)")
        headers = data.get("headers", {})
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise FaultSpecError("fault.headers: must map header names to string values")
        times = data.get("times", 1)
        if times is not None and (not isinstance(times, int) or times < 1):
            raise FaultSpecError(f"fault.times: {times!r} must be a positive integer or null (forever)")
        delay = data.get("delay_s", 0.0)
        if not isinstance(delay, int | float) or not 0 <= delay <= 60:
            raise FaultSpecError(f"fault.delay_s: {delay!r} must be a number of seconds in 0..60")
        return cls(data["operation"], action, status, headers, data.get("body"), float(delay), times)


class Faults:
    """Armed faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Arm a fault."""
        with self._lock:
            self._armed.append(fault)

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._armed.clear()

    def take(self, operation: str) -> Fault | None:
        """The first fault armed for ``operation``, counting one use of it."""
        with self._lock:
            for fault in self._armed:
                if fault.operation in {operation, "*"}:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            self._armed.remove(fault)
                    return fault
        return None


class RateLimits:
    """The primary (hourly, per token) limit and the secondary limits GitHub applies to bursts.

    A secondary limit is armed either by rate (``writes_per_minute``: writes beyond it in a rolling minute are
    refused) or outright (``secondary_requests``: the next N requests are refused, whatever they are). Either
    answers ``secondary_status`` (403, or 429 as GitHub also does) with ``retry-after: retry_after``.
    """

    def __init__(self, limit: int = 5000) -> None:
        self._lock = threading.Lock()
        self.limit = limit
        self.used = 0
        self.reset_at = int(time.time()) + 3600
        self.writes_per_minute: int | None = None
        self.secondary_requests = 0
        self.secondary_status = 403
        self.retry_after_s = 60
        self._writes: list[float] = []

    def configure(self, data: Any) -> None:
        """POST /_twin/rate_limit: {"limit", "remaining", "writes_per_minute", "secondary_requests",
        "secondary_status", "retry_after"} (all optional)."""
        if not isinstance(data, dict):
            raise FaultSpecError("rate_limit: body must be a JSON object")
        for key in ("limit", "remaining", "writes_per_minute", "secondary_requests", "retry_after"):
            value = data.get(key)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise FaultSpecError(f"rate_limit.{key}: {value!r} must be a non-negative integer")
        status = data.get("secondary_status")
        if status is not None and status not in _SECONDARY_STATUSES:
            raise FaultSpecError(f"rate_limit.secondary_status: {status!r} must be one of {_SECONDARY_STATUSES}")
        with self._lock:
            self.limit = data.get("limit", self.limit)
            self.used = self.limit - data["remaining"] if data.get("remaining") is not None else 0
            self.writes_per_minute = data.get("writes_per_minute", self.writes_per_minute)
            self.secondary_requests = data.get("secondary_requests") or 0
            self.secondary_status = status or self.secondary_status
            self.retry_after_s = data.get("retry_after", self.retry_after_s)
            self._writes.clear()

    def reset(self) -> None:
        """Back to a full hourly budget and no secondary limit."""
        self.configure({"limit": 5000, "writes_per_minute": None, "secondary_status": 403, "retry_after": 60})

    def snapshot(self) -> dict[str, int]:
        """{"limit", "remaining", "used", "reset"} as the headers and GET /rate_limit report it."""
        with self._lock:
            self._roll()
            return {"limit": self.limit, "remaining": max(self.limit - self.used, 0), "used": self.used,
                    "reset": self.reset_at}  # fmt: skip

    def spend(self, write: bool) -> str | None:
        """Count one request; returns "primary" or "secondary" when it must be refused."""
        with self._lock:
            self._roll()
            if self.used >= self.limit:
                return "primary"
            if self.secondary_requests > 0:
                self.secondary_requests -= 1
                return "secondary"
            if write and self.writes_per_minute is not None:
                now = time.monotonic()
                self._writes = [t for t in self._writes if now - t < 60]
                if len(self._writes) >= self.writes_per_minute:
                    return "secondary"
                self._writes.append(now)
            self.used += 1
            return None

    def retry_after(self) -> int:
        """Seconds a client must wait after a secondary-limit refusal."""
        return self.retry_after_s

    def seconds_to_reset(self) -> int:
        """Seconds until the hourly window resets."""
        return max(math.ceil(self.reset_at - time.time()), 0)

    def _roll(self) -> None:
        if time.time() >= self.reset_at:
            self.used = 0
            self.reset_at = int(time.time()) + 3600
