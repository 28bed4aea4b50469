"""LiveNetBox: an existing NetBox reached by URL and API token; and the choice between live and managed."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from harness.targets.base import Endpoint, TargetError

ENV_URL = "HARNESS_NETBOX_URL"
ENV_TOKEN = "HARNESS_NETBOX_TOKEN"


def auth_header(token: str) -> dict[str, str]:
    """v2 tokens (``nbt_<key>.<secret>``) go as Bearer, legacy v1 tokens as Token."""
    scheme = "Bearer" if token.startswith("nbt_") else "Token"
    return {"Authorization": f"{scheme} {token}"}


MAX_STATUS_BYTES = 1 << 20


def probe_status(url: str, token: str, deadline_s: float = 10.0) -> dict[str, Any]:
    """``GET /api/status/`` of a NetBox, within ``deadline_s`` in all (a server that trickles its
    body or never answers is cut off); a TargetError says what the server did instead of NetBox's
    status JSON: unreachable, closed mid-answer, too slow, an HTML page (a login form), malformed
    JSON, a JSON document that is not NetBox's status, a refused token."""
    where = f"NetBox at {url}"
    deadline = time.monotonic() + deadline_s
    body = b""
    try:
        timeout = httpx.Timeout(deadline_s, connect=min(deadline_s, 5.0))
        with httpx.stream("GET", f"{url}/api/status/", headers={**auth_header(token), "Accept": "application/json"},
                          timeout=timeout, follow_redirects=False) as response:  # fmt: skip
            for chunk in response.iter_bytes():
                body += chunk
                if time.monotonic() > deadline:
                    raise TargetError(f"{where}: /api/status/ sent {len(body)} bytes in {deadline_s:g}s and was cut "
                                      "off (a server that trickles its answer)")  # fmt: skip
                if len(body) > MAX_STATUS_BYTES:
                    raise TargetError(f"{where}: /api/status/ answered more than {MAX_STATUS_BYTES} bytes")
    except httpx.TimeoutException as exc:
        raise TargetError(
            f"{where}: /api/status/ did not answer within {deadline_s:g}s ({type(exc).__name__})"
        ) from exc
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        raise TargetError(
            f"{where}: closed the connection in the middle of its answer to /api/status/ ({exc})"
        ) from exc
    except httpx.HTTPError as exc:
        raise TargetError(f"{where} is unreachable: {exc}") from exc
    status, kind = response.status_code, response.headers.get("content-type", "")
    if status in (401, 403):
        raise TargetError(f"{where} rejected the API token ({status})")
    if status in (301, 302, 303, 307, 308):
        raise TargetError(f"{where}: /api/status/ redirected to {response.headers.get('location')!r} "
                          "(a login page?), not NetBox's API")  # fmt: skip
    if status != 200:
        raise TargetError(f"{where}: /api/status/ answered {status}, expected 200")
    if "html" in kind or body.lstrip()[:1] == b"<":
        raise TargetError(f"{where}: /api/status/ answered an HTML page (a login form?), not NetBox's API JSON")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise TargetError(f"{where}: /api/status/ answered malformed JSON ({exc}): {body[:80]!r}") from exc
    if not isinstance(document, dict) or "netbox-version" not in document:
        raise TargetError(f"{where}: /api/status/ answered JSON without netbox-version: not a NetBox")
    return document


class LiveNetBox:
    """A NetBox the harness does not own: it never starts, stops or wipes it."""

    name = "netbox"

    def __init__(self, url: str, token: str, timeout_s: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise TargetError(f"--netbox-url {url!r} must start with http:// or https://")
        if not token:
            raise TargetError(f"a NetBox URL needs an API token: pass --netbox-token or set {ENV_TOKEN}")
        self.url = url.rstrip("/")
        self._token = token
        self._timeout_s = timeout_s

    def start(self) -> Endpoint:
        """Check that the NetBox answers /api/status/ with the token; return its endpoint."""
        status = probe_status(self.url, self._token, self._timeout_s)
        return Endpoint(url=self.url, secret=self._token, extra={"version": str(status.get("netbox-version", ""))})

    def stop(self) -> None:
        """Nothing to stop: the harness did not start this NetBox."""

    def reset(self) -> None:
        """Refuse: wiping someone else's NetBox is not a reset the harness may do."""
        raise TargetError(
            f"reset is not available for the existing NetBox at {self.url}: the harness does not own its "
            f"database. Use the managed NetBox (`harness up netbox`) for tests that need a clean start."
        )

    def healthy(self) -> bool:
        """Whether /api/status/ answers NetBox's status JSON to the token."""
        try:
            probe_status(self.url, self._token, self._timeout_s)
        except TargetError:
            return False
        return True
