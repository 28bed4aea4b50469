"""Plugins for the managed NetBox: identity, cache keys, configuration (offline; the install itself
is exercised by the hnp tier, tests/hnp)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.config import ConfigError, load_config
from harness.targets.base import TargetError
from harness.targets.netbox.config import NetBoxConfig, render
from harness.targets.netbox.plugins import (
    InstalledPlugin,
    PluginSource,
    dump_key,
    installed_names,
    parse_modules,
    set_digest,
)


def _source(tmp_path: Path, name: str, content: bytes) -> PluginSource:
    path = tmp_path / name
    path.write_bytes(content)
    return PluginSource.from_path(path)


def test_a_plugin_is_a_wheel_or_source_archive(tmp_path: Path) -> None:
    (tmp_path / "plugin.txt").write_text("x")
    with pytest.raises(TargetError, match="not a wheel or source archive"):
        PluginSource.from_path(tmp_path / "plugin.txt")
    with pytest.raises(TargetError, match="no such file"):
        PluginSource.from_path(tmp_path / "missing.tar.gz")


def test_the_plugin_set_digest_ignores_order_and_follows_content(tmp_path: Path) -> None:
    a, b = _source(tmp_path, "a.tar.gz", b"a"), _source(tmp_path, "b.whl", b"b")
    assert set_digest([a, b]) == set_digest([b, a])
    changed = _source(tmp_path, "a2.tar.gz", b"a, next commit")
    assert set_digest([changed, b]) != set_digest([a, b])


def test_the_dump_key_names_netbox_and_each_plugin_with_its_version_and_content() -> None:
    plain = dump_key("4.7.3", [])
    one = dump_key("4.7.3", [InstalledPlugin("netbox-x", "0.1.0", "netbox_x", "ab" * 32)])
    other_commit = dump_key("4.7.3", [InstalledPlugin("netbox-x", "0.1.0", "netbox_x", "cd" * 32)])
    assert plain == "4.7.3"
    assert one == "4.7.3+netbox_x-0.1.0-abababab"
    assert one != other_commit  # an unreleased plugin keeps its version across commits


def test_exactly_one_module_must_declare_the_plugin_config(tmp_path: Path) -> None:
    source = _source(tmp_path, "p.tar.gz", b"p")
    found = parse_modules(json.dumps({"name": "netbox-x", "version": "1.0", "modules": ["netbox_x"]}), source)
    assert (found.distribution, found.version, found.module) == ("netbox-x", "1.0", "netbox_x")
    with pytest.raises(TargetError, match="exactly one"):
        parse_modules(json.dumps({"name": "netbox-x", "version": "1.0", "modules": []}), source)


def test_only_the_archive_itself_is_the_plugin_in_pips_report(tmp_path: Path) -> None:
    archive = tmp_path / "p.tar.gz"
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"install": [
        {"metadata": {"name": "netbox-x"}, "download_info": {"url": archive.as_uri()}},
        {"metadata": {"name": "dependency"}, "download_info": {"url": "file:///opt/pypi/dependency-1.0.whl"}},
    ]}))  # fmt: skip
    assert installed_names(report, archive) == ["netbox-x"]


def test_the_configuration_enables_the_plugins() -> None:
    config = NetBoxConfig(8766, 1, "netbox", "netbox", 2, "p", "s" * 50, {1: "q" * 50}, plugins=("netbox_x",))
    assert "PLUGINS = ['netbox_x']" in render(config)


def test_the_project_configuration_names_plugins_relative_to_its_file(tmp_path: Path) -> None:
    (tmp_path / "harness.toml").write_text('netbox-plugins = ["plugins/x.whl"]\n')
    assert load_config(tmp_path).netbox_plugins == (tmp_path / "plugins" / "x.whl",)
    (tmp_path / "harness.toml").write_text('netbox-plugins = "plugins/x.whl"\n')
    with pytest.raises(ConfigError, match="netbox-plugins must be a list"):
        load_config(tmp_path)
