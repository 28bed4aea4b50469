"""What a recorded sync says of itself: the fabric and GitOps mode it synced, the repository owner its
GitHub paths name, and which parts of a body differ from run to run (masked when recordings are
compared, matched by type in a pact)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

from harness.replay.cassette import Cassette

_VOLATILE = (
    (re.compile(rb"\b[0-9a-f]{40}\b"), b"<sha>"),
    (re.compile(rb"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), b"<uuid>"),
    (re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), b"<time>"),
    (re.compile(rb"\b(sync|run)-[0-9a-zA-Z_-]{6,}\b"), b"<run>"),
)


def masked(body: bytes) -> str:
    for pattern, replacement in _VOLATILE:
        body = pattern.sub(replacement, body)
    return body.decode(errors="replace")


def fabric_and_mode(netbox: Cassette) -> tuple[str, str]:
    """The fabric the recording synced (the first site read by slug) and its GitOps mode."""
    for exchange in netbox.exchanges:
        slug = parse_qs(exchange.query).get("slug")
        if exchange.path.rstrip("/").endswith("/dcim/sites") and slug and exchange.response_body:
            site = json.loads(exchange.response_body)["results"][0]
            mode = (site.get("custom_fields") or {}).get("hh_gitops_mode") or {}
            return slug[0], str(mode.get("value") if isinstance(mode, dict) else mode or "direct")
    raise AssertionError(f"{netbox.path}: the recording never reads a site by slug; it is not a sync recording")


def recorded_owner(github: Cassette) -> str:
    """The repository owner the recorded GitHub paths name (``/repos/<owner>/<repo>/...``)."""
    for exchange in github.exchanges:
        parts = exchange.path.strip("/").split("/")
        if len(parts) >= 3 and parts[0] == "repos":
            return parts[1]
    raise AssertionError(f"{github.path}: no recorded request names a repository (/repos/<owner>/<repo>/...)")


def volatile(body: bytes) -> bool:
    """Whether a request body carries values that differ from run to run (shas, uuids, times, run ids)."""
    return masked(body) != body.decode(errors="replace")
