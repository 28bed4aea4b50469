"""List paging as kube-apiserver does it: ``limit`` cuts a list into chunks in key order
(namespace, name), ``metadata.continue`` is an opaque token for the rest (base64 of
``{"v": "meta.k8s.io/v1", "rv": <list resourceVersion>, "start": "<next key>"}``) with
``remainingItemCount``; a token older than the retained history answers 410 Expired, a token that
does not decode answers 400.

Unlike the real server, a continued list is served from the current objects after the start key,
not from a snapshot at the token's resourceVersion (the stand-in keeps no snapshots); the
resourceVersion reported is the token's, as the real server reports it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from harness.targets.kube.status import StatusError, bad_request

TOKEN_VERSION = "meta.k8s.io/v1"
EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new "
    "list without the continue parameter."
)


def _key(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"


def encode(rv: int, start: str) -> str:
    raw = json.dumps({"v": TOKEN_VERSION, "rv": rv, "start": start}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str) -> tuple[int, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if data.get("v") != TOKEN_VERSION or not isinstance(data.get("rv"), int) or not isinstance(data["start"], str):
            raise ValueError("unexpected fields")
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise bad_request(f"continue key is not valid: {exc}") from exc
    return int(data["rv"]), str(data["start"])


def page(
    items: list[dict[str, Any]], query: dict[str, str], current_rv: int, oldest_retained: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One chunk of ``items`` and the list metadata for it."""
    raw_limit = query.get("limit") or "0"
    if not raw_limit.isdigit():
        raise bad_request(f"limit must be a non-negative integer, got {raw_limit!r}")
    limit = int(raw_limit)
    ordered = sorted(items, key=_key)
    rv = current_rv
    if query.get("continue"):
        rv, start = decode(query["continue"])
        if rv < oldest_retained:
            raise StatusError(410, "Expired", EXPIRED)
        ordered = [o for o in ordered if _key(o) >= start]
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if limit and len(ordered) > limit:
        chunk, rest = ordered[:limit], ordered[limit:]
        meta["continue"] = encode(rv, _key(rest[0]))
        meta["remainingItemCount"] = len(rest)
        return chunk, meta
    return ordered, meta
