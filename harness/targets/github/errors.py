"""GitHub's error shape: ``{"message", "documentation_url", "status", "errors"?}``."""

from __future__ import annotations

from typing import Any

DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """An error the twin answers with, shaped the way GitHub shapes it."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self, documentation_url: str = DOCS) -> dict[str, Any]:
        """The JSON body GitHub sends for this error."""
        body: dict[str, Any] = {"message": self.message, "documentation_url": documentation_url}
        if self.errors is not None:
            body["errors"] = self.errors
        body["status"] = str(self.status)
        return body


def not_found(message: str = "Not Found") -> ApiError:
    """404 as GitHub sends it for anything missing or invisible to the caller."""
    return ApiError(404, message)


def invalid(resource: str, field: str, code: str = "invalid", message: str | None = None) -> ApiError:
    """422 "Validation Failed" with one entry in ``errors``."""
    entry = {"resource": resource, "field": field, "code": code}
    if message is not None:
        entry["message"] = message
    return ApiError(422, "Validation Failed", [entry])


def custom(resource: str, message: str) -> ApiError:
    """422 "Validation Failed" with a ``custom`` error, as pull-request creation reports."""
    return ApiError(422, "Validation Failed", [{"resource": resource, "code": "custom", "message": message}])


def not_supplied(field: str) -> ApiError:
    """422 for a missing request field, worded as GitHub's JSON-schema validator words it."""
    return ApiError(422, f'Invalid request.\n\n"{field}" wasn\'t supplied.')
