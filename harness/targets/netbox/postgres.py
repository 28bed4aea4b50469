"""A private PostgreSQL cluster for the managed NetBox: initdb/pg_ctl as the postgres user, TCP on loopback.

PostgreSQL refuses to run as root, so the server runs as the ``postgres`` user and its data
directory must be owned by it and reachable through every parent directory. The harness home
(``~/.cache/hh-harness``) usually sits under a 0700 home directory, so the cluster lives under
``/var/lib/hh-harness/`` instead; everything else stays in the harness home. Client commands
(psql, pg_dump, pg_restore) connect over TCP as the cluster superuser with a generated password,
so they need no user switch.
"""

from __future__ import annotations

import os
import pwd
import shutil
from pathlib import Path

from harness.targets.base import TargetError, ensure_port_free
from harness.targets.netbox.processes import run_logged, running_pid

PG_USER = "postgres"
CLUSTER_BASE = Path("/var/lib/hh-harness")
_SYSTEM_DEPS_HINT = "run scripts/system-deps.sh (as root) to install PostgreSQL"


def find_bindir() -> Path:
    """Debian's newest PostgreSQL server bindir, or the directory of ``initdb`` on PATH."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl") and shutil.which("pg_restore"):
        return Path(found).parent
    raise TargetError(f"PostgreSQL server binaries (initdb, pg_ctl) not found; {_SYSTEM_DEPS_HINT}")


class PostgresCluster:
    """One cluster: its data directory, port, superuser password and command log."""

    def __init__(self, data_dir: Path, port: int, superuser_password: str, log: Path) -> None:
        self.data_dir = data_dir
        self.port = port
        self._password = superuser_password
        self.log = log
        self.bindir = find_bindir()
        try:
            self._pg_user = pwd.getpwnam(PG_USER)
        except KeyError as exc:
            raise TargetError(f"no '{PG_USER}' system user; {_SYSTEM_DEPS_HINT}") from exc

    @property
    def pidfile(self) -> Path:
        return self.data_dir / "postmaster.pid"

    @property
    def server_log(self) -> Path:
        return self.data_dir.parent / "postgresql.log"

    def pid(self) -> int | None:
        """The postmaster's PID if the cluster is running."""
        return running_pid(self.pidfile)

    def _bin(self, name: str) -> str:
        path = self.bindir / name
        if not path.exists():
            raise TargetError(f"{path} not found; {_SYSTEM_DEPS_HINT}")
        return str(path)

    def _chown(self, path: Path) -> None:
        os.chown(path, self._pg_user.pw_uid, self._pg_user.pw_gid)

    def initialise(self) -> None:
        """initdb once; configure loopback-only TCP on ``port`` and no Unix socket."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        parent = self.data_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        # Each component must be traversable by postgres; the cluster dir itself is private.
        for component in (CLUSTER_BASE, parent):
            component.chmod(0o711)
        self._chown(parent)
        pwfile = parent / "initdb.pw"
        pwfile.write_text(self._password + "\n", encoding="utf-8")
        pwfile.chmod(0o600)
        self._chown(pwfile)
        try:
            run_logged(
                [
                    self._bin("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    PG_USER,
                    f"--pwfile={pwfile}",
                    "--auth-local=peer",
                    "--auth-host=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
                self.log,
                "initdb",
                user=PG_USER,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        settings = [
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            "unix_socket_directories = ''",
            # A disposable test database: durability buys nothing and costs minutes during migrate.
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
        ]
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# hh-harness\n" + "\n".join(settings) + "\n")

    def start(self) -> None:
        """Start the server unless it runs already; wait until it accepts connections."""
        if self.pid() is not None:
            return
        ensure_port_free("127.0.0.1", self.port, "PostgreSQL for the managed NetBox")
        run_logged(
            [self._bin("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.server_log), "-w", "-t", "60", "start"],
            self.log,
            f"pg_ctl start (server log {self.server_log})",
            user=PG_USER,
        )

    def stop(self) -> bool:
        """Stop the server via its PID file (pg_ctl reads postmaster.pid). True if it was running."""
        if self.pid() is None:
            return False
        run_logged(
            [self._bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
            self.log,
            "pg_ctl stop",
            user=PG_USER,
        )
        return True

    def _client_env(self) -> dict[str, str]:
        # The password travels in the environment, never on a command line other users can read.
        return {
            **os.environ,
            "PGPASSWORD": self._password,
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": PG_USER,
        }

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run SQL as the superuser; stop at the first error.

        The SQL goes in on stdin, so passwords in it reach neither the log nor the process list.
        """
        run_logged(
            [self._bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database],
            self.log,
            "psql",
            env=self._client_env(),
            stdin=statement.encode("utf-8"),
        )

    def query(self, statement: str, database: str = "postgres") -> str:
        """The unaligned, tuples-only result of ``statement``."""
        out = self.log.with_suffix(".query")
        try:
            run_logged(
                [self._bin("psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", statement],
                self.log,
                "psql",
                env=self._client_env(),
                stdout=out,
            )
            return out.read_text(encoding="utf-8").strip()
        finally:
            out.unlink(missing_ok=True)

    def dump(self, database: str, target: Path) -> None:
        """pg_dump ``database`` in custom format to ``target`` (written aside, then renamed)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        run_logged(
            [self._bin("pg_dump"), "-Fc", "--no-owner", "-d", database],
            self.log,
            "pg_dump",
            env=self._client_env(),
            stdout=partial,
        )
        partial.replace(target)

    def restore(self, database: str, source: Path, owner: str) -> None:
        """pg_restore ``source`` into the empty ``database``, objects owned by ``owner``."""
        run_logged(
            [self._bin("pg_restore"), "--no-owner", f"--role={owner}", "--exit-on-error", "-d", database, str(source)],
            self.log,
            "pg_restore",
            env=self._client_env(),
        )
