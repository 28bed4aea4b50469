"""NetBox's ``$NETBOX_ROOT/conf/configuration.py`` for the managed instance, and its secrets."""

from __future__ import annotations

import os
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path

# NetBox requires SECRET_KEY and each API token pepper to be at least 50 characters.
SECRET_MIN_LENGTH = 50
_SECRET_ALPHABET = string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_{|}~"


def new_secret(length: int = 64, alphabet: str = _SECRET_ALPHABET) -> str:
    """A random secret drawn from ``alphabet`` (no quotes or backslashes, so it is a plain literal)."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass(frozen=True)
class NetBoxConfig:
    """What configuration.py says. Secrets are kept out of repr."""

    http_port: int
    db_port: int
    db_name: str
    db_user: str
    redis_port: int
    db_password: str = field(repr=False)
    secret_key: str = field(repr=False)
    peppers: dict[int, str] = field(repr=False)
    # the modules NetBox loads as plugins (PLUGINS), each installed in NetBox's virtualenv
    plugins: tuple[str, ...] = ()
    # seconds a database connection is kept between requests (0: one per request; benchmarks/bench_netbox.py)
    conn_max_age: int = 300

    def __post_init__(self) -> None:
        if len(self.secret_key) < SECRET_MIN_LENGTH:
            raise ValueError(f"SECRET_KEY must be at least {SECRET_MIN_LENGTH} characters")
        for pepper_id, pepper in self.peppers.items():
            if not 0 <= pepper_id <= 32767 or len(pepper) < SECRET_MIN_LENGTH:
                raise ValueError(
                    f"API_TOKEN_PEPPERS[{pepper_id}] must have an id in 0..32767 "
                    f"and at least {SECRET_MIN_LENGTH} characters"
                )


def render(config: NetBoxConfig) -> str:
    """The text of configuration.py; every value is written with repr() so it is a valid literal."""
    redis = {
        "tasks": {"HOST": "127.0.0.1", "PORT": config.redis_port, "DATABASE": 0, "SSL": False},
        "caching": {"HOST": "127.0.0.1", "PORT": config.redis_port, "DATABASE": 1, "SSL": False},
    }
    databases = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": config.db_name,
            "USER": config.db_user,
            "PASSWORD": config.db_password,
            "HOST": "127.0.0.1",
            "PORT": str(config.db_port),
            # Persistent connections: a new one per request made PostgreSQL start a backend and
            # fill its catalog caches every time. reset() drops the database WITH (FORCE) under
            # running workers; the health check reconnects a connection that ended so, before its
            # request's first query.
            "CONN_MAX_AGE": config.conn_max_age,
            "CONN_HEALTH_CHECKS": True,
        }
    }
    lines = [
        "# Written by hh-harness (harness up netbox). Regenerated on every start; edit the harness instead.",
        f"ALLOWED_HOSTS = {['127.0.0.1', 'localhost']!r}",
        f"DATABASES = {databases!r}",
        f"REDIS = {redis!r}",
        f"SECRET_KEY = {config.secret_key!r}",
        f"API_TOKEN_PEPPERS = {config.peppers!r}",
        "CENSUS_REPORTING_ENABLED = False",
        "ISOLATED_DEPLOYMENT = True",
        "DEBUG = False",
        "TIME_ZONE = 'UTC'",
        f"PLUGINS = {list(config.plugins)!r}",
    ]
    return "\n".join(lines) + "\n"


def write_configuration(netbox_root: Path, config: NetBoxConfig) -> Path:
    """Write ``netbox_root/conf/configuration.py`` (mode 0600, it holds secrets); return its path."""
    conf = netbox_root / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "__init__.py").touch()
    path = conf / "configuration.py"
    # Create with 0600 from the start so the secrets are never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(render(config))
    path.chmod(0o600)
    return path
