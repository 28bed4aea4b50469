"""NetBox from the PyPI wheel in its own virtualenv, and the ``netbox`` management commands it provides.

NetBox pins its own dependencies (Django, psycopg[c], ...), so it never shares the harness's
environment: one virtualenv per NetBox version under the harness home, reused once installed.
With plugins, one virtualenv per NetBox version and plugin set (``venv-<version>-<set digest>``),
so installing a plugin never changes the plain NetBox another suite may be using.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from harness.targets.base import TargetError
from harness.targets.netbox.plugins import (
    PLUGIN_MODULES,
    InstalledPlugin,
    PluginSource,
    installed_names,
    parse_modules,
    set_digest,
)
from harness.targets.netbox.processes import run_logged, tail

ADMIN_USERNAME = "admin"
TOKEN_DESCRIPTION = "hh-harness"

# Runs inside `netbox shell`; the token arrives in the environment so it is on no command line.
_ADMIN_AND_TOKEN = f"""
import os
from users.models import Token, User
user = User.objects.filter(username={ADMIN_USERNAME!r}).first() or User(username={ADMIN_USERNAME!r})
user.is_superuser = True
user.is_active = True
user.set_unusable_password()
user.save()
Token.objects.filter(user=user, description={TOKEN_DESCRIPTION!r}).delete()
Token(user=user, description={TOKEN_DESCRIPTION!r}, version=2, write_enabled=True,
      key=os.environ["HH_TOKEN_KEY"], token=os.environ["HH_TOKEN_SECRET"]).save()
"""


class NetBoxInstall:
    """One NetBox version's virtualenv and the environment its commands need."""

    def __init__(
        self, netbox_home: Path, version: str, netbox_root: Path, log: Path, plugins: Sequence[PluginSource] = ()
    ) -> None:
        self.version = version
        self.sources = tuple(plugins)
        suffix = f"-{set_digest(self.sources)}" if self.sources else ""
        self.venv = netbox_home / f"venv-{version}{suffix}"
        self.netbox_root = netbox_root
        self.log = log
        self._marker = self.venv / ".hh-installed"
        # what the plugins turned out to be (distribution, version, module), written after installing
        self._plugins_file = self.venv / ".hh-plugins.json"

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def installed(self) -> bool:
        """Whether a previous install of this version finished."""
        return self._marker.exists() and (self.bin / "netbox").exists()

    def ensure(self) -> None:
        """Create the virtualenv and pip-install ``netbox==version`` unless done before."""
        if self.installed():
            return
        print(f"installing netbox=={self.version} into {self.venv} (about a minute; log {self.log})", file=sys.stderr)
        run_logged([sys.executable, "-m", "venv", "--clear", str(self.venv)], self.log, "creating the venv")
        try:
            run_logged(
                [str(self.bin / "pip"), "install", "--disable-pip-version-check", "-q", f"netbox=={self.version}"],
                self.log,
                f"pip install netbox=={self.version}",
            )
        except TargetError as exc:
            raise TargetError(
                f"{exc}\nNetBox builds psycopg[c] against libpq: if gcc, libpq-dev or python headers are "
                f"missing, run scripts/system-deps.sh"
            ) from exc
        for source in self.sources:
            self._install_plugin(source)
        self._plugins_file.write_text(
            json.dumps([vars(plugin) for plugin in self._read_plugins()], indent=1), encoding="utf-8"
        )
        self._marker.touch()

    def _install_plugin(self, source: PluginSource) -> None:
        # NetBox is named again so the resolver keeps its pinned version instead of what the plugin allows.
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.json"
            run_logged(
                [
                    str(self.bin / "pip"),
                    "install",
                    "--disable-pip-version-check",
                    "-q",
                    "--report",
                    str(report),
                    f"netbox=={self.version}",
                    str(source.path),
                ],
                self.log,
                f"pip install {source.path.name}",
            )
            names = installed_names(report, source.path)
        if len(names) != 1:
            raise TargetError(f"NetBox plugin {source.path}: pip reported {names or 'nothing'} installed from it")
        (self.venv / f".hh-plugin-{source.sha256[:12]}").write_text(names[0], encoding="utf-8")

    def _read_plugins(self) -> list[InstalledPlugin]:
        plugins = []
        for source in self.sources:
            name = (self.venv / f".hh-plugin-{source.sha256[:12]}").read_text(encoding="utf-8").strip()
            done = subprocess.run(
                [str(self.bin / "python"), "-c", PLUGIN_MODULES, name],
                capture_output=True,
                text=True,
                env=self.env(),
                check=False,
            )
            if done.returncode != 0:
                raise TargetError(f"NetBox plugin {source.path}: inspecting {name} failed: {done.stderr.strip()}")
            plugins.append(parse_modules(done.stdout, source))
        return plugins

    def plugins(self) -> list[InstalledPlugin]:
        """The installed plugins, in the order given (empty for a plain NetBox)."""
        if not self.sources:
            return []
        data = json.loads(self._plugins_file.read_text(encoding="utf-8"))
        return [InstalledPlugin(**item) for item in data]

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for NetBox commands and gunicorn: instance root and settings module."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update(
            NETBOX_ROOT=str(self.netbox_root),
            DJANGO_SETTINGS_MODULE="netbox.settings",
            VIRTUAL_ENV=str(self.venv),
            PATH=f"{self.bin}:{env.get('PATH', '/usr/bin:/bin')}",
        )
        env.update(extra)
        return env

    def manage(self, *args: str, what: str | None = None) -> None:
        """Run ``netbox ARGS`` (Django management) with output in the log."""
        run_logged([str(self.bin / "netbox"), *args], self.log, what or f"netbox {' '.join(args)}", env=self.env())

    def migrate(self) -> None:
        """Apply every migration (minutes of CPU: the caller caches a dump afterwards)."""
        print(f"running netbox migrate (about 4 minutes; log {self.log})", file=sys.stderr)
        try:
            self.manage("migrate", "--no-input", what="netbox migrate")
        except TargetError as exc:
            raise TargetError(f"NetBox migrations failed; last lines of {self.log}:\n{tail(self.log)}") from exc

    def create_admin_token(self, key: str, secret: str) -> None:
        """Create (or refresh) the superuser ``admin`` and its v2 API token ``nbt_<key>.<secret>``."""
        run_logged(
            [str(self.bin / "netbox"), "shell", "--no-startup", "--command", _ADMIN_AND_TOKEN],
            self.log,
            "creating the admin user and API token",
            env=self.env(HH_TOKEN_KEY=key, HH_TOKEN_SECRET=secret),
        )

    def gunicorn(self, port: int, pidfile: Path, access_log: Path) -> subprocess.Popen[bytes]:
        """Start gunicorn serving NetBox on 127.0.0.1:``port`` in its own session; it writes ``pidfile``."""
        with self.log.open("ab") as log_fh:
            return subprocess.Popen(
                [
                    str(self.bin / "gunicorn"),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                    "--timeout",
                    "120",
                    "--pid",
                    str(pidfile),
                    "--no-control-socket",
                    "--access-logfile",
                    str(access_log),
                    "--chdir",
                    str(self.netbox_root),
                    "netbox.wsgi",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log_fh,
                stderr=log_fh,
                env=self.env(),
                start_new_session=True,
            )
