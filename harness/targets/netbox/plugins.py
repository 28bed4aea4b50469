"""NetBox plugins for the managed NetBox: wheels or source archives installed next to NetBox.

A plugin set is identified by the digest of its files' contents, so a NetBox with plugins gets a
virtualenv (and a cached database) of its own and a plain NetBox of the same version stays untouched.
What a plugin is called (distribution, version, the module NetBox's ``PLUGINS`` names) is read
from the installed distribution, never guessed from the file name.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.targets.base import TargetError

ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".zip")

# Runs in NetBox's virtualenv: the top-level packages of a distribution that declare a PluginConfig.
PLUGIN_MODULES = """
import importlib.metadata as md, json, sys
dist = md.distribution(sys.argv[1])
tops = sorted({f.parts[0] for f in dist.files or () if len(f.parts) == 2 and f.name == "__init__.py"})
modules = [t for t in tops if "PluginConfig" in (dist.locate_file(f"{t}/__init__.py").read_text(errors="replace"))]
print(json.dumps({"name": dist.metadata["Name"], "version": dist.version, "modules": modules}))
"""


@dataclass(frozen=True)
class PluginSource:
    """A plugin file given to ``harness up netbox --plugin``: a wheel or a source archive."""

    path: Path
    sha256: str

    @classmethod
    def from_path(cls, path: Path) -> PluginSource:
        """Check that ``path`` is an installable archive and fingerprint its content."""
        path = path.expanduser().resolve()
        if not path.is_file():
            raise TargetError(f"NetBox plugin {path}: no such file (give a wheel or a source archive)")
        if not path.name.endswith(ARCHIVE_SUFFIXES):
            raise TargetError(f"NetBox plugin {path}: not a wheel or source archive (one of {ARCHIVE_SUFFIXES})")
        return cls(path, hashlib.sha256(path.read_bytes()).hexdigest())


@dataclass(frozen=True)
class InstalledPlugin:
    """A plugin as installed: its distribution, version and the module NetBox loads."""

    distribution: str
    version: str
    module: str
    sha256: str

    @property
    def key(self) -> str:
        """Name, version and a short content digest for cache file names. The digest is there because
        an unreleased plugin keeps its version across commits, and a dump migrated for one commit
        must not be restored for another."""
        return f"{self.module}-{self.version}-{self.sha256[:8]}"


def set_digest(sources: Iterable[PluginSource]) -> str:
    """A short digest of a plugin set, independent of the order the plugins were given in."""
    joined = "\n".join(sorted(source.sha256 for source in sources))
    return hashlib.sha256(joined.encode()).hexdigest()[:12]


def parse_modules(output: str, source: PluginSource) -> InstalledPlugin:
    """Read PLUGIN_MODULES's answer; exactly one module must declare the PluginConfig."""
    try:
        data = json.loads(output.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise TargetError(f"NetBox plugin {source.path}: could not read what was installed ({exc})") from exc
    modules = data.get("modules", [])
    if len(modules) != 1:
        raise TargetError(
            f"NetBox plugin {source.path}: distribution {data.get('name')} has {len(modules)} top-level "
            f"packages declaring a PluginConfig ({modules}); NetBox needs exactly one to put in PLUGINS"
        )
    return InstalledPlugin(str(data["name"]), str(data["version"]), str(modules[0]), source.sha256)


def installed_names(report: Path, archive: Path) -> list[str]:
    """The distribution names pip's ``--report`` says it installed from ``archive`` (a package index
    may be local too, so a file: URL alone does not tell the plugin from its dependencies)."""
    data = json.loads(report.read_text(encoding="utf-8"))
    return [
        str(item["metadata"]["name"])
        for item in data.get("install", [])
        if item.get("download_info", {}).get("url", "") == archive.as_uri()
    ]


def dump_key(version: str, plugins: Iterable[InstalledPlugin]) -> str:
    """``4.7.3`` for a plain NetBox, ``4.7.3+<module>-<version>-<digest>...`` with plugins."""
    keys = sorted(plugin.key for plugin in plugins)
    key = "+".join([version, *keys])
    return re.sub(r"[^A-Za-z0-9._+-]", "_", key)
