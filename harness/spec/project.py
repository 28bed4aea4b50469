"""Where the project's specs live."""

from __future__ import annotations

import os
from pathlib import Path

SPEC_DIRS = ("contracts", "state_machines", "specs/errors", "specs/patterns")
_MARKER = Path("specs/schema/contract.schema.json")


def find_root(start: Path | None = None) -> Path:
    """The project root: $HARNESS_PROJECT_ROOT, else the nearest ancestor of ``start`` (default:
    the working directory) holding a harness.toml or specs/schema, else the source checkout."""
    env = os.environ.get("HARNESS_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / _MARKER).is_file() or (candidate / "harness.toml").is_file() or _configured(candidate):
            return candidate
    from harness.resources import default_project  # noqa: PLC0415

    return default_project()


def _configured(directory: Path) -> bool:
    """Whether ``directory`` has a pyproject.toml with a [tool.harness] table."""
    pyproject = directory / "pyproject.toml"
    if not pyproject.is_file():
        return False
    from harness.config import ConfigError, config_file  # noqa: PLC0415

    try:
        return config_file(directory) is not None
    except ConfigError:
        return True  # it is meant to be the project; the error is reported when the config is read


def default_spec_paths(root: Path) -> list[Path]:
    """The spec directories of the project: ``[tool.harness] specs``, else the conventional ones."""
    from harness.config import load_config  # noqa: PLC0415 - tomllib only when asked

    configured = load_config(root).specs
    return [p for p in configured if p.is_dir()] if configured else [root / d for d in SPEC_DIRS if (root / d).is_dir()]


def schema_dir(root: Path) -> Path:
    """The meta-schemas: the project's own ``specs/schema`` (a fork of the spec language), else the
    ones the harness ships."""
    own = root / "specs" / "schema"
    if own.is_dir():
        return own
    from harness.resources import meta_schemas  # noqa: PLC0415

    return meta_schemas()


def shared_crds_dir(root: Path) -> Path | None:
    """The real Hedgehog CRDs beside the project ($HARNESS_CRDS_DIR overrides), if present."""
    env = os.environ.get("HARNESS_CRDS_DIR")
    if env:
        path = Path(env)
    else:
        from harness.config import load_config  # noqa: PLC0415

        path = load_config(root).crds or root.parent / "shared" / "hedgehog-crds"
    return path if path.is_dir() else None
