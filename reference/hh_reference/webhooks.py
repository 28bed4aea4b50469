"""GitHub webhook intake: verify, de-duplicate and turn a delivery into a reconcile request.

Answers follow specs/errors/webhook.yaml and GitHub's rule that any 2xx counts as delivered:

=====================================================  ======  ===========
delivery                                               status  code
=====================================================  ======  ===========
body above MAX_BODY_BYTES                              413     HH-HOOK-007
no X-Hub-Signature-256 (also: only legacy SHA-1 one)   401     HH-HOOK-001
signature not ``sha256=`` + 64 lower-case hex digits   401     HH-HOOK-002
HMAC-SHA256 of the raw body does not match             401     HH-HOOK-003
event other than push, pull_request, ping              202     HH-HOOK-005
body not a JSON object                                 400     HH-HOOK-006
no X-GitHub-Delivery id                                400     (none yet)
delivery id already processed (replay)                 200     HH-HOOK-004
ping                                                   200     -
push to the configured branch touching managed files   202     -> reconcile
pull_request closed and merged into the branch         202     -> reconcile
pull_request of a sync branch closed without merge     202     -> reconcile (HH-GIT-010)
anything else (other branch, other repo, PR opened)    200     ignored
=====================================================  ======  ===========

The signature is checked before anything in the body is looked at, and a delivery id is recorded
only once the delivery proved authentic, so forged requests cannot burn real delivery ids.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hh_reference.errors import condition_error
from hh_reference.specs import ErrorCatalog
from hh_reference.store import GLOBAL_SCOPE, Store

MAX_BODY_BYTES = 5 * 1024 * 1024
HANDLED_EVENTS = frozenset({"push", "pull_request", "ping"})
SYNC_BRANCH_PREFIX = "hh-sync/"
PUSH_COMMITS_SHOWN = 20
"""GitHub lists at most 20 commits in a push payload; a full list may hide more changed files."""

_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")
FABRIC_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
"""A fabric name is a DNS label (RFC 1123), as the Hedgehog object names derived from it."""
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reconcile:
    """Reconcile these fabrics (None: every fabric, the push did not say which)."""

    fabrics: tuple[str, ...] | None
    reason: str


@dataclass(frozen=True)
class WebhookResponse:
    """What to answer GitHub, the catalog code of a rejection, and the action to take, if any."""

    status: int
    message: str
    code: str | None = None
    action: Reconcile | None = None


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class WebhookReceiver:
    """Verifies deliveries with the shared secret and decides what each one asks for."""

    def __init__(
        self, *, secret: str, branch: str, repository: str, gitops_path: str, store: Store, catalog: ErrorCatalog
    ) -> None:
        if not secret:
            raise ValueError("webhook_secret is empty; set REFERENCE_WEBHOOK_SECRET to the secret configured on GitHub")
        self._secret = secret.encode()
        self.branch = branch
        self.repository = repository
        self.gitops_path = gitops_path.strip("/")
        self.store = store
        self.catalog = catalog

    def _reject(self, condition: str, status: int, delivery: str, **details: Any) -> WebhookResponse:
        error = condition_error(condition, catalog=self.catalog, **details)
        entry = self.catalog.entry(error.code)
        log.warning("webhook delivery %s: %s", delivery or "-", error.code)
        if entry.alert_severity is not None:
            self.store.raise_alert(GLOBAL_SCOPE, entry.code, entry.alert_severity, entry.message)
        return WebhookResponse(status, error.message, error.code)

    def oversized(self, delivery: str = "") -> WebhookResponse:
        """The answer to a body larger than MAX_BODY_BYTES (the server stops reading at the limit)."""
        return self._reject("body_too_large", 413, delivery, limit_bytes=MAX_BODY_BYTES)

    def handle(self, headers: Mapping[str, str], body: bytes) -> WebhookResponse:
        """Judge one delivery. ``headers`` are matched case-insensitively; ``body`` is the raw bytes."""
        lowered = {name.lower(): value for name, value in headers.items()}
        delivery = lowered.get("x-github-delivery", "")
        if len(body) > MAX_BODY_BYTES:
            return self.oversized(delivery)
        signature = lowered.get("x-hub-signature-256")
        if signature is None:
            return self._reject("signature_missing", 401, delivery)
        if not _SIGNATURE.fullmatch(signature):
            return self._reject("signature_malformed", 401, delivery)
        expected = "sha256=" + hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return self._reject("signature_mismatch", 401, delivery)
        event = lowered.get("x-github-event", "")
        if event not in HANDLED_EVENTS:
            return self._reject("event_unsupported", 202, delivery, event=event[:64] or "-")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            payload = None
        if not isinstance(payload, dict):
            return self._reject("body_not_json", 400, delivery)
        if not delivery:
            log.warning("webhook delivery without X-GitHub-Delivery rejected")
            return WebhookResponse(400, "X-GitHub-Delivery header missing; replay protection needs it")
        if not self.store.record_delivery(delivery, event):
            return self._reject("delivery_replayed", 200, delivery)
        return self._dispatch(event, payload, delivery)

    def _dispatch(self, event: str, payload: dict[str, Any], delivery: str) -> WebhookResponse:
        if event == "ping":
            return WebhookResponse(200, "pong")
        repo = payload.get("repository")
        full_name = repo.get("full_name") if isinstance(repo, dict) else None
        if self.repository and full_name != self.repository:
            return WebhookResponse(200, f"ignored: repository {full_name!r} is not {self.repository}")
        action = self._push(payload) if event == "push" else self._pull_request(payload)
        if isinstance(action, str):
            return WebhookResponse(200, f"ignored: {action}")
        log.info("webhook delivery %s: %s", delivery, action.reason)
        return WebhookResponse(202, f"reconcile requested: {action.reason}", action=action)

    def _push(self, payload: dict[str, Any]) -> Reconcile | str:
        ref = payload.get("ref")
        if ref != f"refs/heads/{self.branch}":
            return f"push to {ref!r}, not refs/heads/{self.branch}"
        commits = payload.get("commits")
        reason = f"push to {self.branch} ({str(payload.get('after', ''))[:12]})"
        if not isinstance(commits, list) or len(commits) >= PUSH_COMMITS_SHOWN:
            return Reconcile(None, reason)
        fabrics: set[str] = set()
        for commit in commits:
            if not isinstance(commit, dict):
                return Reconcile(None, reason)
            for key in ("added", "modified", "removed"):
                paths = commit.get(key)
                if not isinstance(paths, list):
                    return Reconcile(None, reason)
                fabrics.update(f for f in (self._fabric_of(p) for p in paths) if f)
        if not fabrics:
            return f"push to {self.branch} changed nothing under {self.gitops_path}/"
        return Reconcile(tuple(sorted(fabrics)), reason)

    def _fabric_of(self, path: object) -> str | None:
        if not isinstance(path, str):
            return None
        parts = path.split("/")
        prefix = self.gitops_path.split("/") if self.gitops_path else []
        if parts[: len(prefix)] != prefix or len(parts) <= len(prefix) + 1:
            return None
        name = parts[len(prefix)]
        # Only DNS-label directories can be fabrics; anything else under the path is not ours.
        return name if FABRIC_NAME.fullmatch(name) else None

    def _pull_request(self, payload: dict[str, Any]) -> Reconcile | str:
        pr = payload.get("pull_request")
        if payload.get("action") != "closed" or not isinstance(pr, dict):
            return f"pull_request action {payload.get('action')!r} is not a merge or a close"
        base = _mapping(pr.get("base"))
        if base.get("ref") != self.branch:
            return f"pull request closed against {base.get('ref')!r}, not {self.branch}"
        head_ref = str(_mapping(pr.get("head")).get("ref", ""))
        fabric = head_ref.removeprefix(SYNC_BRANCH_PREFIX)
        ours = head_ref.startswith(SYNC_BRANCH_PREFIX) and FABRIC_NAME.fullmatch(fabric) is not None
        if pr.get("merged") is not True:
            if not ours:
                return f"pull request #{pr.get('number')} closed without merge is not a sync pull request"
            # the sync finds it closed: HH-GIT-010, the fabric goes out_of_sync
            return Reconcile((fabric,), f"sync pull request #{pr.get('number')} closed without merge")
        reason = f"pull request #{pr.get('number')} merged into {self.branch}"
        return Reconcile((fabric,), reason) if ours else Reconcile(None, reason)
