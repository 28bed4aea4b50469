"""Deterministic YAML for rendered objects: the same objects always give the same bytes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from hh_reference.naming import manifest_path

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def dump(obj: Mapping[str, Any]) -> bytes:
    """One object as YAML: keys sorted, block style, UTF-8, a trailing newline."""
    text = yaml.dump(
        dict(obj), Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=4096
    )
    return text.encode("utf-8")


def load_all(data: bytes) -> list[Any]:
    """Every document of a YAML stream (safe loader)."""
    return [doc for doc in yaml.load_all(data.decode("utf-8"), Loader=_Loader) if doc is not None]


def to_files(prefix: str, fabric: str, objects: Iterable[Mapping[str, Any]]) -> dict[str, bytes]:
    """path -> bytes, one object per file at ``<prefix>/<fabric>/<plural>/<name>.yaml``."""
    files: dict[str, bytes] = {}
    for obj in objects:
        path = manifest_path(prefix, fabric, obj["kind"], obj["metadata"]["name"])
        files[path] = dump(obj)
    return dict(sorted(files.items()))
