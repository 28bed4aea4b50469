"""What a REST handler gets: the twin's state, the request's base URL and its parsed input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.targets.github.errors import ApiError
from harness.targets.github.events import Events
from harness.targets.github.store import Store

# (status, JSON body or None for an empty body)
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
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers (Link)

    def page(self, items: list[Any], path: str) -> list[Any]:
        """One page of ``items`` per ``per_page``/``page`` (GitHub's defaults 30/1), setting Link."""
        try:
            per_page = min(max(int(self.query.get("per_page", 30)), 1), 100)
            number = max(int(self.query.get("page", 1)), 1)
        except ValueError:
            raise ApiError(422, "Invalid request.\n\nper_page and page must be integers.") from None
        last = max((len(items) + per_page - 1) // per_page, 1)
        if number < last:
            link = f"{self.base}{path}?per_page={per_page}&page="
            self.headers["Link"] = f'<{link}{number + 1}>; rel="next", <{link}{last}>; rel="last"'
        return items[(number - 1) * per_page : number * per_page]

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
