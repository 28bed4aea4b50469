"""GitHub: a stateful twin (REST + git smart HTTP, verified against GitHub's OpenAPI) and github.com by token."""

from harness.targets.github.target import GitHubLive, GitHubTwin, github_from_env

__all__ = ["GitHubLive", "GitHubTwin", "github_from_env"]
