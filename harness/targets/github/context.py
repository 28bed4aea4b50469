"""What a REST handler gets: the twin's state, the request's base URL and its parsed input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from harness.targets.github.errors import ApiError
from harness.targets.github.events import Events
from harness.targets.github.media import Media
from harness.targets.github.store import Store


@dataclass(frozen=True)
class Raw:
    """A body sent as is (the raw media type of a file), not as JSON."""

    data: bytes
    content_type: str


# (status, JSON body, Raw, or None for an empty body)
Reply = tuple[int, Any]
Handler = Callable[["Ctx", dict[str, str]], Reply]


@dataclass
class Ctx:
    """One request as a handler sees it."""

    store: Store
    events: Events
    base: str
    body: Any
    query: dict[str, str]
    rate: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers (Link, Location)
    media: Media = field(default_factory=Media)

    def page(self, items: list[Any], path: str) -> list[Any]:
        """One page of ``items`` per ``per_page``/``page`` (GitHub's defaults 30/1), setting Link.

        Link carries prev/next/last/first as GitHub sends them (prev and first from page 2 on, next and last
        before the last page), each keeping the request's other query parameters.
        """
        try:
            per_page = min(max(int(self.query.get("per_page", 30)), 1), 100)
            number = max(int(self.query.get("page", 1)), 1)
        except ValueError:
            raise ApiError(422, "Invalid request.\n\nper_page and page must be integers.") from None
        last = max((len(items) + per_page - 1) // per_page, 1)
        others = {k: v for k, v in self.query.items() if k not in {"page", "per_page"}}

        def url(page: int) -> str:
            return f"{self.base}{path}?{urlencode({**others, 'per_page': per_page, 'page': page})}"

        rels = []
        if number > 1:
            rels.append((min(number - 1, last), "prev"))
        if number < last:
            rels += [(number + 1, "next"), (last, "last")]
        if number > 1:
            rels.append((1, "first"))
        if rels:
            self.headers["Link"] = ", ".join(f'<{url(page)}>; rel="{rel}"' for page, rel in rels)
        return items[(number - 1) * per_page : number * per_page]

    def created(self, url: str) -> None:
        """Answer with ``Location: url``, as GitHub does for a resource a POST created."""
        self.headers["Location"] = url

    def field(self, name: str, kind: type | tuple[type, ...], required: bool = False) -> Any:
        """A body field of the given JSON type; 422 when it is missing (if required) or mistyped."""
        value = self.body.get(name) if isinstance(self.body, dict) else None
        if value is None:
            if required:
                raise ApiError(422, f'Invalid request.\n\n"{name}" wasn\'t supplied.')
            return None
        # bool is an int in Python but not in JSON
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
            raise ApiError(422, f"Invalid request.\n\nFor '{name}', {value!r} is not a {_json_type(kind)}.")
        return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _json_type(kind: type | tuple[type, ...]) -> str:
    names = {str: "string", int: "integer", bool: "boolean", list: "array", dict: "object"}
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))
