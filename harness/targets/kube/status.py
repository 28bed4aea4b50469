"""``v1.Status`` failures with the reasons, codes and messages kube-apiserver uses."""

from __future__ import annotations

import json
from typing import Any

import aiohttp.web
from multidict import CIMultiDict

from harness.kube.crds import ResourceType
from harness.kube.schema import Cause


class StatusError(Exception):
    """An API failure that is answered with a Status object."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        """The Status object as the real server serialises it."""
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            status["details"] = self.details
        status["code"] = self.code
        return status

    def response(self) -> aiohttp.web.Response:
        """The HTTP response carrying this Status."""
        return aiohttp.web.Response(status=self.code, text=json.dumps(self.body()), content_type="application/json")


def _details(rtype: ResourceType, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": rtype.plural}
    if rtype.group:
        details["group"] = rtype.group
    return details


def path_not_found() -> StatusError:
    """What an unknown URL (unknown group, version or resource) gets."""
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


def not_found(rtype: ResourceType, name: str) -> StatusError:
    """An object that does not exist."""
    return StatusError(404, "NotFound", f'{rtype.qualified} "{name}" not found', _details(rtype, name))


def already_exists(rtype: ResourceType, name: str) -> StatusError:
    """Create of a name that is taken."""
    return StatusError(409, "AlreadyExists", f'{rtype.qualified} "{name}" already exists', _details(rtype, name))


def conflict(rtype: ResourceType, name: str) -> StatusError:
    """A write whose metadata.resourceVersion is not the current one."""
    message = (
        f'Operation cannot be fulfilled on {rtype.qualified} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    return StatusError(409, "Conflict", message, _details(rtype, name))


def invalid(rtype: ResourceType, name: str, causes: list[Cause], message: str) -> StatusError:
    """422 Invalid with ``details.causes[]``."""
    details: dict[str, Any] = {"name": name, "group": rtype.group, "kind": rtype.kind}
    details["causes"] = [cause.as_dict() for cause in causes]
    return StatusError(422, "Invalid", message, details)


def bad_request(message: str) -> StatusError:
    """400 BadRequest (strict decoding errors, malformed bodies, mismatched names)."""
    return StatusError(400, "BadRequest", message)


def patch_options_invalid(field: str, reason: str, message: str) -> StatusError:
    """422 for PatchOptions the server refuses (no fieldManager on an apply, force on another patch)."""
    details = {
        "group": "meta.k8s.io",
        "kind": "PatchOptions",
        "causes": [{"reason": reason, "message": message, "field": field}],
    }
    return StatusError(422, "Invalid", f'PatchOptions.meta.k8s.io "" is invalid: {field}: {message}', details)


def method_not_allowed(method: str) -> StatusError:
    """A verb the resource does not support."""
    return StatusError(
        405, "MethodNotAllowed", f"the server does not allow this method on the requested resource ({method})", {}
    )


def unsupported_media_type(content_type: str, accepted: str) -> StatusError:
    """A body format the stand-in does not decode (protobuf, CBOR, strategic merge patch on a CR)."""
    message = (
        f"the body of the request was in an unknown format - accepted media types include: {accepted} "
        f"(got {content_type})"
    )
    return StatusError(415, "UnsupportedMediaType", message)


def expired(resource_version: str) -> StatusError:
    """A watch from a resourceVersion older than the retained history."""
    return StatusError(410, "Expired", f"too old resource version: {resource_version}")


def json_response(body: Any, status: int = 200, warnings: list[str] | None = None) -> aiohttp.web.Response:
    """A JSON response, with one ``Warning: 299`` header per warning."""
    headers: CIMultiDict[str] = CIMultiDict()
    for text in warnings or []:
        headers.add("Warning", f"299 - {json.dumps(text)}")
    return aiohttp.web.Response(status=status, text=json.dumps(body), content_type="application/json", headers=headers)
