"""Retry a call under the retry policy its failure's catalog entry declares.

The policy is the catalog's, never the caller's: a code that is not retryable is raised at once, a
retryable one is retried up to its ``max_attempts`` with exponential backoff and the entry's jitter,
and a server's wait hint (``retry-after``, ``x-ratelimit-reset``) replaces the computed delay only
when the entry lists that header under ``honour``. Time is injected, so tests run without sleeping.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from hh_reference.errors import IntegrationError
from hh_reference.specs import Backoff, ErrorCatalog, RetryPolicy

HARD_CAP_S = 300.0
"""No single wait exceeds this, whatever a server or a policy asks (a stuck sync is worse than a retry)."""

log = logging.getLogger(__name__)


class Uniform(Protocol):
    """The part of ``random.Random`` the jitter needs."""

    def uniform(self, a: float, b: float) -> float: ...


AttemptHook = Callable[[str, int, float | None], None]
"""Called after each failed attempt with (code, attempt number from 1, delay before the next or None)."""


def backoff_delay(backoff: Backoff, attempt: int, rng: Uniform) -> float:
    """The wait after failed attempt ``attempt`` (1-based): capped exponential, then jittered."""
    base = min(backoff.initial_s * backoff.multiplier ** (attempt - 1), backoff.max_s)
    if backoff.jitter == "full":
        return rng.uniform(0.0, base)
    if backoff.jitter == "equal":
        return base / 2 + rng.uniform(0.0, base / 2)
    return base


def next_delay(policy: RetryPolicy, error: IntegrationError, attempt: int, rng: Uniform) -> float:
    """The delay before the next attempt: the server's honoured hint, else the backoff; never above the cap."""
    header = error.details.get("retry_after_header")
    if error.retry_after_s is not None and header in policy.honour:
        return min(error.retry_after_s, HARD_CAP_S)
    return min(backoff_delay(policy.backoff, attempt, rng), HARD_CAP_S)


def call_with_retry[T](
    fn: Callable[[], T],
    *,
    catalog: ErrorCatalog,
    on_attempt: AttemptHook | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: Uniform | None = None,
    deadline_s: float | None = None,
) -> T:
    """Run ``fn`` and retry it on retryable IntegrationErrors per their catalog policy.

    The attempt count runs across codes; each failure is judged against the ``max_attempts`` of its
    own entry. The last error is re-raised when attempts are exhausted, when the code is not
    retryable, or when the next wait would end after ``deadline_s`` (measured with ``clock`` from the
    first call). Exceptions other than IntegrationError propagate untouched: callers classify first.
    """
    jitter = rng if rng is not None else random.Random()
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except IntegrationError as error:
            delay = _delay_or_none(catalog, error, attempt, jitter)
            if delay is not None and deadline_s is not None and clock() + delay - started > deadline_s:
                delay = None
            if on_attempt is not None:
                on_attempt(error.code, attempt, delay)
            if delay is None:
                raise
            log.info("retrying after %s (attempt %d) in %.3f s", error.code, attempt, delay)
            sleep(delay)


def _delay_or_none(catalog: ErrorCatalog, error: IntegrationError, attempt: int, rng: Uniform) -> float | None:
    if not error.retryable or not catalog.has(error.code):
        return None
    policy = catalog.entry(error.code).retry
    if policy is None or attempt >= policy.max_attempts:
        return None
    return next_delay(policy, error, attempt, rng)


class RetryUnits:
    """Retried units of several calls: a call made inside a unit does not retry on its own, so a
    code is tried at most its catalog ``max_attempts`` times, by the unit (per thread)."""

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def inside(self) -> bool:
        """Whether the current thread runs inside a unit."""
        return bool(getattr(self._local, "depth", 0))

    def run[T](self, unit: Callable[[], T], **kwargs: Any) -> T:
        """``call_with_retry(unit, **kwargs)`` with the calls inside ``unit`` not retrying."""

        def once() -> T:
            self._local.depth = getattr(self._local, "depth", 0) + 1
            try:
                return unit()
            finally:
                self._local.depth -= 1

        return call_with_retry(once, **kwargs)
