"""Write semantics of kube-apiserver for one object: metadata, preconditions, generation, status.

Pure functions over dicts; the emulator supplies the current object and stores the result.
"""

from __future__ import annotations

import copy
import json
import secrets
import string
import uuid
from datetime import UTC, datetime
from typing import Any

import jsonpatch

from harness.kube.admission import FieldValidation, admit, invalid_message
from harness.kube.crds import ResourceType
from harness.kube.manifests import ManifestError, parse_documents
from harness.targets.kube.status import StatusError, bad_request, conflict, invalid, unsupported_media_type

# Server-owned metadata that a client's update cannot change.
_SYSTEM_META = ("uid", "creationTimestamp", "generation", "deletionTimestamp", "selfLink")
_NAME_SUFFIX = string.ascii_lowercase + string.digits


def now() -> str:
    """An RFC 3339 timestamp with second precision, as metav1.Time serialises."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def decode(body: bytes, content_type: str = "application/json") -> dict[str, Any]:
    """The request body as a JSON object, or 415 for protobuf/CBOR, or 400 BadRequest."""
    if content_type not in ("", "application/json", "application/yaml", "*/*"):
        raise unsupported_media_type(content_type, "application/json")
    try:
        obj = json.loads(body or b"null")
    except ValueError as exc:
        raise bad_request(f"the object provided is unrecognized: invalid JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise bad_request("the object provided is unrecognized (must be a JSON object)")
    return obj


def decode_apply(body: bytes) -> dict[str, Any]:
    """An apply configuration (YAML or JSON) as an object with apiVersion and kind, or 400 BadRequest."""
    try:
        docs = parse_documents(body.decode("utf-8"), "apply configuration")
    except (UnicodeDecodeError, ManifestError) as exc:
        raise bad_request(f"error decoding YAML: {exc}") from exc
    if len(docs) != 1 or not isinstance(docs[0].body, dict):
        raise bad_request("error decoding YAML: an apply configuration must be one YAML or JSON object")
    obj: dict[str, Any] = docs[0].body
    for field in ("apiVersion", "kind"):
        if not obj.get(field):
            raise bad_request(
                f"error decoding YAML: Object '{field[0].upper()}{field[1:]}' is missing in '{body.decode()}'"
            )
    return obj


def check_identity(rtype: ResourceType, obj: dict[str, Any]) -> None:
    """The body's apiVersion/kind must be those of the URL's resource; absent ones default to them."""
    obj.setdefault("apiVersion", rtype.api_version)
    obj.setdefault("kind", rtype.kind)
    if obj.get("apiVersion") != rtype.api_version:
        raise bad_request(
            f"the API version in the data ({obj.get('apiVersion')}) does not match "
            f"the expected API version ({rtype.api_version})"
        )
    if obj.get("kind") != rtype.kind:
        raise bad_request(f"the kind in the data ({obj.get('kind')}) does not match the expected kind ({rtype.kind})")


def name_for(meta: dict[str, Any]) -> str:
    """metadata.name, or a fresh name from metadata.generateName."""
    name = meta.get("name")
    if not name and meta.get("generateName"):
        name = meta["generateName"] + "".join(secrets.choice(_NAME_SUFFIX) for _ in range(5))
        meta["name"] = name
    return str(name or "")


def field_validation(query: dict[str, str]) -> FieldValidation:
    """The fieldValidation directive (default Warn, like kube-apiserver)."""
    raw = query.get("fieldValidation", "Warn")
    try:
        return FieldValidation(raw)
    except ValueError as exc:
        raise bad_request(f'fieldValidation must be one of "Ignore", "Warn", "Strict", got "{raw}"') from exc


def admit_custom(rtype: ResourceType, obj: dict[str, Any], mode: FieldValidation) -> tuple[dict[str, Any], list[str]]:
    """Prune/default/validate a custom resource; return it and the Warning texts, or raise 400/422."""
    result = admit(rtype, obj)
    if result.unknown and mode is FieldValidation.STRICT:
        raise bad_request(result.strict_message())
    name = str(obj.get("metadata", {}).get("name", ""))
    if result.causes:
        raise invalid(rtype, name, result.causes, invalid_message(rtype, name, result.causes))
    warnings = [f'unknown field "{path}"' for path in result.unknown] if mode is FieldValidation.WARN else []
    return result.obj, warnings


def stamp_new(obj: dict[str, Any], rv: str) -> None:
    """Server-set metadata of a created object."""
    meta = obj["metadata"]
    for key in ("deletionTimestamp", "selfLink"):
        meta.pop(key, None)
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now()
    meta["generation"] = 1
    meta["resourceVersion"] = rv


def _spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def check_precondition(rtype: ResourceType, old: dict[str, Any], new: dict[str, Any]) -> None:
    """A write that names a resourceVersion must name the current one (optimistic concurrency)."""
    wanted = new.get("metadata", {}).get("resourceVersion")
    if wanted and wanted != old["metadata"]["resourceVersion"]:
        raise conflict(rtype, old["metadata"]["name"])


def merge_update(rtype: ResourceType, old: dict[str, Any], new: dict[str, Any], status_only: bool) -> dict[str, Any]:
    """The object an update produces: main resource keeps old status, status writes keep all else."""
    if status_only:
        merged = copy.deepcopy(old)
        if "status" in new:
            merged["status"] = new["status"]
        else:
            merged.pop("status", None)
        return merged
    merged = copy.deepcopy(new)
    meta = merged.setdefault("metadata", {})
    for key in _SYSTEM_META:
        if key in old["metadata"]:
            meta[key] = old["metadata"][key]
        else:
            meta.pop(key, None)
    meta["name"] = old["metadata"]["name"]
    if "namespace" in old["metadata"]:
        meta["namespace"] = old["metadata"]["namespace"]
    if rtype.status_subresource:
        if "status" in old:
            merged["status"] = old["status"]
        else:
            merged.pop("status", None)
    return merged


def finish_update(old: dict[str, Any], new: dict[str, Any], rv: str) -> bool:
    """Bump generation on spec changes and set the resourceVersion; False if nothing changed."""
    meta = new["metadata"]
    meta["resourceVersion"] = old["metadata"]["resourceVersion"]
    if new == old:
        return False
    if _spec_part(new) != _spec_part(old):
        meta["generation"] = int(old["metadata"].get("generation", 1)) + 1
    meta["resourceVersion"] = rv
    return True


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_patch(result.get(key), value)
    return result


def apply_patch(old: dict[str, Any], body: bytes, content_type: str) -> dict[str, Any]:
    """Apply a merge patch or JSON patch to ``old``; strategic merge patch gets 415 as for real CRs
    (server-side apply is handled by the fieldmanager module)."""
    try:
        patch = json.loads(body or b"null")
    except ValueError as exc:
        raise bad_request(f"error decoding patch: {exc}") from exc
    if content_type == "application/merge-patch+json":
        if not isinstance(patch, dict):
            raise bad_request("error decoding patch: a merge patch must be a JSON object")
        result: dict[str, Any] = _merge_patch(old, patch)
        return result
    if content_type == "application/json-patch+json":
        try:
            patched: dict[str, Any] = jsonpatch.apply_patch(old, patch)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as exc:
            raise StatusError(
                422, "Invalid", f"the server rejected our request due to an error in our request: {exc}"
            ) from exc
        return patched
    raise unsupported_media_type(
        content_type, "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )
