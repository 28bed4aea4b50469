"""The managed NetBox's configuration.py: the settings NetBox requires, secrets of the right length, mode 0600."""

from __future__ import annotations

import runpy
import stat
from pathlib import Path
from typing import Any

import pytest

from harness.targets.netbox.config import SECRET_MIN_LENGTH, NetBoxConfig, new_secret, write_configuration


def _config(**overrides: Any) -> NetBoxConfig:
    values: dict[str, Any] = {
        "http_port": 8765,
        "db_port": 55432,
        "db_name": "netbox",
        "db_user": "netbox",
        "redis_port": 56379,
        "db_password": "pw-123",
        "secret_key": new_secret(),
        "peppers": {1: new_secret()},
    }
    values.update(overrides)
    return NetBoxConfig(**values)


def _written(tmp_path: Path, config: NetBoxConfig) -> tuple[Path, dict[str, Any]]:
    path = write_configuration(tmp_path / "root", config)
    return path, runpy.run_path(str(path))


def test_configuration_lands_under_netbox_root_conf(tmp_path: Path) -> None:
    path, _ = _written(tmp_path, _config())
    assert path == tmp_path / "root" / "conf" / "configuration.py"
    assert (tmp_path / "root" / "conf" / "__init__.py").exists()


def test_configuration_file_is_private(tmp_path: Path) -> None:
    path, _ = _written(tmp_path, _config())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_configuration_has_every_required_setting(tmp_path: Path) -> None:
    config = _config()
    _, settings = _written(tmp_path, config)
    assert settings["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    db = settings["DATABASES"]["default"]
    assert (db["ENGINE"], db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "django.db.backends.postgresql",
        "netbox",
        "netbox",
        "pw-123",
        "127.0.0.1",
        "55432",
    )
    assert set(settings["REDIS"]) == {"tasks", "caching"}
    assert {r["PORT"] for r in settings["REDIS"].values()} == {56379}
    assert {r["HOST"] for r in settings["REDIS"].values()} == {"127.0.0.1"}
    assert settings["REDIS"]["tasks"]["DATABASE"] != settings["REDIS"]["caching"]["DATABASE"]
    assert settings["CENSUS_REPORTING_ENABLED"] is False
    assert settings["ISOLATED_DEPLOYMENT"] is True


def test_database_connections_are_kept_and_health_checked(tmp_path: Path) -> None:
    """Kept between requests (a new one per request cost a sixth of each; benchmarks/bench_netbox.py),
    and checked before reuse, since reset() drops the database under running workers."""
    _, settings = _written(tmp_path, _config())
    db = settings["DATABASES"]["default"]
    assert db["CONN_MAX_AGE"] > 0 and db["CONN_HEALTH_CHECKS"] is True
    _, per_request = _written(tmp_path, _config(conn_max_age=0))
    assert per_request["DATABASES"]["default"]["CONN_MAX_AGE"] == 0


def test_secret_key_and_peppers_round_trip_and_are_long_enough(tmp_path: Path) -> None:
    config = _config()
    _, settings = _written(tmp_path, config)
    assert settings["SECRET_KEY"] == config.secret_key
    assert len(settings["SECRET_KEY"]) >= SECRET_MIN_LENGTH
    assert settings["API_TOKEN_PEPPERS"] == config.peppers
    assert all(isinstance(k, int) and len(v) >= SECRET_MIN_LENGTH for k, v in settings["API_TOKEN_PEPPERS"].items())


def test_generated_secrets_differ() -> None:
    assert new_secret() != new_secret()


def test_short_secret_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="SECRET_KEY must be at least 50"):
        _config(secret_key="x" * 49)


def test_short_pepper_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"API_TOKEN_PEPPERS\[1\]"):
        _config(peppers={1: "short"})


def test_secrets_stay_out_of_repr() -> None:
    config = _config()
    assert config.secret_key not in repr(config)
    assert config.peppers[1] not in repr(config)
