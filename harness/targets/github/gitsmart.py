"""git's smart HTTP protocol at /{owner}/{repo}.git, served by dulwich on the same bare repositories."""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import re
from collections.abc import Iterable, Iterator
from typing import Any

from dulwich.errors import NotGitRepository
from dulwich.repo import Repo
from dulwich.server import Backend
from dulwich.web import GunzipFilter, HTTPGitApplication, LimitedInputFilter

from harness.targets.github.errors import ApiError
from harness.targets.github.store import ZERO_SHA, RepoRecord, Store

GIT_PATH = re.compile(r"^/(?P<owner>[^/]+)/(?P<repo>[^/]+?)\.git(?P<rest>/.*)$")

# Operation ids for fault injection on the git side.
OPERATIONS = {
    "/info/refs": "github.smart_http.info_refs",
    "/git-upload-pack": "github.smart_http.upload_pack",
    "/git-receive-pack": "github.smart_http.receive_pack",
}

StartResponse = Any


def operation(rest: str) -> str:
    """The operation id of a smart-HTTP request path (the part after ``.git``)."""
    return OPERATIONS.get(rest, "github.smart_http.other")


def authorised(environ: dict[str, Any], token: str) -> bool:
    """HTTP basic auth carrying the token as password (any user name) or as user name, as GitHub accepts."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return any(hmac.compare_digest(candidate.encode(), token.encode()) for candidate in (password, user))


class SmartHttp:
    """Routes smart-HTTP requests to dulwich and turns pushed ref changes into store notifications."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # werkzeug hands over the raw socket stream: dulwich must not read past Content-Length.
        self._app = LimitedInputFilter(GunzipFilter(HTTPGitApplication(_Backend(store))))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse, rec: RepoRecord,
                 rest: str) -> Iterable[bytes]:  # fmt: skip
        """Serve one smart-HTTP request for ``rec`` (already authorised and looked up)."""
        environ["PATH_INFO"] = f"/{rec.path.parent.name}/{rec.path.name}{rest}"
        # werkzeug has already de-chunked the body; dulwich would try to de-chunk it again.
        if environ.get("wsgi.input_terminated"):
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        if rest != "/git-receive-pack":
            return self._app(environ, start_response)
        before = _refs(rec)
        return self._after_push(self._app(environ, start_response), rec, before)

    def _after_push(self, body: Iterable[bytes], rec: RepoRecord, before: dict[str, str]) -> Iterator[bytes]:
        try:
            yield from body
        finally:
            after = _refs(rec)
            for ref in sorted(set(before) | set(after)):
                if before.get(ref) != after.get(ref):
                    self.store.notify(rec, ref, before.get(ref, ZERO_SHA), after.get(ref, ZERO_SHA))


class _Backend(Backend):
    """Opens only repositories the store knows, by the canonical path SmartHttp rewrote the request to."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def open_repository(self, path: str | bytes) -> Repo:
        # dulwich passes str for ref advertisement and bytes for the service request
        owner, _, name = os.fsdecode(path).strip("/").partition("/")
        try:
            return self.store.get(owner, name.removesuffix(".git")).git()
        except ApiError as exc:
            raise NotGitRepository(f"no repository at {os.fsdecode(path)}") from exc


def _refs(rec: RepoRecord) -> dict[str, str]:
    refs = rec.git().refs
    return {k.decode(): v.decode() for k, v in refs.as_dict().items() if k.startswith(b"refs/")}
