"""GitHub: a stateful twin (REST + git smart HTTP, verified against GitHub's OpenAPI) and github.com by token.

The re-exports load on first use: ``harness serve github`` imports the twin's modules without the
targets' client side (httpx)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.targets.github.target import GitHubLive, GitHubTwin, github_from_env

__all__ = ["GitHubLive", "GitHubTwin", "github_from_env"]


if not TYPE_CHECKING:  # type checkers see the imports above, and an unknown name stays an error

    def __getattr__(name: str) -> Any:
        if name in __all__:
            from harness.targets.github import target  # noqa: PLC0415

            return getattr(target, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
