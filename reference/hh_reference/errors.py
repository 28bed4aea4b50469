"""The one exception type of the integration: a failure named by its error-catalog code.

Every failure the integration reports carries an ``HH-...`` code from ``specs/errors/*.yaml``, the
catalog's operator message (which always contains the code) and whether the catalog allows a retry.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, NoReturn

from hh_reference.specs import CatalogEntry, ErrorCatalog, default_spec_root, load_catalog


class IntegrationError(Exception):
    """A catalogued failure. ``message`` always contains ``code``; ``details`` never holds secrets."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        retryable: bool = False,
        retry_after_s: float | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.message = message if code in message else f"{code}: {message}"
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"IntegrationError({self.code!r}, retryable={self.retryable}, retry_after_s={self.retry_after_s})"


def error_for(entry: CatalogEntry, *, retry_after_s: float | None = None, **details: Any) -> IntegrationError:
    """Build the error for one catalog entry; details are appended to the message for the operator."""
    message = entry.message
    if details:
        rendered = ", ".join(f"{key}={value}" for key, value in sorted(details.items()))
        message = f"{message} ({rendered})"
    return IntegrationError(
        entry.code, message, retryable=entry.retryable, retry_after_s=retry_after_s, details=details
    )


_lock = threading.Lock()
_active: ErrorCatalog | None = None


def install_catalog(catalog: ErrorCatalog) -> None:
    """Make ``catalog`` the one ``raise_condition`` uses when no catalog is passed (done by the app at start)."""
    global _active  # noqa: PLW0603 - one catalog per process, set once at start-up
    with _lock:
        _active = catalog


def active_catalog(spec_root: Path | None = None) -> ErrorCatalog:
    """The installed catalog, loading it from ``spec_root`` (default: the repository root) on first use."""
    global _active  # noqa: PLW0603 - lazily filled cache of the installed catalog
    with _lock:
        if _active is None:
            _active = load_catalog(spec_root or default_spec_root())
        return _active


def condition_error(condition: str, /, *, catalog: ErrorCatalog | None = None, **details: Any) -> IntegrationError:
    """The error for the catalog entry whose trigger is ``condition: {name: <condition>}``.

    An unknown condition name is a programming error (the code and the catalogs disagree), so it
    raises LookupError instead of inventing a code.
    """
    entry = (catalog or active_catalog()).by_condition(condition)
    if entry is None:
        raise LookupError(f"no error catalog entry has trigger condition '{condition}' (specs/errors/*.yaml)")
    return error_for(entry, **details)


def raise_condition(condition: str, /, *, catalog: ErrorCatalog | None = None, **details: Any) -> NoReturn:
    """Raise the IntegrationError of the catalog condition ``condition`` with ``details`` (any names but catalog)."""
    raise condition_error(condition, catalog=catalog, **details)
