"""Diagnostics: what the validator says about a spec, with file, line, column and JSON pointer."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding. ``line``/``column`` are 1-based; 0 means the whole file."""

    file: str
    line: int
    column: int
    pointer: str
    code: str
    message: str
    severity: Severity = Severity.ERROR

    def to_text(self) -> str:
        where = f" at {self.pointer}" if self.pointer else ""
        prefix = "" if self.severity is Severity.ERROR else "warning: "
        return f"{self.file}:{self.line}:{self.column}: {self.code} {prefix}{self.message}{where}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("severity")
        return data


def display_path(path: Path) -> str:
    """Paths relative to the working directory when possible, so editors can jump to them."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class SpecError(Exception):
    """A spec could not be loaded at all; carries the diagnostic that says why."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.to_text())
        self.diagnostic = diagnostic
