"""GitHub's custom media types: ``application/vnd.github[.v3][.param][+json]`` in a request's Accept header."""

from __future__ import annotations

import re
from dataclasses import dataclass

# version (v3) and param (raw, object, html, ...) are both optional: application/vnd.github.raw is valid.
_VND = re.compile(r"^application/vnd\.github(?:\.(?P<version>v\d+))?(?:\.(?P<param>[a-z][a-z-]*))?(?:\+json)?$")
_JSON = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Media:
    """The representation a client asked for: ``param`` None is GitHub's default JSON."""

    param: str | None = None
    requested: str = "application/json"

    @property
    def header(self) -> str:
        """The X-GitHub-Media-Type GitHub answers with."""
        if self.param is None:
            return "github.v3; format=json"
        if self.param in {"raw", "html"}:
            return f"github.v3; param={self.param}"
        return f"github.v3; param={self.param}; format=json"

    @property
    def raw_content_type(self) -> str:
        """The Content-Type of a raw body: the media type asked for, as GitHub echoes it."""
        return f"{self.requested}; charset=utf-8"

    @property
    def content_type(self) -> str:
        """The Content-Type of a JSON body."""
        return _JSON


def negotiate(accept: str) -> Media:
    """The first GitHub media type in ``accept`` that names a param, else the default JSON."""
    for item in accept.split(","):
        media = item.split(";", 1)[0].strip().lower()
        found = _VND.match(media)
        if found and found.group("param"):
            return Media(found.group("param"), media)
    return Media()
