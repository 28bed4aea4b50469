"""Remove credentials from recorded exchanges before they are written to disk.

Redacted by default: Authorization and Proxy-Authorization credentials (the scheme stays, so
``Bearer <REDACTED>``), cookies, webhook signatures, NetBox tokens (``nbt_...``), GitHub tokens
(``ghp_/gho_/ghs_/ghu_/ghr_``, ``github_pat_``), JWTs (Kubernetes service-account tokens), PEM
keys and certificates, kubeconfig-style credential fields (``client-key-data``, ``token`` ...),
and every configured secret string wherever it appears (also percent-encoded). A secret hidden
inside base64 content (a GitHub contents payload) is only found if its base64 form is
configured as a secret too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

REDACTED = "<REDACTED>"

_WHOLE_HEADERS = frozenset(("cookie", "set-cookie", "x-hub-signature-256", "x-hub-signature", "x-api-key"))
_CREDENTIAL_HEADERS = frozenset(("authorization", "proxy-authorization"))
_PATTERNS = (
    re.compile(r"nbt_[A-Za-z0-9_.]+"),
    re.compile(r"\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{20,}"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.DOTALL),
)
# Credential-bearing fields of kubeconfigs and token responses, in YAML, JSON or form encoding.
_FIELDS = re.compile(
    r"""((?:client-certificate-data|client-key-data|id-token|access-token|refresh-token|client-secret|"""
    r"""token|password|secret)["']?\s*[:=]\s*["']?)(?!(?:null|true|false)\b)([^\s"',&}]{4,})""",
    re.IGNORECASE,
)


class Redactor:
    """Replaces credentials in text, header lists and URIs with ``<REDACTED>``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        literal = {s for s in secrets if s}
        literal |= {quote(s, safe="") for s in literal}
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted(literal, key=len, reverse=True)

    def text(self, value: str) -> str:
        """``value`` with every known secret and credential pattern replaced."""
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            value = pattern.sub(REDACTED, value)
        return _FIELDS.sub(lambda m: m.group(1) + REDACTED, value)

    def header(self, name: str, value: str) -> str:
        """A header value with its credential removed."""
        lowered = name.lower()
        if lowered in _WHOLE_HEADERS:
            return REDACTED
        if lowered in _CREDENTIAL_HEADERS:
            scheme, _, credential = value.partition(" ")
            return f"{scheme} {REDACTED}" if credential else REDACTED
        return self.text(value)

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Every header of ``headers`` through :meth:`header`."""
        return [(k, self.header(k, v)) for k, v in headers]
