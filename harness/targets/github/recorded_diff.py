"""What differs between a recorded GitHub response and the twin's: status, the headers clients act on, body shape.

Values are not compared (ids, shas, dates and URLs differ by nature); the shape is: the same keys, recursively,
with the same JSON types, where ``null`` on either side is compatible with any type (a nullable field).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

_ETAG = re.compile(r'^(W/)?"[^"]*"$')
_LINK_REL = re.compile(r'rel="([^"]+)"')
# Headers whose presence alone changes what a client does (revalidate, follow, wait).
_PRESENCE = ("etag", "location", "retry-after")


@dataclass
class Diff:
    """Differences that fail the comparison, and notes that do not (keys the twin adds)."""

    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def media_type(content_type: str | None) -> str | None:
    """``application/json; charset=utf-8`` -> ``application/json`` (lowercase), None when absent."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower()


def is_json(content_type: str | None) -> bool:
    """True for application/json and any ``+json`` media type."""
    media = media_type(content_type) or ""
    return media == "application/json" or media.endswith("+json")


def link_rels(link: str | None) -> list[str]:
    """The rel values of a Link header, sorted (``[]`` without the header)."""
    return sorted(_LINK_REL.findall(link or ""))


def compare_headers(recorded: Mapping[str, str], actual: Mapping[str, str], location: str | None) -> list[str]:
    """Differences in the headers clients act on; ``location`` is the recorded Location path, sha-mapped."""
    out: list[str] = []
    want, got = media_type(recorded.get("content-type")), media_type(actual.get("content-type"))
    if want != got:
        out.append(f"content-type: recorded {want}, twin {got}")
    for name in _PRESENCE:
        if (name in recorded) != (name in actual):
            state = "present" if name in recorded else "absent"
            out.append(f"{name}: recorded {state}, twin {'absent' if state == 'present' else 'present'}")
    if "etag" in actual and not _ETAG.match(actual["etag"]):
        out.append(f"etag: {actual['etag']!r} is not a quoted entity tag")
    if location is not None and "location" in actual and urlsplit(actual["location"]).path != location:
        out.append(f"location: recorded path {location}, twin {urlsplit(actual['location']).path}")
    if link_rels(recorded.get("link")) != link_rels(actual.get("link")):
        out.append(f"link: recorded rels {link_rels(recorded.get('link'))}, twin {link_rels(actual.get('link'))}")
    for name in sorted(n for n in recorded if n.startswith("x-ratelimit-")):
        value = actual.get(name)
        if value is None:
            out.append(f"{name}: recorded, twin absent")
        elif name == "x-ratelimit-resource":
            if value != recorded[name]:
                out.append(f"{name}: recorded {recorded[name]!r}, twin {value!r}")
        elif not value.isdigit():
            out.append(f"{name}: twin {value!r} is not a non-negative integer")
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def compare_shape(recorded: Any, actual: Any, diff: Diff, pointer: str = "") -> None:
    """Add to ``diff`` every place where ``actual`` has not the shape of ``recorded``."""
    want, got = _kind(recorded), _kind(actual)
    if "null" in {want, got}:
        return
    if want != got:
        diff.differences.append(f"body{pointer or '/'}: recorded {want}, twin {got}")
        return
    if want == "object":
        for key in sorted(set(recorded) - set(actual)):
            diff.differences.append(f"body{pointer}/{key}: recorded, missing in the twin")
        for key in sorted(set(actual) - set(recorded)):
            diff.notes.append(f"body{pointer}/{key}: only in the twin")
        for key in sorted(set(recorded) & set(actual)):
            compare_shape(recorded[key], actual[key], diff, f"{pointer}/{key}")
    elif want == "array":
        if len(recorded) != len(actual):
            diff.notes.append(f"body{pointer or '/'}: recorded {len(recorded)} items, twin {len(actual)}")
        for index, (left, right) in enumerate(zip(recorded, actual, strict=False)):
            compare_shape(left, right, diff, f"{pointer}/{index}")
