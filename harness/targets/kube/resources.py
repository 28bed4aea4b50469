"""The REST verbs on one resource collection or object: list, watch, get, create, update, patch, delete."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import aiohttp.web
import kmock

from harness.kube.crds import ResourceType
from harness.targets.kube import fieldmanager, paging, writes
from harness.targets.kube.discovery import CRDS, NAMESPACES
from harness.targets.kube.fieldmanager import APPLY, UPDATE, Manager
from harness.targets.kube.selectors import field_selector, label_selector
from harness.targets.kube.status import (
    StatusError,
    already_exists,
    bad_request,
    expired,
    json_response,
    method_not_allowed,
    not_found,
    patch_options_invalid,
    path_not_found,
)
from harness.targets.kube.store import Key

if TYPE_CHECKING:
    from harness.targets.kube.emulator import KubeStandIn

_DEFAULT_WATCH_TIMEOUT_S = 1800.0
APPLY_PATCH = "application/apply-patch+yaml"


def _resource(rtype: ResourceType) -> kmock.resource:
    return kmock.resource(group=rtype.group, version=rtype.version, plural=rtype.plural)


def _reply(body: Any, status: int = 200, warnings: list[str] | None = None) -> aiohttp.web.Response:
    return json_response(body, status, warnings)


def _content_type(request: kmock.Request) -> str:
    headers = {k.lower(): v for k, v in request.headers.items()}
    return headers.get("content-type", "").split(";")[0].strip()


def _updater(request: kmock.Request, query: dict[str, str], rtype: ResourceType, subresource: str = "") -> Manager:
    """The manager of a non-apply write: ``fieldManager``, else the User-Agent up to its first "/"."""
    name = query.get("fieldManager")
    if name is None:
        agent = {k.lower(): v for k, v in request.headers.items()}.get("user-agent", "")
        name = agent.split("/", 1)[0][:128]
    elif len(name) > 128:
        raise patch_options_invalid("fieldManager", "FieldValueTooLong", "Too long: may not be more than 128 bytes")
    return Manager(name, UPDATE, rtype.api_version, "", set(), subresource)


class ResourceHandler:
    """Serves /api/v1/... and /apis/<group>/<version>/... below the group-version."""

    def __init__(self, server: KubeStandIn) -> None:
        self.server = server
        self.store = server.store

    def seed(self, rtype: ResourceType, obj: dict[str, Any]) -> None:
        """Store a built-in object at startup (default namespaces, CRDs given by file)."""
        obj = copy.deepcopy(obj)
        writes.stamp_new(obj, self.store.next_rv())
        self.store.put((_resource(rtype), None, obj["metadata"]["name"]), obj, "ADDED")

    def remove(self, rtype: ResourceType, key: Key) -> dict[str, Any]:
        """Delete an object now, with a DELETED event; return its last state."""
        last = self.store.get(key)
        if last is None:
            raise not_found(rtype, key[2])
        last["metadata"]["resourceVersion"] = self.store.next_rv()
        self.store.delete(key, last)
        self.server.controller.forget(key)
        if rtype is NAMESPACES:
            for other in [k for k in self.store.live_keys() if k[1] == key[2]]:
                found = self._type_of(other[0])
                if found is not None:
                    self.remove(found, other)
        if rtype is CRDS:
            self.server.on_crd_deleted(key[2])
        return last

    def _type_of(self, resource: kmock.resource) -> ResourceType | None:
        return self.server.find_type(resource.group or "", resource.version or "", resource.plural or "")

    async def serve(
        self, request: kmock.Request, group: str, version: str, rest: list[str]
    ) -> aiohttp.web.StreamResponse:
        """Route the part of the path after the group-version to a verb."""
        namespace: str | None = None
        if group == "" and rest[0] == "namespaces" and len(rest) <= 3:
            plural, name, sub = "namespaces", rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None
        elif rest[0] == "namespaces" and len(rest) >= 3:
            namespace, plural = rest[1], rest[2]
            name, sub = (rest[3] if len(rest) > 3 else None), (rest[4] if len(rest) > 4 else None)
        else:
            plural = rest[0]
            name, sub = (rest[1] if len(rest) > 1 else None), (rest[2] if len(rest) > 2 else None)
        rtype = self.server.find_type(group, version, plural)
        if rtype is None or len(rest) > (5 if namespace else 3) or sub not in (None, "status"):
            raise path_not_found()
        if (namespace is not None and not rtype.namespaced) or (sub == "status" and not rtype.status_subresource):
            raise path_not_found()
        if rtype.namespaced and name is not None and namespace is None:
            raise path_not_found()
        query = dict(request.params)
        method = str(request.method.value)
        body = request.body or b""
        content_type = _content_type(request)
        if name is None:
            if method == "GET":
                if query.get("watch") in ("true", "1"):
                    return await self._watch(request, rtype, namespace, query)
                return self._list(rtype, namespace, query)
            if method == "POST":
                created = writes.decode(body, content_type)
                return self._create(rtype, namespace, created, query, _updater(request, query, rtype))
            if method == "DELETE":
                return self._delete_collection(rtype, namespace, query)
            raise method_not_allowed(method)
        key: Key = (_resource(rtype), namespace, name)
        if method == "GET":
            obj = self.store.get(key)
            if obj is None:
                raise not_found(rtype, name)
            return _reply(obj)
        if method in ("PUT", "PATCH"):
            return self._update(rtype, key, request, query, status_only=sub == "status")
        if method == "DELETE":
            return self._delete(rtype, key, body)
        raise method_not_allowed(method)

    def _matching(self, rtype: ResourceType, namespace: str | None, query: dict[str, str]) -> list[dict[str, Any]]:
        labels, fields = label_selector(query.get("labelSelector")), field_selector(query.get("fieldSelector"))
        return [o for o in self.store.items(_resource(rtype), namespace) if labels(o) and fields(o)]

    def _list(self, rtype: ResourceType, namespace: str | None, query: dict[str, str]) -> aiohttp.web.Response:
        items = self._matching(rtype, namespace, query)
        meta: dict[str, Any] = {"resourceVersion": str(self.store.resource_version)}
        if query.get("limit") or query.get("continue"):
            items, meta = paging.page(items, query, self.store.resource_version, self.store.oldest_retained)
        return _reply({"apiVersion": rtype.api_version, "kind": rtype.list_kind, "metadata": meta, "items": items})

    async def _watch(
        self, request: kmock.Request, rtype: ResourceType, namespace: str | None, query: dict[str, str]
    ) -> aiohttp.web.StreamResponse:
        labels, fields = label_selector(query.get("labelSelector")), field_selector(query.get("fieldSelector"))
        since = query.get("resourceVersion", "")
        if since not in ("", "0") and not since.isdigit():
            raise bad_request(f"invalid resource version: {since}")
        try:
            timeout = float(query.get("timeoutSeconds", _DEFAULT_WATCH_TIMEOUT_S))
        except ValueError as exc:
            raise bad_request(f"invalid timeoutSeconds: {query.get('timeoutSeconds')}") from exc
        resource = _resource(rtype)
        initial = self._matching(rtype, namespace, query) if since in ("", "0") else []
        start = self.store.resource_version if since in ("", "0") else int(since)
        too_old = since not in ("", "0") and start < self.store.oldest_retained

        async def events() -> AsyncIterator[Any]:
            yield b""  # send the headers now: a watch with no events is still a started watch
            if too_old:
                yield {"type": "ERROR", "object": expired(since).body()}
                return
            for obj in initial:
                yield {"type": "ADDED", "object": obj}
            last = start
            deadline = time.monotonic() + timeout
            while (remaining := deadline - time.monotonic()) > 0:
                for event in self.store.events_after(last, resource):
                    last = event.rv
                    if (namespace is None or event.namespace == namespace) and labels(event.obj) and fields(event.obj):
                        yield {"type": event.type, "object": event.obj}
                await self.store.wait_change(remaining)

        # kmock renders an async iterator as a chunked stream of JSON lines, as watches are.
        stream = kmock.Response(payload=events(), headers={"Content-Type": "application/json"})  # type: ignore[attr-defined]
        response: aiohttp.web.StreamResponse = await stream(request)
        return response

    def _admit(
        self, rtype: ResourceType, obj: dict[str, Any], query: dict[str, str]
    ) -> tuple[dict[str, Any], list[str]]:
        mode = writes.field_validation(query)
        if rtype is CRDS:
            self.server.check_crd(obj)
            return obj, []
        if rtype is NAMESPACES:
            return obj, []
        return writes.admit_custom(rtype, obj, mode)

    def _create(
        self,
        rtype: ResourceType,
        namespace: str | None,
        obj: dict[str, Any],
        query: dict[str, str],
        manager: Manager | None,
    ) -> aiohttp.web.Response:
        """Create ``obj``; ``manager`` owns its fields (None: an apply already set managedFields)."""
        writes.check_identity(rtype, obj)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if rtype.namespaced:
            if namespace is None:
                raise path_not_found()
            if meta.get("namespace") not in (None, "", namespace):
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
            if self.store.get((_resource(NAMESPACES), None, namespace)) is None:
                raise not_found(NAMESPACES, namespace)
        else:
            meta.pop("namespace", None)
        name = writes.name_for(meta)
        obj, warnings = self._admit(rtype, obj, query)
        key: Key = (_resource(rtype), namespace, name)
        if self.store.get(key) is not None:
            raise already_exists(rtype, name)
        if rtype.status_subresource:
            obj.pop("status", None)
        if rtype is NAMESPACES:
            obj["status"] = {"phase": "Active"}
        writes.stamp_new(obj, "0")
        if manager is not None:
            fieldmanager.record_update(None, obj, manager, rtype.status_subresource)
        if query.get("dryRun") == "All":
            return _reply(obj, 201, warnings)
        if rtype is CRDS:
            self.server.on_crd_written(obj)
        obj["metadata"]["resourceVersion"] = self.store.next_rv()
        self.store.put(key, obj, "ADDED")
        if rtype not in (NAMESPACES, CRDS):
            self.server.controller.observe(key, obj)
        return _reply(obj, 201, warnings)

    def _update(
        self, rtype: ResourceType, key: Key, request: kmock.Request, query: dict[str, str], status_only: bool
    ) -> aiohttp.web.Response:
        body = request.body or b""
        content_type = _content_type(request)
        subresource = "status" if status_only else ""
        old = self.store.get(key)
        if request.method == "PATCH" and content_type == APPLY_PATCH:
            return self._apply(rtype, key, old, body, query=query, subresource=subresource)
        if request.method == "PATCH" and "force" in query:
            raise patch_options_invalid(
                "force", "FieldValueForbidden", "Forbidden: may not be specified for non-apply patch"
            )
        manager = _updater(request, query, rtype, subresource)
        if old is None:
            raise not_found(rtype, key[2])
        if request.method == "PUT":
            new = writes.decode(body, content_type)
            writes.check_identity(rtype, new)
            new_name = new.get("metadata", {}).get("name")
            if new_name != key[2]:
                raise bad_request(f"the name of the object ({new_name}) does not match the name on the URL ({key[2]})")
        else:
            new = writes.apply_patch(old, body, content_type)
        return self._replace(rtype, key, old, new, query=query, status_only=status_only, manager=manager)

    def _apply(
        self,
        rtype: ResourceType,
        key: Key,
        old: dict[str, Any] | None,
        body: bytes,
        *,
        query: dict[str, str],
        subresource: str,
    ) -> aiohttp.web.Response:
        """Server-side apply: merge the applier's configuration, track its fields, create if missing."""
        name = query.get("fieldManager")
        if not name:
            raise patch_options_invalid(
                "fieldManager", "FieldValueRequired", "Required value: is required for apply patch"
            )
        if len(name) > 128:
            raise patch_options_invalid("fieldManager", "FieldValueTooLong", "Too long: may not be more than 128 bytes")
        force = query.get("force", "false")
        if force not in ("true", "false"):
            raise bad_request(f'force must be "true" or "false", got "{force}"')
        config = writes.decode_apply(body)
        writes.check_identity(rtype, config)
        meta = config.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if meta.get("managedFields") is not None:
            raise bad_request("metadata.managedFields must be nil")
        if meta.get("name") not in (None, key[2]):
            raise bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL ({key[2]})")
        meta["name"] = key[2]
        applier = Manager(name, APPLY, rtype.api_version, "", set(), subresource)
        applied = fieldmanager.apply(old, config, applier, force == "true", rtype.status_subresource)
        if old is None:
            if subresource:
                raise not_found(rtype, key[2])
            return self._create(rtype, key[1], applied, query, None)
        return self._replace(rtype, key, old, applied, query=query, status_only=subresource == "status", manager=None)

    def _replace(
        self,
        rtype: ResourceType,
        key: Key,
        old: dict[str, Any],
        new: dict[str, Any],
        *,
        query: dict[str, str],
        status_only: bool,
        manager: Manager | None,
    ) -> aiohttp.web.Response:
        """Store ``new`` in place of ``old``; ``manager`` owns what it changed (None: an apply tracked it)."""
        writes.check_precondition(rtype, old, new)
        merged = writes.merge_update(rtype, old, new, status_only)
        if status_only:
            merged["metadata"]["managedFields"] = new.get("metadata", {}).get("managedFields", [])
        # The stored status is server-owned here (it may hold controller conditions the schema would
        # prune); only what the client sent is admitted.
        kept_status = merged.pop("status", None) if rtype.status_subresource and not status_only else None
        merged, warnings = self._admit(rtype, merged, query)
        if kept_status is not None:
            merged["status"] = kept_status
        if manager is not None:
            fieldmanager.record_update(old, merged, manager, rtype.status_subresource)
        if not writes.finish_update(old, merged, self.store.next_rv()):
            return _reply(old, 200, warnings)
        if query.get("dryRun") == "All":
            return _reply(merged, 200, warnings)
        if rtype is CRDS:
            self.server.on_crd_written(merged)
        meta = merged["metadata"]
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            self.remove(rtype, key)
            return _reply(merged, 200, warnings)
        self.store.put(key, merged, "MODIFIED")
        if merged["metadata"].get("generation") != old["metadata"].get("generation") and rtype not in (
            NAMESPACES,
            CRDS,
        ):
            self.server.controller.observe(key, merged)
        return _reply(merged, 200, warnings)

    def _delete(self, rtype: ResourceType, key: Key, body: bytes) -> aiohttp.web.Response:
        current = self.store.get(key)
        if current is None:
            raise not_found(rtype, key[2])
        options = json.loads(body) if body.strip() else {}
        wanted = (options.get("preconditions") or {}) if isinstance(options, dict) else {}
        for field in ("resourceVersion", "uid"):
            if wanted.get(field) and wanted[field] != current["metadata"].get(field):
                raise StatusError(
                    409, "Conflict",
                    f"Precondition failed: {field.title()} in precondition: {wanted[field]}, "
                    f"{field.title()} in object meta: {current['metadata'].get(field)}",
                    {"name": key[2], "group": rtype.group, "kind": rtype.plural},
                )  # fmt: skip
        if current["metadata"].get("finalizers"):
            if not current["metadata"].get("deletionTimestamp"):
                current["metadata"]["deletionTimestamp"] = writes.now()
                current["metadata"]["resourceVersion"] = self.store.next_rv()
                self.store.put(key, current, "MODIFIED")
            return _reply(current)
        last = self.remove(rtype, key)
        if rtype in (NAMESPACES, CRDS):
            return _reply(last)
        details = {"name": key[2], "group": rtype.group, "kind": rtype.plural, "uid": last["metadata"]["uid"]}
        return _reply({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})

    def _delete_collection(
        self, rtype: ResourceType, namespace: str | None, query: dict[str, str]
    ) -> aiohttp.web.Response:
        deleted = []
        for obj in self._matching(rtype, namespace, query):
            key: Key = (_resource(rtype), obj["metadata"].get("namespace"), obj["metadata"]["name"])
            deleted.append(self.remove(rtype, key))
        meta = {"resourceVersion": str(self.store.resource_version)}
        return _reply({"apiVersion": rtype.api_version, "kind": rtype.list_kind, "metadata": meta, "items": deleted})
