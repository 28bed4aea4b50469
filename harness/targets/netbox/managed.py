"""ManagedNetBox: a real NetBox (PyPI wheel) with private PostgreSQL and Redis, started and reset by the harness.

Layout under the harness home (default ``~/.cache/hh-harness``)::

    netbox/venv-<version>/            NetBox's own virtualenv, one per version
    netbox/venv-<version>-<digest>/   the same with plugins, one per version and plugin set
    netbox/dumps/netbox-<key>.dump    pg_dump of a freshly migrated database (kept by ``down``); the key
                                      is the version, plus each plugin's module, version and digest; one
                                      with plugins starts from the plain one's and migrates the plugins
    netbox/dumps/.netbox-<key>.lock   held while that dump is made (other keys migrate meanwhile)
    netbox/venv-<...>.lock            held while that virtualenv is installed
    netbox/instance-<port>/           state.json (0600: ports, secrets), root/ (NETBOX_ROOT), run/, logs/

The PostgreSQL data directory lives under /var/lib/hh-harness/ (see postgres.py for why).
Reset clones a template database taken right after the admin and token were created, so it costs
about a second instead of a migration, and the token keeps working.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from harness.targets.base import Endpoint, TargetError, ensure_port_free, free_port, wait_for
from harness.targets.netbox.config import NetBoxConfig, new_secret, write_configuration
from harness.targets.netbox.install import NetBoxInstall
from harness.targets.netbox.plugins import PluginSource, dump_key
from harness.targets.netbox.postgres import CLUSTER_BASE, PostgresCluster
from harness.targets.netbox.processes import running_pid, tail, terminate
from harness.targets.netbox.redis import RedisServer

DEFAULT_VERSION = "4.7.3"
DEFAULT_PORT = 8765
DB_NAME = "netbox"
DB_TEMPLATE = "netbox_template"
DB_USER = "netbox"
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def default_home() -> Path:
    """``$HARNESS_HOME`` or ``~/.cache/hh-harness``."""
    return Path(os.environ.get("HARNESS_HOME") or Path.home() / ".cache" / "hh-harness")


def _progress(message: str) -> None:
    print(f"netbox: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _exclusive(lock: Path, what: str) -> Iterator[None]:
    """Hold ``lock`` (flock) while installing NetBox or making its dump: instances started at once
    (one per xdist worker) share the virtualenv and the dump. A holder that dies releases it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _progress(f"waiting for another harness process {what} ({lock})")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class ManagedNetBox:
    """The Target for a NetBox this harness installs, starts, resets and stops on loopback."""

    name = "netbox"

    def __init__(
        self,
        home: Path | None = None,
        port: int = DEFAULT_PORT,
        version: str = DEFAULT_VERSION,
        start_timeout_s: float = 120.0,
        plugins: Sequence[Path] = (),
        *,
        conn_max_age: int = 300,
    ) -> None:
        self.port = port
        self.conn_max_age = conn_max_age
        self.version = version
        self.url = f"http://127.0.0.1:{port}"
        self._start_timeout_s = start_timeout_s
        netbox_home = (home or default_home()).expanduser().resolve() / "netbox"
        self.instance_dir = netbox_home / f"instance-{port}"
        self._dumps = netbox_home / "dumps"
        self._state_path = self.instance_dir / "state.json"
        self._run = self.instance_dir / "run"
        self.log = self.instance_dir / "logs" / "harness.log"
        self.gunicorn_pidfile = self._run / "gunicorn.pid"
        sources = [PluginSource.from_path(Path(path)) for path in plugins]
        self.install = NetBoxInstall(netbox_home, version, self.instance_dir / "root", self.log, sources)
        # one lock per virtualenv: a NetBox with plugins installs while the plain one's instances start
        self._lock = self.install.venv.with_name(f"{self.install.venv.name}.lock")
        self._proc: subprocess.Popen[bytes] | None = None
        self._state: dict[str, Any] = {}
        # One cluster per instance directory; the digest keeps the path short and free of odd characters.
        digest = hashlib.sha256(str(self.instance_dir).encode()).hexdigest()[:12]
        self.pg_data = CLUSTER_BASE / f"netbox-{digest}" / "pgdata"

    @property
    def db_key(self) -> str:
        """What the database was migrated for: the NetBox version and the installed plugins."""
        return dump_key(self.version, self.install.plugins())

    @property
    def dump_path(self) -> Path:
        return self._dumps / f"netbox-{self.db_key}.dump"

    def _dump_lock(self, key: str) -> Path:
        """One lock per dump: instances of other keys (a plugin set) migrate meanwhile."""
        return self._dumps / f".netbox-{key}.lock"

    # -- state -------------------------------------------------------------------------------

    def _load_state(self) -> dict[str, Any]:
        """Ports and secrets, generated on the first start and kept (0600) so restarts reuse them."""
        if self._state_path.exists():
            try:
                state: dict[str, Any] = json.loads(self._state_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise TargetError(
                    f"{self._state_path}: unreadable ({exc}); run `harness down netbox` and delete {self.instance_dir}"
                ) from exc
            return state
        state = {
            "pg_port": free_port(),
            "redis_port": free_port(),
            "pg_password": new_secret(40, _ALNUM),
            "db_password": new_secret(40, _ALNUM),
            "secret_key": new_secret(64),
            "pepper": new_secret(64),
            "token_key": new_secret(12, _ALNUM),
            "token_secret": new_secret(40, _ALNUM),
            "db_version": None,
        }
        self._save_state(state)
        return state

    def _save_state(self, state: dict[str, Any]) -> None:
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._state_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=1)

    @property
    def token(self) -> str:
        state = self._state or self._load_state()
        return f"nbt_{state['token_key']}.{state['token_secret']}"

    def _postgres(self) -> PostgresCluster:
        return PostgresCluster(self.pg_data, self._state["pg_port"], self._state["pg_password"], self.log)

    def _redis(self) -> RedisServer:
        return RedisServer(self._state["redis_port"], self._run, self.log)

    # -- Target ------------------------------------------------------------------------------

    def start(self) -> Endpoint:
        """Install, configure and start whatever is not running yet; wait until the API answers."""
        self._state = self._load_state()
        if running_pid(self.gunicorn_pidfile) is not None:
            # Before install.ensure(), a never-installed plugin set cannot be the one running.
            wanted = self.db_key if self.install.installed() else f"{self.version} with plugins not yet installed"
            if self._state.get("db_version") != wanted:
                raise TargetError(
                    f"NetBox {self._state.get('db_version')} already runs on port {self.port}; "
                    f"run `harness down netbox --port {self.port}` before starting {wanted}"
                )
            if self.healthy():
                _progress(f"already running at {self.url}")
                return self.endpoint()
        else:
            ensure_port_free("127.0.0.1", self.port, "NetBox")
        self._provision()
        if running_pid(self.gunicorn_pidfile) is None:
            self._start_gunicorn()
        wait_for(self._healthy_or_dead, self._start_timeout_s, f"NetBox /api/status/ at {self.url}", interval_s=0.25)
        _progress(f"ready at {self.url}")
        return self.endpoint()

    def prepare(self) -> Path:
        """Install NetBox (with its plugins) and make the migrated dump a start restores, without
        serving it: this instance's PostgreSQL and Redis run only while the dump is made. A later
        start of any instance of the same version and plugins then costs a restore, not the
        migrations (CI warms the cache beside its offline tier). Returns the dump's path."""
        self._state = self._load_state()
        self._redis().binary()
        with _exclusive(self._lock, "installing NetBox"):
            self.install.ensure()
        if self.dump_path.exists():
            _progress(f"the migrated database is cached in {self.dump_path}")
            return self.dump_path
        try:
            self._provision()
        finally:
            self.stop()
        return self.dump_path

    def _provision(self) -> None:
        """Installed, configured, Redis and PostgreSQL running and the database in place (restored
        from the dump, or migrated and dumped): everything of a start but gunicorn."""
        # Fail on missing system binaries before spending a minute on pip.
        postgres, redis = self._postgres(), self._redis()
        redis.binary()
        with _exclusive(self._lock, "installing NetBox"):
            self.install.ensure()
        write_configuration(self.install.netbox_root, self._config())
        redis.start()
        postgres.initialise()
        postgres.start()
        self._ensure_database(postgres)

    def endpoint(self) -> Endpoint:
        """The URL and API token (the token is kept out of repr)."""
        extra = {"version": self.version}
        if self.install.sources:
            extra["plugins"] = " ".join(f"{p.module}=={p.version}" for p in self.install.plugins())
        return Endpoint(url=self.url, secret=self.token, extra=extra)

    def stop(self) -> None:
        """Stop gunicorn, Redis and PostgreSQL by their PID files; keep data, dumps and the venv."""
        if not self._state_path.exists():
            return
        self._state = self._load_state()
        if terminate(self.gunicorn_pidfile, "gunicorn"):
            _progress("stopped gunicorn")
        if self._proc is not None:
            self._proc.wait(timeout=10)  # reap our own child so its PID does not linger as a zombie
            self._proc = None
        if self._redis().stop():
            _progress("stopped redis")
        if self.pg_data.exists() and self._postgres().stop():
            _progress("stopped postgresql")

    def reset(self) -> None:
        """Swap in a fresh copy of the just-created database and empty the cache; the token stays valid."""
        self._state = self._load_state()
        postgres = self._postgres()
        if postgres.pid() is None:
            raise TargetError(f"cannot reset NetBox on port {self.port}: it is not running (harness up netbox)")
        postgres.sql(
            f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE);\n"
            f"CREATE DATABASE {DB_NAME} TEMPLATE {DB_TEMPLATE} OWNER {DB_USER};"
        )
        self._redis().flushall()

    def healthy(self) -> bool:
        """Whether /api/status/ answers 200 to the token."""
        if not self._state_path.exists():
            return False
        try:
            response = httpx.get(
                f"{self.url}/api/status/", headers={"Authorization": f"Bearer {self.token}"}, timeout=5.0
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def pids(self) -> dict[str, int | None]:
        """The running PIDs of gunicorn, Redis and PostgreSQL (None for a stopped one)."""
        self._state = self._state or self._load_state()
        return {
            "gunicorn": running_pid(self.gunicorn_pidfile),
            "redis": self._redis().pid(),
            "postgres": self._postgres().pid() if self.pg_data.exists() else None,
        }

    # -- steps ---------------------------------------------------------------------------------

    def _config(self) -> NetBoxConfig:
        return NetBoxConfig(
            http_port=self.port,
            db_port=self._state["pg_port"],
            db_name=DB_NAME,
            db_user=DB_USER,
            redis_port=self._state["redis_port"],
            db_password=self._state["db_password"],
            secret_key=self._state["secret_key"],
            peppers={1: self._state["pepper"]},
            plugins=tuple(plugin.module for plugin in self.install.plugins()),
            conn_max_age=self.conn_max_age,
        )

    def _ensure_database(self, postgres: PostgresCluster) -> None:
        """Make sure ``netbox`` and its template exist for this version and plugin set; migrate only
        without a dump."""
        databases = set(postgres.query("SELECT datname FROM pg_database").split())
        if self._state.get("db_version") == self.db_key and DB_TEMPLATE in databases:
            if DB_NAME not in databases:
                postgres.sql(f"CREATE DATABASE {DB_NAME} TEMPLATE {DB_TEMPLATE} OWNER {DB_USER};")
            return
        postgres.sql(
            f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE);\n"
            f"DROP DATABASE IF EXISTS {DB_TEMPLATE};\n"
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DB_USER}') "
            f"THEN CREATE ROLE {DB_USER} LOGIN; END IF; END $$;\n"
            f"ALTER ROLE {DB_USER} PASSWORD '{self._state['db_password']}';\n"
            f"CREATE DATABASE {DB_NAME} OWNER {DB_USER};"
        )
        with _exclusive(self._dump_lock(self.db_key), "migrating NetBox"):
            if self.dump_path.exists():
                _progress(f"restoring the migrated database from {self.dump_path}")
                postgres.restore(DB_NAME, self.dump_path, owner=DB_USER)
            else:
                self._restore_plain(postgres)
                self.install.migrate()
                postgres.dump(DB_NAME, self.dump_path)
                _progress(f"cached the migrated database in {self.dump_path}")
        self.install.create_admin_token(self._state["token_key"], self._state["token_secret"])
        postgres.sql(f"CREATE DATABASE {DB_TEMPLATE} TEMPLATE {DB_NAME} OWNER {DB_USER};")
        self._state["db_version"] = self.db_key
        self._save_state(self._state)

    def _restore_plain(self, postgres: PostgresCluster) -> None:
        """With plugins, start from the plain NetBox's migrated dump when there is one (waiting for a
        harness process that is making it): the migrations then left are the plugins' own, seconds
        instead of minutes. Installing a plugin into a migrated NetBox is how NetBox's own
        documentation adds one."""
        plain = dump_key(self.version, ())
        if plain == self.db_key:
            return
        with _exclusive(self._dump_lock(plain), "migrating the plain NetBox"):
            path = self._dumps / f"netbox-{plain}.dump"
            if path.exists():
                _progress(f"restoring the plain NetBox's migrated database from {path}; migrating the plugins")
                postgres.restore(DB_NAME, path, owner=DB_USER)

    def _start_gunicorn(self) -> None:
        self._run.mkdir(parents=True, exist_ok=True)
        self._proc = self.install.gunicorn(self.port, self.gunicorn_pidfile, self.log.parent / "access.log")

    def _healthy_or_dead(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            raise TargetError(
                f"gunicorn exited with {self._proc.returncode} before NetBox answered; "
                f"last lines of {self.log}:\n{tail(self.log)}"
            )
        return self.healthy()
