"""GitHub: a stateful twin (REST + git smart HTTP, verified against GitHub's OpenAPI) and github.com by token."""

from harness.targets.github.target import GitHubLive, GitHubTwin

__all__ = ["GitHubLive", "GitHubTwin"]
