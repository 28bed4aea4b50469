"""``harness up TARGET`` / ``harness down TARGET``: start or stop a managed target (NetBox for now).

``up`` prints exactly one JSON object ``{"url": ..., "token_file": ...}`` on stdout (``up --prepare``,
which only installs NetBox and caches its migrated database, prints ``{"dump": ...}``): the API token
of a NetBox the harness manages is in that file (mode 0600), never printed; ``token_file`` is null
for an existing NetBox (its token is the user's). Progress goes to stderr. Errors exit 2 with a
message and no traceback. NetBox plugins come from ``--plugin``
(repeatable), else HARNESS_NETBOX_PLUGINS, else ``netbox-plugins`` in the project configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from harness.config import ConfigError, load_config
from harness.targets.base import Target, TargetError
from harness.targets.netbox import ManagedNetBox, netbox_from_env
from harness.targets.netbox.factory import plugins_from_env

EXIT_OK = 0
EXIT_ERROR = 2


def _netbox(args: argparse.Namespace) -> Target:
    url = getattr(args, "netbox_url", None)
    token = getattr(args, "netbox_token", None)
    return netbox_from_env(
        url=url, token=token, home=args.home, port=args.port, version=args.version, plugins=_plugins(args)
    )


def _plugins(args: argparse.Namespace) -> list[Path]:
    if args.plugin:
        return list(args.plugin)
    return plugins_from_env() or list(load_config(Path.cwd()).netbox_plugins)


def _up(args: argparse.Namespace) -> int:
    if args.prepare:
        return _prepare(args)
    try:
        target = _netbox(args)
        endpoint = target.start()
    except (TargetError, ConfigError) as exc:
        print(f"harness up netbox: {exc}", file=sys.stderr)
        return EXIT_ERROR
    token_file = None
    instance = getattr(target, "instance_dir", None)
    if endpoint.secret and isinstance(instance, Path):  # a NetBox we manage: its token, never printed
        token_file = instance / "token"
        token_file.touch(mode=0o600)
        token_file.chmod(0o600)
        token_file.write_text(endpoint.secret + "\n", encoding="utf-8")
    print(json.dumps({"url": endpoint.url, "token_file": str(token_file) if token_file else None}))
    return EXIT_OK


def _prepare(args: argparse.Namespace) -> int:
    """``up --prepare``: the managed NetBox installed and its migrated database cached, nothing left
    running; prints ``{"dump": path}``."""
    try:
        target = _netbox(args)
        if not isinstance(target, ManagedNetBox):
            print("harness up netbox --prepare: prepares a NetBox the harness manages; HARNESS_NETBOX_URL "
                  "(or --netbox-url) names an existing one, which needs no preparing", file=sys.stderr)  # fmt: skip
            return EXIT_ERROR
        dump = target.prepare()
    except (TargetError, ConfigError) as exc:
        print(f"harness up netbox: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps({"dump": str(dump)}))
    return EXIT_OK


def _down(args: argparse.Namespace) -> int:
    try:
        _netbox(args).stop()
    except (TargetError, ConfigError) as exc:
        print(f"harness down netbox: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", choices=["netbox"], help="which target")
    parser.add_argument("--version", default=None, metavar="X.Y.Z", help="NetBox version from PyPI (default 4.7.3)")
    parser.add_argument("--port", type=int, default=None, help="HTTP port on 127.0.0.1 (default 8765)")
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help="where venvs, dumps and instances live (default $HARNESS_HOME or ~/.cache/hh-harness)",
    )
    parser.add_argument(
        "--plugin",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="a NetBox plugin (wheel or source archive) to install and enable; repeatable "
        "(default: HARNESS_NETBOX_PLUGINS, or netbox-plugins in the project configuration)",
    )


def register(sub: Any) -> None:
    """Add the ``up`` and ``down`` subcommands."""
    up = sub.add_parser("up", help="install and start a managed target; print {url, token_file} as JSON")
    _common(up)
    up.add_argument("--netbox-url", metavar="URL", help="use this existing NetBox instead (env HARNESS_NETBOX_URL)")
    up.add_argument("--netbox-token", metavar="TOKEN", help="its API token (env HARNESS_NETBOX_TOKEN)")
    up.add_argument(
        "--prepare",
        action="store_true",
        help="only install NetBox and cache its migrated database (what a later start restores), start nothing; "
        'print {"dump": path}',
    )
    up.set_defaults(func=_up)

    down = sub.add_parser("down", help="stop what `harness up` started (by PID files); keep caches")
    _common(down)
    down.set_defaults(func=_down)
