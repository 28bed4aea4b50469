"""Configuration: file, environment, validation and secret redaction."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hh_reference.config import Config, ConfigError, load_config


def test_defaults_point_at_the_repository_and_loopback(project_root: Path) -> None:
    config = load_config(env={})
    assert config.github_url == "https://api.github.com"
    assert config.github_branch == "main"
    assert config.gitops_mode == "pull_request"
    assert config.gitops_path == "fabrics"
    assert config.kube_namespace == "default"
    assert config.listen_host == "127.0.0.1"
    assert config.spec_root == project_root


def test_environment_overrides_the_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "reference.toml"
    path.write_text('netbox_url = "http://nb.example"\nlisten_port = 9000\ngitops_mode = "direct"\n')
    config = load_config(path, env={"REFERENCE_LISTEN_PORT": "9100", "REFERENCE_STATE_DB": str(tmp_path / "s.db")})
    assert config.netbox_url == "http://nb.example"
    assert config.gitops_mode == "direct"
    assert config.listen_port == 9100
    assert config.state_db == tmp_path / "s.db"


def test_yaml_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "reference.yaml"
    path.write_text("github_owner: acme\ngithub_repo: fabric-gitops\nready_timeout_s: 30\n")
    config = load_config(path, env={})
    assert (config.github_owner, config.github_repo, config.ready_timeout_s) == ("acme", "fabric-gitops", 30.0)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("netbox_ulr: x\n", "unknown setting 'netbox_ulr'"),
        ("listen_port: eighty\n", "'listen_port' must be an integer"),
        ("listen_port: 70000\n", "'listen_port' must be 0..65535"),
        ("gitops_mode: force\n", "gitops_mode must be one of pull_request, direct"),
        ("gitops_path: ../outside\n", "gitops_path must be a relative path"),
        ("ready_timeout_s: -1\n", "'ready_timeout_s' must be positive"),
        ("- a list\n", "expected a table of settings"),
    ],
)
def test_bad_settings_name_the_file_and_field(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "reference.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(").replace(".", r"\.")):
        load_config(path, env={})


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="REFERENCE_LISTEN_PORT"):
        load_config(env={"REFERENCE_LISTEN_PORT": "x"})


def test_secrets_are_neither_in_repr_nor_in_the_redacted_view(caplog: pytest.LogCaptureFixture) -> None:
    config = Config(
        netbox_token="nb-s3cret", github_token="gh-s3cret", webhook_secret="wh-s3cret", api_token="api-s3cret"
    )
    logging.getLogger("test").warning("config %s %s", config, config.redacted())
    for secret in ("nb-s3cret", "gh-s3cret", "wh-s3cret", "api-s3cret"):
        assert secret not in repr(config)
        assert secret not in str(config.redacted())
        assert secret not in caplog.text
    assert config.redacted()["github_token"] == "***"
    assert Config().redacted()["github_token"] == ""


def test_auto_merge_is_a_boolean_setting(tmp_path: Path) -> None:
    assert load_config(env={}).auto_merge is False
    assert load_config(env={"REFERENCE_AUTO_MERGE": "true", "REFERENCE_REQUIRED_CHECKS": "ci/a,ci/b"}).auto_merge
    path = tmp_path / "reference.toml"
    path.write_text("auto_merge = true\n")
    assert load_config(path, env={}).auto_merge is True
    with pytest.raises(ConfigError, match=r"REFERENCE_AUTO_MERGE.*'auto_merge' must be true or false"):
        load_config(env={"REFERENCE_AUTO_MERGE": "sometimes"})
