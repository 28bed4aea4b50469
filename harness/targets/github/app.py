"""The twin's WSGI application: auth, rate limits, faults, REST dispatch, smart HTTP and the admin API."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import struct
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from harness.targets.github import admin, gitsmart, routes
from harness.targets.github.context import Ctx, Raw
from harness.targets.github.errors import DOCS, ApiError
from harness.targets.github.events import Events
from harness.targets.github.faults import Fault, Faults, RateLimits
from harness.targets.github.media import Media, negotiate
from harness.targets.github.store import Store
from harness.targets.github.webhooks import Webhooks

log = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_PRIMARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
_SECONDARY_DOCS = _PRIMARY_DOCS + "#about-secondary-rate-limits"
DEFAULT_MEDIA = Media()


class Twin:
    """All state of one twin plus the WSGI entry point that serves it."""

    def __init__(self, root: Path, login: str, token: str, webhook_url: str | None,
                 webhook_secret: str | None) -> None:  # fmt: skip
        self.token = token
        self.public_url = "http://127.0.0.1"
        self.store = Store(root, login)
        self.hooks = Webhooks(webhook_url, webhook_secret)
        self.events = Events(self.store, self.hooks, lambda: self.public_url)
        self.faults = Faults()
        self.limits = RateLimits()
        self.smart_http = gitsmart.SmartHttp(self.store)

    def reset(self) -> None:
        """Wipe repositories, faults, limits and the delivery log (the hook URL and secret stay)."""
        self.store.reset()
        self.faults.clear()
        self.limits.reset()
        self.hooks.clear()

    def close(self) -> None:
        """Stop the webhook worker."""
        self.hooks.close()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        path = request.path
        if path.startswith("/_twin/"):
            return admin.handle(self, request)(environ, start_response)
        git = gitsmart.GIT_PATH.match(path)
        if git:
            return self._git(environ, start_response, git.group("owner"), git.group("repo"), git.group("rest"))
        return self._api(request)(environ, start_response)

    def authorised(self, request: Request) -> str | None:
        """None when the token is right, else GitHub's 401 message."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if not header:
            return "Requires authentication"
        if scheme.lower() not in {"bearer", "token"} or not hmac.compare_digest(
            value.strip().encode(), self.token.encode()
        ):
            return "Bad credentials"
        return None

    def _git(self, environ: dict[str, Any], start_response: Any, owner: str, repo: str,
             rest: str) -> Iterable[bytes]:  # fmt: skip
        if not gitsmart.authorised(environ, self.token):
            headers = [("WWW-Authenticate", 'Basic realm="GitHub"'), ("Content-Type", "text/plain")]
            start_response("401 Unauthorized", headers)
            return [b"Invalid username or token. Password authentication is not supported.\n"]
        fault = self.faults.take(gitsmart.operation(rest))
        if fault is not None:
            early = _apply_fault(fault, environ)
            if early is not None:
                return early(environ, start_response)
        try:
            rec = self.store.get(owner, repo)
        except ApiError:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Repository not found.\n"]
        return self.smart_http(environ, start_response, rec, rest)

    def _api(self, request: Request) -> Response:
        found = routes.match(request.method, request.path)
        if found is None:
            return self._respond(404, ApiError(404, "Not Found").body(DOCS))
        route, params = found
        problem = self.authorised(request)
        if problem is not None:
            return self._respond(401, ApiError(401, problem).body(DOCS))
        fault = self.faults.take(route.operation)
        if fault is not None:
            early = _apply_fault(fault, request.environ)
            if early is not None:
                return self._with_rate_headers(early)
        counted = route.operation != "github.rate_limit.get"
        # A conditional GET is only counted once we know it is not a 304 (GitHub does not count those).
        conditional = request.method == "GET" and bool(request.if_none_match)
        if counted and not conditional:
            refused = self.limits.spend(request.method in _WRITES)
            if refused is not None:
                return self._refuse(refused)
        media = negotiate(request.headers.get("Accept", ""))
        status, payload, headers = self._handle(request, route, params, media)
        response = self._respond(status, payload, headers, media)
        if conditional and status == 200 and request.if_none_match.contains_weak(response.get_etag()[0] or ""):
            return self._not_modified(response, media)
        if counted and conditional:
            refused = self.limits.spend(False)
            if refused is not None:
                return self._refuse(refused)
            return self._with_rate_headers(response, media)
        return response

    def _handle(self, request: Request, route: routes.Route, params: dict[str, str],
                media: Media) -> tuple[int, Any, dict[str, str]]:  # fmt: skip
        """Run the route's handler: (status, payload, extra headers), errors shaped as GitHub shapes them."""
        try:
            body = _parse_body(request)
            self.public_url = request.host_url.rstrip("/")
            ctx = Ctx(self.store, self.events, self.public_url, body, dict(request.args.items()),
                      self.limits.snapshot(), media=media)  # fmt: skip
            with self.store.lock:
                status, payload = route.handler(ctx, params)
        except ApiError as exc:
            return exc.status, exc.body(route.documentation_url), exc.headers
        except Exception:  # a bug in the twin must answer 500, not drop the connection
            log.exception("github twin: %s %s failed", request.method, request.path)
            return 500, {"message": "Server Error"}, {}
        return status, payload, ctx.headers

    def _refuse(self, which: str) -> Response:
        if which == "primary":
            message = "API rate limit exceeded for user. Check out the documentation for more details."
            return self._respond(403, {"message": message, "documentation_url": _PRIMARY_DOCS, "status": "403"},
                                 {"retry-after": str(self.limits.seconds_to_reset())})  # fmt: skip
        status = self.limits.secondary_status
        message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        body = {"message": message, "documentation_url": _SECONDARY_DOCS, "status": str(status)}
        return self._respond(status, body, {"retry-after": str(self.limits.retry_after())})

    def _respond(self, status: int, payload: Any, headers: dict[str, str] | None = None,
                 media: Media = DEFAULT_MEDIA) -> Response:  # fmt: skip
        """JSON (or a Raw body, or none for None) with GitHub's headers; 2xx bodies carry a strong ETag."""
        if payload is None:
            response = Response(b"", status=status)
            del response.headers["Content-Type"]
        elif isinstance(payload, Raw):
            response = Response(payload.data, status=status, content_type=payload.content_type)
        else:
            response = Response(json.dumps(payload).encode(), status=status, content_type=media.content_type)
        if payload is not None and 200 <= status < 300:
            response.set_etag(hashlib.sha256(response.get_data()).hexdigest())
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return self._with_rate_headers(response, media)

    def _not_modified(self, full: Response, media: Media) -> Response:
        """304 with no body, the ETag kept, the rate limit not spent."""
        response = Response(b"", status=304)
        del response.headers["Content-Type"]
        response.headers["ETag"] = full.headers["ETag"]
        return self._with_rate_headers(response, media)

    def _with_rate_headers(self, response: Response, media: Media = DEFAULT_MEDIA) -> Response:
        rate = self.limits.snapshot()
        for key in ("limit", "remaining", "used", "reset"):
            response.headers[f"x-ratelimit-{key}"] = str(rate[key])
        response.headers["x-ratelimit-resource"] = "core"
        response.headers["x-github-api-version-selected"] = API_VERSION
        response.headers["x-github-media-type"] = media.header
        response.headers["x-github-request-id"] = uuid.uuid4().hex[:20].upper()
        return response


def _parse_body(request: Request) -> Any:
    """The JSON body (None when empty); 400 "Problems parsing JSON" as GitHub answers bad JSON."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "Problems parsing JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Problems parsing JSON")
    return body


def _apply_fault(fault: Fault, environ: dict[str, Any]) -> Response | None:
    """Carry out an armed fault; None means "delay done, now serve normally"."""
    if fault.action == "delay":
        time.sleep(fault.delay_s)  # the fault *is* the delay
        return None
    if fault.action == "reset":
        conn = environ.get("werkzeug.socket")
        if isinstance(conn, socket.socket):
            # Linger 0 makes the final close an RST; shutdown ends the exchange before any response byte.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.shutdown(socket.SHUT_RDWR)
        return Response(b"", status=500)
    data = b"" if fault.body is None else json.dumps(fault.body).encode()
    response = Response(data, status=fault.status, headers=fault.headers)
    if fault.body is not None and "content-type" not in {k.lower() for k in fault.headers}:
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response
