"""The harness's own small NetBox REST client, for building intent and reading it back in the
world (the implementation under test has its own; the harness never borrows it)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from harness.targets.base import TargetError
from harness.targets.netbox.live import auth_header

PAGE_SIZE = 200


def path_of(model: str) -> str:
    """``dcim.device_types`` -> ``/api/dcim/device-types/``."""
    app, _, name = model.partition(".")
    return f"/api/{app}/{name.replace('_', '-')}/"


class NetBoxApi:
    """create / list / patch by model name (``app.model_plural``); errors name the call and NetBox's answer."""

    def __init__(self, url: str, token: str, timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        headers = {**auth_header(token), "Accept": "application/json"}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NetBoxApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise TargetError(f"NetBox at {self.url}: {method} {path} failed: {exc}") from exc
        if response.status_code >= 300:
            raise TargetError(f"NetBox at {self.url}: {method} {path} answered {response.status_code}: "
                              f"{response.text[:300]}")  # fmt: skip
        try:
            return response.json() if response.content else None
        except ValueError as exc:
            raise TargetError(f"NetBox at {self.url}: {method} {path} answered with no JSON: "
                              f"{response.text[:120]!r}") from exc  # fmt: skip

    def create(self, model: str, body: Mapping[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self._call("POST", path_of(model), json=dict(body))
        return created

    def create_many(self, model: str, bodies: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """NetBox's bulk create (a list in one POST): the objects are created in order, in one
        transaction, so their ids are what one POST per object would have given them."""
        if not bodies:
            return []
        created: list[dict[str, Any]] = self._call("POST", path_of(model), json=[dict(b) for b in bodies])
        return created

    def update_many(self, model: str, bodies: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """NetBox's bulk update: a list of partial objects, each with its ``id``, in one PATCH."""
        if not bodies:
            return []
        patched: list[dict[str, Any]] = self._call("PATCH", path_of(model), json=[dict(b) for b in bodies])
        return patched

    def delete(self, model: str, object_id: int) -> None:
        self._call("DELETE", f"{path_of(model)}{object_id}/")

    def update(self, model: str, object_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        patched: dict[str, Any] = self._call("PATCH", f"{path_of(model)}{object_id}/", json=dict(body))
        return patched

    def iter_all(self, model: str, **params: Any) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = self._call("GET", path_of(model), params={**params, "limit": PAGE_SIZE, "offset": offset})
            results = page.get("results") or []
            yield from results
            offset += len(results)
            if not results or page.get("next") is None:
                return

    def list_all(self, model: str, **params: Any) -> list[dict[str, Any]]:
        return list(self.iter_all(model, **params))
