"""The project configuration: ``[tool.harness]`` in ``pyproject.toml``, or ``harness.toml``.

    [tool.harness]
    adapter = "reference"            # entry-point name in hh_harness.adapters, or module:attribute
    specs = ["contracts", "state_machines", "specs/errors", "specs/patterns"]
    tests = ["tests/e2e"]            # the project's own tests, run with the generated suites
    crds = "../shared/hedgehog-crds" # the Hedgehog CRDs (HARNESS_CRDS_DIR overrides)
    cassettes = "tests/cassettes"    # a `harness record` corpus, replayed into the implementation offline
    netbox-plugins = ["plugins/my_plugin-1.0-py3-none-any.whl"]  # installed into the managed NetBox

    [tool.harness.gate]
    min-transition-coverage = 100
    min-error-coverage = 25

Paths are relative to the file's directory. Unknown keys are an error naming the file and the
valid keys, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_FILES = ("harness.toml", "pyproject.toml")
KEYS = frozenset({"adapter", "specs", "tests", "crds", "cassettes", "gate", "netbox-plugins"})
GATE_KEYS = frozenset(
    {"min-transition-coverage", "min-error-coverage", "min-operation-coverage", "min-invariant-coverage"}
)


class ConfigError(ValueError):
    """The configuration file is invalid; the message names the file, the key and what is valid."""


@dataclass(frozen=True)
class ProjectConfig:
    root: Path
    file: Path | None = None
    adapter: str | None = None
    specs: tuple[Path, ...] = ()
    tests: tuple[Path, ...] = ()  # the project's own test paths `harness run` runs with the generated suites
    crds: Path | None = None
    # a corpus recorded by `harness record` (<scenario>/<boundary>.yaml): replayed into the implementation
    cassettes: Path | None = None
    netbox_plugins: tuple[Path, ...] = ()  # wheels or source archives for `harness up netbox`
    gate: dict[str, float] = field(default_factory=dict)


def _table(path: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not readable TOML: {exc}") from exc
    table = data.get("tool", {}).get("harness", data if path.name == "harness.toml" else None)
    return table if isinstance(table, dict) else None


def config_file(root: Path) -> tuple[Path, dict[str, Any]] | None:
    """The first of harness.toml / pyproject.toml in ``root`` that holds harness settings."""
    for name in CONFIG_FILES:
        path = root / name
        if path.is_file():
            table = _table(path)
            if table is not None:
                return path, table
    return None


def load_config(root: Path) -> ProjectConfig:
    found = config_file(root)
    if found is None:
        return ProjectConfig(root=root)
    path, table = found
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown [tool.harness] key(s) {unknown}; valid keys: {sorted(KEYS)}")
    adapter = table.get("adapter")
    if adapter is not None and not isinstance(adapter, str):
        raise ConfigError(f"{path}: [tool.harness] adapter must be a string (entry-point name or module:attribute)")
    specs = table.get("specs", [])
    if not isinstance(specs, list) or not all(isinstance(s, str) for s in specs):
        raise ConfigError(f"{path}: [tool.harness] specs must be a list of directory paths")
    tests = table.get("tests", [])
    if not isinstance(tests, list) or not all(isinstance(s, str) for s in tests):
        raise ConfigError(f"{path}: [tool.harness] tests must be a list of paths")
    plugins = table.get("netbox-plugins", [])
    if not isinstance(plugins, list) or not all(isinstance(s, str) for s in plugins):
        raise ConfigError(f"{path}: [tool.harness] netbox-plugins must be a list of wheel or source archive paths")
    crds = table.get("crds")
    if crds is not None and not isinstance(crds, str):
        raise ConfigError(f"{path}: [tool.harness] crds must be a directory path")
    cassettes = table.get("cassettes")
    if cassettes is not None and not isinstance(cassettes, str):
        raise ConfigError(f"{path}: [tool.harness] cassettes must be a directory path (a `harness record` corpus)")
    gate = table.get("gate", {})
    if not isinstance(gate, dict) or set(gate) - GATE_KEYS:
        raise ConfigError(f"{path}: [tool.harness.gate] keys must be among {sorted(GATE_KEYS)}")
    if not all(isinstance(v, int | float) and 0 <= v <= 100 for v in gate.values()):
        raise ConfigError(f"{path}: [tool.harness.gate] values are percentages from 0 to 100")
    base = path.parent
    return ProjectConfig(
        root=root, file=path, adapter=adapter, specs=tuple(base / s for s in specs),
        tests=tuple(base / t for t in tests), crds=(base / crds) if crds else None,
        cassettes=(base / cassettes).resolve() if cassettes else None,
        netbox_plugins=tuple(base / p for p in plugins),
        gate={k: float(v) for k, v in gate.items()},
    )  # fmt: skip
