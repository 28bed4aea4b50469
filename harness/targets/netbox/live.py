"""LiveNetBox: an existing NetBox reached by URL and API token; and the choice between live and managed."""

from __future__ import annotations

from typing import Any

from harness.targets.base import Endpoint, TargetError
from harness.targets.probe import probe_json

ENV_URL = "HARNESS_NETBOX_URL"
ENV_TOKEN = "HARNESS_NETBOX_TOKEN"


def auth_header(token: str) -> dict[str, str]:
    """v2 tokens (``nbt_<key>.<secret>``) go as Bearer, legacy v1 tokens as Token."""
    scheme = "Bearer" if token.startswith("nbt_") else "Token"
    return {"Authorization": f"{scheme} {token}"}


def probe_status(url: str, token: str, deadline_s: float = 10.0) -> dict[str, Any]:
    """``GET /api/status/`` of a NetBox, within ``deadline_s`` in all; a TargetError says what the
    server did instead of NetBox's status JSON (see harness.targets.probe), or that the JSON is not
    NetBox's status."""
    where = f"NetBox at {url}"
    document = probe_json(where, f"{url}/api/status/", auth_header(token), deadline_s)
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
