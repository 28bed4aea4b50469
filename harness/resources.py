"""What the package carries besides code: the spec language's meta-schemas and the default specs
a new project starts from (``harness init``).

In a wheel they are package data under ``harness/_data/`` (copied there at build time from the
source tree's ``specs/``, ``contracts/`` and ``state_machines/``, so there is one copy in the
repository); in a source checkout or an editable install they are read from the checkout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# what a project's spec tree is made of, relative to its root
PROJECT_DIRS = ("contracts", "state_machines", "specs/errors", "specs/patterns", "specs/schema")


def default_project() -> Path:
    """The directory holding the default specs (the layout PROJECT_DIRS names)."""
    packaged = Path(str(files("harness") / "_data" / "project"))
    if (packaged / "specs" / "schema").is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "specs" / "schema").is_dir():
        return checkout
    raise FileNotFoundError(
        "the harness's default specs are missing: neither package data (harness/_data/project) nor a source "
        "checkout holds specs/schema; reinstall hh-harness from a wheel or its source tree"
    )


def meta_schemas() -> Path:
    """The meta-schemas of the spec language (``*.schema.json``)."""
    return default_project() / "specs" / "schema"
