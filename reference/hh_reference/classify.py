"""Map a response or an exception at a boundary to its error-catalog code.

The catalogs say how each failure is recognised (``trigger.http`` / ``trigger.exception``); this
module only applies them. When several entries match, the most specific one wins: an entry for the
operation beats a boundary-wide one, then an entry that requires headers beats one that does not,
then one that requires body text, and for exceptions the class nearest in the MRO.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping

from hh_reference.errors import IntegrationError, active_catalog, error_for
from hh_reference.specs import CatalogEntry, ErrorCatalog, ExceptionTrigger, HttpTrigger


def _retry_after(headers: Mapping[str, str], now: float) -> tuple[float, str] | None:
    """The server's wait hint in seconds and the header it came from (retry-after wins)."""
    value = headers.get("retry-after")
    if value is not None:
        value = value.strip()
        try:
            return max(0.0, float(value)), "retry-after"
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None and when.tzinfo is not None:
                return max(0.0, when.timestamp() - now), "retry-after"
    reset = headers.get("x-ratelimit-reset")
    if reset is not None:
        try:
            return max(0.0, float(reset.strip()) - now), "x-ratelimit-reset"
        except ValueError:
            return None
    return None


def _http_score(
    trigger: HttpTrigger, operation_id: str, status: int, headers: Mapping[str, str], body: str
) -> tuple[int, int, int] | None:
    if status not in trigger.status:
        return None
    if trigger.operations is not None and operation_id not in trigger.operations:
        return None
    if any(headers.get(name) != value for name, value in trigger.headers.items()):
        return None
    if trigger.body_contains is not None and trigger.body_contains not in body:
        return None
    return (trigger.operations is not None, len(trigger.headers), trigger.body_contains is not None)


def classify_response(
    boundary: str,
    operation_id: str,
    status: int,
    headers: Mapping[str, str],
    body_text: str,
    *,
    catalog: ErrorCatalog | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> IntegrationError | None:
    """The catalogued error this response is, or None when no entry of ``boundary`` matches it."""
    lowered = {name.lower(): value for name, value in headers.items()}
    best: tuple[tuple[int, int, int], CatalogEntry] | None = None
    for entry in (catalog or active_catalog()).at_boundary(boundary):
        if not isinstance(entry.trigger, HttpTrigger):
            continue
        score = _http_score(entry.trigger, operation_id, status, lowered, body_text)
        # Strictly greater: among equally specific entries the first in file order wins.
        if score is not None and (best is None or score > best[0]):
            best = (score, entry)
    if best is None:
        return None
    hint = _retry_after(lowered, wall_clock())
    details: dict[str, object] = {"operation": operation_id, "status": status}
    if hint is not None:
        details["retry_after_header"] = hint[1]
    return error_for(best[1], retry_after_s=hint[0] if hint else None, **details)


def _class_matches(wanted: str, cls: type) -> bool:
    """``httpx.ConnectError`` names ``httpx._exceptions.ConnectError``: same top package, same class name."""
    module = cls.__module__
    if "." not in wanted:
        return module == "builtins" and cls.__qualname__ == wanted
    if wanted == f"{module}.{cls.__qualname__}":
        return True
    package, _, name = wanted.rpartition(".")
    return name == cls.__qualname__ and module.split(".")[0] == package.split(".")[0]


def classify_exception(
    boundary: str, operation_id: str, exc: BaseException, *, catalog: ErrorCatalog | None = None
) -> IntegrationError | None:
    """The catalogued error this exception is (an IntegrationError is returned as it is), or None."""
    if isinstance(exc, IntegrationError):
        return exc
    mro = type(exc).__mro__
    best: tuple[tuple[int, int], CatalogEntry] | None = None
    for entry in (catalog or active_catalog()).at_boundary(boundary):
        trigger = entry.trigger
        if not isinstance(trigger, ExceptionTrigger):
            continue
        if trigger.operations is not None and operation_id not in trigger.operations:
            continue
        distance = next((i for i, cls in enumerate(mro) if _class_matches(trigger.class_name, cls)), None)
        if distance is None:
            continue
        score = (trigger.operations is not None, -distance)
        if best is None or score > best[0]:
            best = (score, entry)
    if best is None:
        return None
    return error_for(best[1], operation=operation_id, exception=type(exc).__name__)
