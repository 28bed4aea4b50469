"""What kube-apiserver does to a custom resource before storing it, written once.

The stand-in calls :func:`admit` on every write; ``harness kube validate`` calls
:func:`check_manifest_object` on every document. Both therefore reach the same verdicts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from harness.kube.crds import CrdRegistry, ResourceType
from harness.kube.schema import Cause, apply_defaults, prune, validate


class FieldValidation(StrEnum):
    """The ``fieldValidation`` query parameter: what to do with unknown fields."""

    STRICT = "Strict"
    WARN = "Warn"
    IGNORE = "Ignore"


_OBJECT_META = frozenset(
    {
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
        "annotations", "ownerReferences", "finalizers", "managedFields",
    }
)  # fmt: skip
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation "
    "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
    "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


@dataclass
class Admission:
    """An object after pruning and defaulting, with its unknown fields and validation causes."""

    obj: dict[str, Any]
    unknown: list[str] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)

    def strict_message(self) -> str:
        """The message kube-apiserver sends with 400 BadRequest under fieldValidation=Strict."""
        return "strict decoding error: " + ", ".join(f'unknown field "{path}"' for path in self.unknown)


def _metadata(meta: Any, unknown: list[str], causes: list[Cause]) -> dict[str, Any]:
    if not isinstance(meta, dict):
        causes.append(Cause("FieldValueTypeInvalid", "metadata", "Invalid value: metadata must be an object"))
        return {}
    unknown.extend(f"metadata.{key}" for key in meta if key not in _OBJECT_META)
    name = meta.get("name")
    if not name and not meta.get("generateName"):
        causes.append(Cause("FieldValueRequired", "metadata.name", "Required value: name or generateName is required"))
    elif isinstance(name, str) and (len(name) > 253 or not _DNS_SUBDOMAIN.match(name)):
        causes.append(Cause("FieldValueInvalid", "metadata.name", f'Invalid value: "{name}": {_SUBDOMAIN_MSG}'))
    for key, value in (meta.get("labels") or {}).items():
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            causes.append(Cause("FieldValueInvalid", "metadata.labels", f'Invalid value: "{value}": {_LABEL_MSG}'))
        elif not isinstance(key, str) or not key:
            causes.append(
                Cause("FieldValueInvalid", "metadata.labels", f"Invalid value: {key!r}: name part must be non-empty")
            )
    return {key: value for key, value in meta.items() if key in _OBJECT_META}


def admit(rtype: ResourceType, obj: dict[str, Any]) -> Admission:
    """Prune unknown fields, apply defaults and validate ``obj`` against its version's schema."""
    unknown: list[str] = []
    causes: list[Cause] = []
    meta = _metadata(obj.get("metadata", {}), unknown, causes)
    body = {key: value for key, value in obj.items() if key != "metadata"}
    if rtype.schema is not None:
        body = prune(rtype.schema, body, "", unknown)
        body = apply_defaults(rtype.schema, body)
        validate(rtype.schema, body, "", causes)
    # ObjectMeta is decoded by the server itself, never by the CRD schema.
    body["metadata"] = meta
    return Admission(obj=body, unknown=sorted(unknown), causes=causes)


def invalid_message(rtype: ResourceType, name: str, causes: list[Cause]) -> str:
    """The Status message for 422 Invalid: one cause inline, several in brackets."""
    shown = ", ".join(str(c) for c in causes)
    if len(causes) > 1:
        shown = f"[{shown}]"
    return f'{rtype.kind}.{rtype.group} "{name}" is invalid: {shown}'


@dataclass
class ObjectReport:
    """The offline verdict on one manifest object (the ``harness kube validate`` output row)."""

    file: str
    api_version: str | None
    kind: str | None
    name: str | None
    ok: bool
    errors: list[str]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``--format json``."""
        return {
            "file": self.file,
            "apiVersion": self.api_version,
            "kind": self.kind,
            "name": self.name,
            "ok": self.ok,
            "errors": self.errors,
        }


def check_manifest_object(
    registry: CrdRegistry, body: Any, file: str, mode: FieldValidation = FieldValidation.STRICT
) -> ObjectReport:
    """Give the verdict the API server would give to creating ``body``."""
    if not isinstance(body, dict):
        return ObjectReport(file, None, None, None, False, [f"document is a {type(body).__name__}, not an object"])
    api_version, kind = body.get("apiVersion"), body.get("kind")
    meta = body.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    report = ObjectReport(file, api_version, kind, name, False, [])
    if not isinstance(api_version, str) or not isinstance(kind, str):
        report.errors.append("apiVersion and kind are required strings (Object 'Kind' is missing?)")
        return report
    rtype = registry.find_kind(api_version, kind)
    if rtype is None:
        report.errors.append(f'no matches for kind "{kind}" in version "{api_version}"')
        return report
    result = admit(rtype, body)
    if result.unknown and mode is FieldValidation.STRICT:
        report.errors.append(result.strict_message())
    report.errors.extend(str(cause) for cause in result.causes)
    report.ok = not report.errors
    return report
