"""Configuration of the reference integration: a TOML or YAML file, overridden by REFERENCE_* variables.

Secrets (tokens, the webhook secret) are fields with ``repr=False``; ``redacted()`` is the only view
that may be logged or printed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from hh_reference.specs import default_spec_root

ENV_PREFIX = "REFERENCE_"
GITOPS_MODES = ("pull_request", "direct")
SECRET_FIELDS = frozenset({"netbox_token", "github_token", "webhook_secret", "api_token"})


class ConfigError(ValueError):
    """The configuration file or environment holds an invalid value; the message names it."""


@dataclass(frozen=True)
class Config:
    """Where NetBox, GitHub and the cluster are, how to reach them, and where state lives."""

    netbox_url: str = ""
    netbox_token: str = field(default="", repr=False)
    github_url: str = "https://api.github.com"
    github_token: str = field(default="", repr=False)
    github_owner: str = ""
    github_repo: str = ""
    github_branch: str = "main"
    gitops_mode: str = "pull_request"
    # pull-request mode: merge the sync pull request once GitHub reports it mergeable and every
    # required check (comma-separated status contexts; none = every reported status) succeeded
    auto_merge: bool = False
    required_checks: str = ""
    gitops_path: str = "fabrics"
    kubeconfig: Path | None = None
    kube_context: str | None = None
    kube_namespace: str = "default"
    webhook_secret: str = field(default="", repr=False)
    api_token: str = field(default="", repr=False)
    state_db: Path = Path("reference-state.sqlite3")
    spec_root: Path = field(default_factory=default_spec_root)
    listen_host: str = "127.0.0.1"
    listen_port: int = 8787
    ready_timeout_s: float = 120.0

    def redacted(self) -> dict[str, Any]:
        """Every field as a plain value, with secrets replaced by ``***`` (set) or ``""`` (unset)."""
        view: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS:
                view[f.name] = "***" if value else ""
            else:
                view[f.name] = str(value) if isinstance(value, Path) else value
        return view


def _coerce(name: str, raw: Any, where: str) -> Any:
    """Turn a file or environment value into the field's type, or raise ConfigError naming it."""
    kind = {f.name: f.type for f in fields(Config)}[name]
    if raw is None:
        if "None" in str(kind):
            return None
        raise ConfigError(f"{where}: '{name}' may not be empty")
    if kind == "int":
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: '{name}' must be an integer, got {raw!r}") from None
        if name == "listen_port" and not 0 <= value <= 65535:
            raise ConfigError(f"{where}: '{name}' must be 0..65535, got {value}")
        return value
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError(f"{where}: '{name}' must be true or false, got {raw!r}")
        return text in ("true", "1", "yes")
    if kind == "float":
        try:
            value_f = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: '{name}' must be a number of seconds, got {raw!r}") from None
        if value_f <= 0:
            raise ConfigError(f"{where}: '{name}' must be positive, got {value_f}")
        return value_f
    if not isinstance(raw, str | int | float):
        raise ConfigError(f"{where}: '{name}' must be a string, got {type(raw).__name__}")
    text = str(raw)
    if "Path" in str(kind):
        return Path(text).expanduser() if text else None
    return text


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not valid {'TOML' if path.suffix == '.toml' else 'YAML'}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table of settings at the top level")
    return data


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Defaults, then the file at ``path`` (TOML for ``*.toml``, else YAML), then REFERENCE_<FIELD> variables."""
    environ = os.environ if env is None else env
    known = {f.name for f in fields(Config)}
    values: dict[str, Any] = {}
    if path is not None:
        for key, raw in _read_file(path).items():
            if key not in known:
                raise ConfigError(f"{path}: unknown setting '{key}'; valid settings: {', '.join(sorted(known))}")
            values[key] = _coerce(key, raw, str(path))
    for name in known:
        variable = ENV_PREFIX + name.upper()
        if variable in environ:
            values[name] = _coerce(name, environ[variable], f"environment variable {variable}")
    config = replace(Config(), **values)
    if config.gitops_mode not in GITOPS_MODES:
        raise ConfigError(f"gitops_mode must be one of {', '.join(GITOPS_MODES)}, got {config.gitops_mode!r}")
    if config.gitops_path.startswith("/") or ".." in Path(config.gitops_path).parts:
        raise ConfigError(f"gitops_path must be a relative path inside the repository, got {config.gitops_path!r}")
    return config
