"""One bounded GET of a target's identifying JSON document, shared by the live targets' start().

A target that is not the service it claims to be must be one clear message before any test
runs, and never a hang: the whole exchange (connect, headers, body) has one deadline, so a
server that trickles its body or never answers is cut off. The TargetError says what the server
did instead: unreachable, closed mid-answer, too slow, a redirect or an HTML page (a login
form), another status, malformed JSON.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from harness.targets.base import TargetError

MAX_PROBE_BYTES = 1 << 20


def probe_json(
    where: str,
    url: str,
    headers: dict[str, str],
    deadline_s: float = 10.0,
    *,
    verify: bool | str = True,
    cert: tuple[str, str] | None = None,
) -> Any:
    """The JSON document ``GET url`` answers with 200, within ``deadline_s`` in all.

    ``where`` names the target in messages (e.g. ``"GitHub at https://api.github.com"``)."""
    path = httpx.URL(url).path
    deadline = time.monotonic() + deadline_s
    body = b""
    try:
        timeout = httpx.Timeout(deadline_s, connect=min(deadline_s, 5.0))
        with (
            httpx.Client(verify=verify, cert=cert, timeout=timeout, follow_redirects=False) as client,
            client.stream("GET", url, headers={**headers, "Accept": "application/json"}) as response,
        ):
            for chunk in response.iter_bytes():
                body += chunk
                if time.monotonic() > deadline:
                    raise TargetError(f"{where}: {path} sent {len(body)} bytes in {deadline_s:g}s and was cut "
                                      "off (a server that trickles its answer)")  # fmt: skip
                if len(body) > MAX_PROBE_BYTES:
                    raise TargetError(f"{where}: {path} answered more than {MAX_PROBE_BYTES} bytes")
    except httpx.TimeoutException as exc:
        raise TargetError(f"{where}: {path} did not answer within {deadline_s:g}s ({type(exc).__name__})") from exc
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        raise TargetError(f"{where}: closed the connection in the middle of its answer to {path} ({exc})") from exc
    except httpx.HTTPError as exc:
        raise TargetError(f"{where} is unreachable: {exc}") from exc
    status, kind = response.status_code, response.headers.get("content-type", "")
    if status in (401, 403):
        raise TargetError(f"{where} rejected the credentials ({status} on {path})")
    if status in (301, 302, 303, 307, 308):
        raise TargetError(f"{where}: {path} redirected to {response.headers.get('location')!r} (a login page?), "
                          "not the API")  # fmt: skip
    if status != 200:
        raise TargetError(f"{where}: {path} answered {status}, expected 200")
    if "html" in kind or body.lstrip()[:1] == b"<":
        raise TargetError(f"{where}: {path} answered an HTML page (a login form?), not API JSON")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise TargetError(f"{where}: {path} answered malformed JSON ({exc}): {body[:80]!r}") from exc
