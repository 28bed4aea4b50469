"""LiveNetBox: an existing NetBox reached by URL and API token; and the choice between live and managed."""

from __future__ import annotations

import httpx

from harness.targets.base import Endpoint, TargetError

ENV_URL = "HARNESS_NETBOX_URL"
ENV_TOKEN = "HARNESS_NETBOX_TOKEN"


def auth_header(token: str) -> dict[str, str]:
    """v2 tokens (``nbt_<key>.<secret>``) go as Bearer, legacy v1 tokens as Token."""
    scheme = "Bearer" if token.startswith("nbt_") else "Token"
    return {"Authorization": f"{scheme} {token}"}


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
        try:
            response = httpx.get(f"{self.url}/api/status/", headers=auth_header(self._token), timeout=self._timeout_s)
        except httpx.HTTPError as exc:
            raise TargetError(f"NetBox at {self.url} is unreachable: {exc}") from exc
        if response.status_code in (401, 403):
            raise TargetError(f"NetBox at {self.url} rejected the API token ({response.status_code})")
        if response.status_code != 200:
            raise TargetError(f"NetBox at {self.url}/api/status/ answered {response.status_code}, expected 200")
        return Endpoint(
            url=self.url, secret=self._token, extra={"version": str(response.json().get("netbox-version", ""))}
        )

    def stop(self) -> None:
        """Nothing to stop: the harness did not start this NetBox."""

    def reset(self) -> None:
        """Refuse: wiping someone else's NetBox is not a reset the harness may do."""
        raise TargetError(
            f"reset is not available for the existing NetBox at {self.url}: the harness does not own its "
            f"database. Use the managed NetBox (`harness up netbox`) for tests that need a clean start."
        )

    def healthy(self) -> bool:
        """Whether /api/status/ answers 200 to the token."""
        try:
            response = httpx.get(f"{self.url}/api/status/", headers=auth_header(self._token), timeout=self._timeout_s)
        except httpx.HTTPError:
            return False
        return response.status_code == 200
