"""The Kubernetes side of a sync: apply rendered objects (create, or replace with a
resourceVersion check), prune what NetBox no longer has, and read status back.

Objects the integration owns carry two labels so pruning never touches anything else.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError as Urllib3Error

from hh_reference.classify import classify_exception, classify_response
from hh_reference.errors import IntegrationError, condition_error, error_for
from hh_reference.naming import KINDS, SERVED_VERSION
from hh_reference.retry import RetryUnits, call_with_retry
from hh_reference.specs import ErrorCatalog

MANAGED_BY = "app.kubernetes.io/managed-by"
FABRIC_LABEL = "fabric.githedgehog.com/netbox-fabric"
MANAGER = "hh-reference"


@dataclass(frozen=True)
class ApplyResult:
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]


def object_key(obj: Mapping[str, Any]) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def ready_state(obj: Mapping[str, Any]) -> str:
    """HNP's mapping of the Ready condition: True -> live, False -> error, absent -> applied;
    a Ready condition for an older generation does not count."""
    generation = obj.get("metadata", {}).get("generation")
    for cond in obj.get("status", {}).get("conditions", []) or []:
        if cond.get("type") != "Ready":
            continue
        observed = cond.get("observedGeneration")
        if observed is not None and generation is not None and observed < generation:
            return "applied"
        return {"True": "live", "False": "error"}.get(cond.get("status"), "applied")
    return "applied"


class Cluster:
    """Typed access to the Hedgehog kinds through the official kubernetes client."""

    def __init__(
        self,
        *,
        kubeconfig: str | None,
        context: str | None,
        namespace: str,
        catalog: ErrorCatalog,
        sleep: Callable[[float], None] | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        cfg = client.Configuration()
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=kubeconfig, context=context, client_configuration=cfg
        )
        cfg.retries = 0  # retries follow the error catalog's policies, not urllib3's defaults
        api_client = client.ApiClient(cfg)
        self.api = client.CustomObjectsApi(api_client)
        self._apis = client.ApisApi(api_client)
        self._version = client.VersionApi(api_client)
        self.namespace = namespace
        self.catalog = catalog
        self._sleep = sleep
        self.timeout_s = timeout_s
        self._units = RetryUnits()

    def _call(self, operation_id: str, fn: Callable[[], Any], *, retry: bool = True) -> Any:
        """One API call, classified into a catalog code; retried per the catalog unless ``retry`` is
        False (a write whose retry must re-read first: see ``_apply_one``)."""

        def attempt() -> Any:
            try:
                return fn()
            except (ApiException, Urllib3Error) as exc:
                raise self._classified(operation_id, exc) from exc

        return attempt() if not retry or self._units.inside else self._retrying(attempt)

    def retrying(self, unit: Callable[[], Any]) -> Any:
        """Run ``unit`` (several calls) under the catalog's retry policies; calls inside it do not
        retry on their own, so a code is tried at most its max_attempts times."""
        return self._units.run(unit, **self._retry_kwargs())

    def _classified(self, operation_id: str, exc: ApiException | Urllib3Error) -> Exception:
        """The catalog error for a failed call (the original exception when no entry recognises it)."""
        if isinstance(exc, ApiException):
            headers = dict(exc.headers or {})
            return classify_response(
                "kubernetes", operation_id, exc.status, headers, exc.body or "", catalog=self.catalog
            ) or condition_error(
                "kubernetes_unexpected_status", catalog=self.catalog, operation=operation_id, status=exc.status
            )
        return classify_exception("kubernetes", operation_id, exc, catalog=self.catalog) or exc

    def _retrying(self, unit: Callable[[], Any]) -> Any:
        return call_with_retry(unit, **self._retry_kwargs())

    def _retry_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"catalog": self.catalog}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        return kwargs

    def _coords(self, kind: str) -> tuple[str, str, str]:
        info = KINDS[kind]
        return info.group, SERVED_VERSION, info.plural

    def probe(self) -> None:
        """The connection test: the API server answers ``GET /version`` (no Hedgehog CRD needed)."""
        self._call("k8s.version", lambda: self._version.get_code(_request_timeout=self.timeout_s))

    def check_served(self, kinds: Iterable[str]) -> None:
        """Discovery before applying: every kind in ``kinds`` must be served at v1beta1.

        A kind the group serves only at another version is HH-K8S-004 (the fabric was upgraded or
        downgraded); a kind no version serves is HH-K8S-003 (its CRD is not installed). The error's
        ``details["kinds"]`` names the kinds concerned."""
        groups = self._call("k8s.discovery", lambda: self._apis.get_api_versions(_request_timeout=self.timeout_s))
        versions = {g.name: [v.version for v in g.versions] for g in groups.groups or []}
        served: dict[tuple[str, str], set[str]] = {}

        def plurals(group: str, version: str) -> set[str]:
            if (group, version) not in served:
                listed = self._call(
                    "k8s.discovery",
                    lambda: self.api.get_api_resources(group, version, _request_timeout=self.timeout_s),
                )
                served[(group, version)] = {r.name for r in listed.resources or []}
            return served[(group, version)]

        unserved: dict[str, list[str]] = {"HH-K8S-004": [], "HH-K8S-003": []}
        for kind in sorted(set(kinds)):
            info = KINDS[kind]
            available = versions.get(info.group, [])
            if SERVED_VERSION in available and info.plural in plurals(info.group, SERVED_VERSION):
                continue
            elsewhere = [v for v in available if v != SERVED_VERSION and info.plural in plurals(info.group, v)]
            unserved["HH-K8S-004" if elsewhere else "HH-K8S-003"].append(kind)
        for code, missing in unserved.items():
            if missing:
                error = error_for(self.catalog.entry(code), kinds=", ".join(missing))
                error.details["kinds"] = missing
                raise error

    def list_managed(self, fabric: str) -> dict[str, dict[str, Any]]:
        """Every object of every Hedgehog kind this integration manages for ``fabric``."""
        found: dict[str, dict[str, Any]] = {}
        selector = f"{MANAGED_BY}={MANAGER},{FABRIC_LABEL}={fabric}"
        for kind in KINDS:
            group, version, plural = self._coords(kind)
            result = self._list(group, version, plural, selector)
            for item in result.get("items", []):
                item.setdefault("kind", kind)
                found[object_key(item)] = item
        return found

    def list_kind(self, kind: str, fabric: str) -> tuple[list[dict[str, Any]], str]:
        """The managed objects of one kind for ``fabric`` and the list's resourceVersion (to watch from)."""
        group, version, plural = self._coords(kind)
        listed = self._list(group, version, plural, f"{MANAGED_BY}={MANAGER},{FABRIC_LABEL}={fabric}")
        items = [{**item, "kind": item.get("kind") or kind} for item in listed.get("items", [])]
        return items, str(listed.get("metadata", {}).get("resourceVersion", ""))

    def watch(self, kind: str, fabric: str, since: str, timeout_s: float) -> Iterator[dict[str, Any]]:
        """The managed objects of one kind as the cluster reports their changes after resourceVersion
        ``since``, for at most ``timeout_s``. An expired resourceVersion (410) is HH-K8S-007; the
        caller re-lists and watches again under that code's retry policy."""
        group, version, plural = self._coords(kind)
        operation_id = f"k8s.{plural}.watch"
        watcher = watch.Watch()  # type: ignore[no-untyped-call]
        stream = watcher.stream(  # type: ignore[no-untyped-call]
            self.api.list_namespaced_custom_object,
            group,
            version,
            self.namespace,
            plural,
            label_selector=f"{MANAGED_BY}={MANAGER},{FABRIC_LABEL}={fabric}",
            resource_version=since,
            timeout_seconds=max(1, math.ceil(timeout_s)),
            _request_timeout=(self.timeout_s, timeout_s + self.timeout_s),
        )
        try:
            for event in stream:
                if event.get("type") in ("ADDED", "MODIFIED") and isinstance(event.get("object"), dict):
                    obj: dict[str, Any] = event["object"]
                    yield {**obj, "kind": obj.get("kind") or kind}
        except (ApiException, Urllib3Error) as exc:
            raise self._classified(operation_id, exc) from exc
        finally:
            watcher.stop()  # type: ignore[no-untyped-call]
            stream.close()

    def _list(self, group: str, version: str, plural: str, selector: str) -> dict[str, Any]:
        listed: dict[str, Any] = self._call(
            f"k8s.{plural}.list",
            lambda: self.api.list_namespaced_custom_object(
                group, version, self.namespace, plural, label_selector=selector, _request_timeout=self.timeout_s
            ),
        )
        return listed

    def get(self, kind: str, name: str, *, retry: bool = True) -> dict[str, Any] | None:
        group, version, plural = self._coords(kind)
        try:
            obj: dict[str, Any] = self._call(
                f"k8s.{plural}.get",
                lambda: self.api.get_namespaced_custom_object(
                    group, version, self.namespace, plural, name, _request_timeout=self.timeout_s
                ),
                retry=retry,
            )
        except IntegrationError as exc:
            if exc.details.get("status") == 404:
                return None
            raise
        return obj

    def apply(
        self,
        fabric: str,
        objects: Iterable[Mapping[str, Any]],
        *,
        on_step: Callable[[str, str], None] | None = None,
        before_replace: Callable[[str], None] | None = None,
    ) -> ApplyResult:
        """Create or replace each of ``objects`` (``prune`` removes what is no longer wanted);
        ``before_replace(key)`` before an object whose spec differs from the branch is replaced."""
        created: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        wanted: set[str] = set()
        for obj in sorted(objects, key=object_key):
            key = object_key(obj)
            wanted.add(key)
            outcome = self._apply_one(fabric, obj, before_replace)
            {"created": created, "updated": updated, "unchanged": unchanged}[outcome].append(key)
            if on_step:
                on_step("apply", key)
        return ApplyResult(tuple(created), tuple(updated), tuple(unchanged))

    def prune(
        self,
        fabric: str,
        wanted: set[str],
        *,
        on_step: Callable[[str, str], None] | None = None,
        before_delete: Callable[[str], None] | None = None,
    ) -> tuple[str, ...]:
        """Delete the objects managed for ``fabric`` whose ``Kind/name`` is not in ``wanted``. A refused
        delete raises with the object named (``details["object"]``, present: ``absent`` False)."""
        deleted: list[str] = []
        for key, live in sorted(self.list_managed(fabric).items()):
            if key not in wanted and live["metadata"].get("deletionTimestamp"):
                deleted.append(key)  # deleted before, finalizers hold it: nothing to ask again
            elif key not in wanted:
                if before_delete:
                    before_delete(key)
                try:
                    self.delete(live["kind"], live["metadata"]["name"])
                except IntegrationError as error:
                    error.details.setdefault("object", key)
                    error.details.setdefault("absent", False)
                    raise
                deleted.append(key)
                if on_step:
                    on_step("prune", key)
        return tuple(deleted)

    def _desired(self, fabric: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        body = json.loads(json.dumps(obj))
        meta = body.setdefault("metadata", {})
        meta["namespace"] = self.namespace
        meta.setdefault("labels", {}).update({MANAGED_BY: MANAGER, FABRIC_LABEL: fabric})
        return dict(body)

    def _apply_one(
        self, fabric: str, obj: Mapping[str, Any], before_replace: Callable[[str], None] | None = None
    ) -> str:
        """Create or replace one object. A 409 (someone wrote in between, HH-K8S-001) is retried by
        re-reading the object, under the catalog's retry policy for that code."""
        body = self._desired(fabric, obj)
        kind, name = body["kind"], body["metadata"]["name"]
        group, version, plural = self._coords(kind)

        def attempt() -> str:
            live = self.get(kind, name, retry=False)
            try:
                return write(live)
            except IntegrationError as error:
                # the object the cluster refused, and whether it exists there (resource-level outcome)
                error.details.setdefault("object", f"{kind}/{name}")
                error.details.setdefault("absent", live is None)
                raise

        def write(live: dict[str, Any] | None) -> str:
            if live is None:
                self._call(
                    f"k8s.{plural}.create",
                    lambda: self.api.create_namespaced_custom_object(
                        group, version, self.namespace, plural, body, _request_timeout=self.timeout_s
                    ),
                    retry=False,
                )
                return "created"
            if live.get("spec") == body.get("spec") and _labels_ok(live, body):
                return "unchanged"
            if before_replace and live.get("spec") != body.get("spec"):
                before_replace(f"{kind}/{name}")
            # A full replace (not a merge patch) so fields NetBox dropped are dropped here too; the
            # resourceVersion makes it fail with 409 if someone wrote since our read.
            replacement = {
                **body,
                "metadata": {**body["metadata"], "resourceVersion": live["metadata"]["resourceVersion"]},
            }
            self._call(
                f"k8s.{plural}.update",
                lambda: self.api.replace_namespaced_custom_object(
                    group, version, self.namespace, plural, name, replacement, _request_timeout=self.timeout_s
                ),
                retry=False,
            )
            return "updated"

        outcome: str = self._retrying(attempt)
        return outcome

    def delete(self, kind: str, name: str) -> None:
        group, version, plural = self._coords(kind)
        try:
            self._call(
                f"k8s.{plural}.delete",
                lambda: self.api.delete_namespaced_custom_object(
                    group, version, self.namespace, plural, name, _request_timeout=self.timeout_s
                ),
            )
        except IntegrationError as exc:
            if exc.details.get("status") != 404:
                raise


def _labels_ok(live: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    labels = live.get("metadata", {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in body["metadata"]["labels"].items())
