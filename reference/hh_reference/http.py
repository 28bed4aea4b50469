"""One HTTP client per boundary: every call names its contract operation, failures are
classified into catalog codes, and retryable ones are retried under the catalog's policy."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from hh_reference.classify import classify_exception, classify_response
from hh_reference.errors import condition_error
from hh_reference.retry import RetryUnits, call_with_retry
from hh_reference.specs import ErrorCatalog

log = logging.getLogger(__name__)

Observer = Callable[[str, str, str, int], None]  # operation id, method, url path, status


class ApiClient:
    """A thin httpx wrapper. ``token`` goes in the Authorization header and nowhere else."""

    def __init__(
        self,
        *,
        boundary: str,
        base_url: str,
        token: str | None,
        catalog: ErrorCatalog,
        auth_scheme: str = "Bearer",
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.boundary = boundary
        self.catalog = catalog
        all_headers = {"Accept": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"{auth_scheme} {token}"
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=all_headers, timeout=timeout_s)
        self._sleep = sleep
        self._units = RetryUnits()
        self.observers: list[Observer] = []

    def close(self) -> None:
        self._client.close()

    def call(
        self,
        operation_id: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        ok: tuple[int, ...] = (200, 201, 204),
        retry: bool = True,
    ) -> httpx.Response:
        """Perform one operation, retrying per the catalog; raise IntegrationError on failure.

        Statuses in ``ok`` are returned; a status outside it that no catalog entry
        recognises is the boundary's "unexpected status" code. With ``retry=False`` the caller
        retries a larger unit itself (a read-modify-write that must re-read before retrying)."""

        def attempt() -> httpx.Response:
            try:
                response = self._client.request(method, path, json=json, params=params)
            except httpx.HTTPError as exc:
                error = classify_exception(self.boundary, operation_id, exc, catalog=self.catalog)
                if error is None:
                    raise
                raise error from exc
            for observer in self.observers:
                observer(operation_id, method, response.request.url.path, response.status_code)
            if response.status_code in ok:
                return response
            error = classify_response(
                self.boundary,
                operation_id,
                response.status_code,
                response.headers,
                response.text,
                catalog=self.catalog,
            )
            if error is None:
                error = condition_error(
                    f"{self.boundary}_unexpected_status",
                    catalog=self.catalog,
                    operation=operation_id,
                    status=response.status_code,
                )
            raise error

        if not retry or self._units.inside:
            return attempt()
        kwargs: dict[str, Any] = {"catalog": self.catalog}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        result: httpx.Response = call_with_retry(attempt, **kwargs)
        return result

    def retrying(self, unit: Callable[[], Any]) -> Any:
        """Run a read-modify-write ``unit`` under the catalog's retry policies. Calls inside the
        unit do not retry on their own, so a code is tried at most its max_attempts times."""
        kwargs: dict[str, Any] = {"catalog": self.catalog}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep

        return self._units.run(unit, **kwargs)

    def json(
        self,
        operation_id: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        retry: bool = True,
    ) -> Any:
        """``call`` and parse the body; a body that is not JSON (an HTML login page) is classified."""
        response = self.call(operation_id, method, path, json=json, params=params, retry=retry)
        try:
            return response.json()
        except ValueError as exc:
            error = classify_exception(self.boundary, operation_id, exc, catalog=self.catalog)
            if error is None:
                raise
            raise error from exc
