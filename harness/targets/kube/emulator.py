"""The Kubernetes API stand-in: kmock's KubernetesEmulator with API-server semantics.

kmock provides the HTTP server, request parsing, the handler lifecycle and the
versioned object array. This subclass routes every /api, /apis, /openapi and
/version request itself, because kmock's defaults answer creates with 200, keep
no resourceVersion, ignore selectors, have no PUT, cannot route /api/v1/namespaces
and validate nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp.web
import kmock

from harness.kube.crds import CrdError, CrdRegistry, ResourceType, parse_crd
from harness.targets.kube import discovery
from harness.targets.kube.controller import ControllerConfig, FabricController
from harness.targets.kube.discovery import CRDS, NAMESPACES
from harness.targets.kube.resources import ResourceHandler
from harness.targets.kube.status import StatusError, json_response, path_not_found
from harness.targets.kube.store import Key, ObjectStore

_log = logging.getLogger(__name__)

BUILTIN_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class KubeStandIn(kmock.KubernetesEmulator):
    """An in-memory kube-apiserver for the CRDs in ``registry``."""

    def __init__(self, registry: CrdRegistry, controller: ControllerConfig | None = None) -> None:
        super().__init__()
        self.registry = registry
        self.address = "127.0.0.1:0"
        self.store = ObjectStore(self.objects)
        self.controller = FabricController(controller or ControllerConfig(), self._controller_status)
        self.rest = ResourceHandler(self)
        for name in BUILTIN_NAMESPACES:
            self.rest.seed(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        for crd in registry.crds():
            self.rest.seed(CRDS, crd)

    def types(self) -> list[ResourceType]:
        """Every resource type served now, built-in ones first."""
        return [NAMESPACES, CRDS, *self.registry.types()]

    def find_type(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The type served at a URL, built-in or custom."""
        for rtype in self.types():
            if (rtype.group, rtype.version, rtype.plural) == (group, version, plural):
                return rtype
        return None

    def on_crd_written(self, crd: dict[str, Any]) -> None:
        """Serve the types of a created or updated CRD; raise 422 if it is malformed."""
        try:
            self.registry.add(crd, f"customresourcedefinitions/{crd.get('metadata', {}).get('name')}")
        except CrdError as exc:
            raise StatusError(422, "Invalid", str(exc), {"kind": "CustomResourceDefinition"}) from exc

    def check_crd(self, crd: dict[str, Any]) -> None:
        """422 when a CRD object would not be servable."""
        try:
            parse_crd(crd, f"CustomResourceDefinition {crd.get('metadata', {}).get('name')!r}")
        except CrdError as exc:
            raise StatusError(422, "Invalid", str(exc), {"kind": "CustomResourceDefinition"}) from exc

    def on_crd_deleted(self, name: str) -> None:
        """Stop serving a CRD's types and delete their objects."""
        for rtype in self.registry.remove(name):
            resource = kmock.resource(group=rtype.group, version=rtype.version, plural=rtype.plural)
            for key in [k for k in self.store.live_keys() if k[0] == resource]:
                self.rest.remove(rtype, key)

    def reset(self) -> None:
        """Delete every object except namespaces and CRDs (which stay served)."""
        self.controller.cancel_all()
        keep = {kmock.resource(group=t.group, version=t.version, plural=t.plural) for t in (NAMESPACES, CRDS)}
        for key in list(self.store.live_keys()):
            if key[0] not in keep:
                self.store.forget(key)
        ns_resource = kmock.resource(group="", version="v1", plural="namespaces")
        for key in list(self.store.live_keys()):
            if key[0] == ns_resource and key[2] not in BUILTIN_NAMESPACES:
                self.store.forget(key)

    def _controller_status(self, key: Key, generation: int, condition: dict[str, Any]) -> None:
        obj = self.store.get(key)
        if obj is None or int(obj["metadata"].get("generation", 1)) != generation:
            return  # deleted or changed since: a newer observation is pending
        if not isinstance(obj.get("status"), dict):
            obj["status"] = {}
        status = obj["status"]
        others = [c for c in status.get("conditions", []) if c.get("type") != "Ready"]
        status["conditions"] = [*others, condition]
        obj["metadata"]["resourceVersion"] = self.store.next_rv()
        self.store.put(key, obj, "MODIFIED")

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        """Entry point of kmock's server. Requests are not recorded: the stand-in runs unbounded."""
        await raw_request.read()
        try:
            request = await kmock.Request._parse(raw_request)
        except ValueError:
            # kmock's path parser cannot split /api/v1/namespaces; routing below only needs the URL.
            request = kmock.Request(
                method=raw_request.method, url=raw_request.url, params=dict(raw_request.query),
                headers=dict(raw_request.headers), body=await raw_request.read(), raw_request=raw_request,
            )  # fmt: skip
        try:
            return await self._handle(request)
        except StatusError as exc:
            return exc.response()
        except Exception as exc:  # noqa: BLE001 - a stand-in bug must reach the client as a Status, not a reset
            _log.exception("internal error serving %s %s", raw_request.method, raw_request.path)
            return StatusError(
                500, "InternalError", f"an error on the server has prevented the request: {exc!r}"
            ).response()

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        path = request.url.path.rstrip("/") or "/"
        if path == "/":
            response: aiohttp.web.StreamResponse = await super()._handle(request)
            return response
        return await self._dispatch(request, path.strip("/").split("/"))

    async def _dispatch(self, request: kmock.Request, parts: list[str]) -> aiohttp.web.StreamResponse:
        head = parts[0]
        if head in ("healthz", "readyz", "livez") and len(parts) == 1:
            return aiohttp.web.Response(text="ok")
        if request.method == "GET" and parts == ["version"]:
            return json_response(discovery.SERVER_VERSION)
        if request.method == "GET" and head == "openapi":
            return self._openapi(parts[1:])
        if head == "api":
            if len(parts) == 1:
                return json_response(discovery.api_versions(self.address))
            if parts[1] != "v1":
                raise path_not_found()
            if len(parts) == 2:
                return json_response(discovery.resource_list([NAMESPACES], "v1"))
            return await self.rest.serve(request, "", "v1", parts[2:])
        if head == "apis":
            return await self._apis(request, parts[1:])
        raise path_not_found()

    async def _apis(self, request: kmock.Request, parts: list[str]) -> aiohttp.web.StreamResponse:
        types = [t for t in self.types() if t.group]
        if not parts:
            return json_response(discovery.api_group_list(types))
        group = parts[0]
        if len(parts) == 1:
            doc = discovery.api_group(types, group)
            if doc is None:
                raise path_not_found()
            return json_response(doc)
        version = parts[1]
        served = [t for t in types if t.group == group and t.version == version]
        if not served:
            raise path_not_found()
        if len(parts) == 2:
            return json_response(discovery.resource_list(served, f"{group}/{version}"))
        return await self.rest.serve(request, group, version, parts[2:])

    def _openapi(self, parts: list[str]) -> aiohttp.web.Response:
        types = self.types()
        if parts == ["v2"]:
            return json_response(discovery.openapi_v2(types))
        if parts == ["v3"]:
            return json_response(discovery.openapi_v3_index(types))
        if len(parts) > 1 and parts[0] == "v3":
            doc = discovery.openapi_v3_document(types, "/".join(parts[1:]))
            if not doc["paths"]:
                raise path_not_found()
            return json_response(doc)
        raise path_not_found()
