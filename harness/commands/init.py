"""``harness init [DIR]``: scaffold a harness project: the default specs (contracts, state machines,
error catalogs, patterns and the meta-schemas) to start from or fork, a ``harness.toml``, and an
adapter skeleton with every hook documented. Existing files are never overwritten."""

from __future__ import annotations

import argparse
import shutil
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_ERROR = 0, 2

CONFIG = """\
# hh-harness project configuration (see `harness run --help`)
[tool.harness]
# the implementation under test: an entry-point name in hh_harness.adapters, or module:attribute
adapter = {adapter}
# the spec directories (default: contracts, state_machines, specs/errors, specs/patterns)
specs = ["contracts", "state_machines", "specs/errors", "specs/patterns"]
# your own tests to run with the generated suites (paths)
tests = []
# a corpus recorded by `harness record` (<scenario>/<boundary>.yaml), replayed into the implementation
# cassettes = "cassettes"
{crds}
[tool.harness.gate]
min-transition-coverage = 100
"""


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="scaffold a project: default specs, harness.toml, an adapter skeleton")
    p.add_argument("directory", nargs="?", type=Path, default=Path("."), metavar="DIR")
    p.add_argument("--adapter", default=None, help="the adapter to configure (entry-point name or module:attribute)")
    p.add_argument("--crds", type=Path, default=None, metavar="DIR", help="where the Hedgehog CRDs are")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from harness.resources import PROJECT_DIRS, default_project  # noqa: PLC0415

    target: Path = args.directory
    if (target / "harness.toml").exists():
        print(f"harness init: {target / 'harness.toml'} exists; nothing changed", file=sys.stderr)
        return EXIT_ERROR
    try:
        source = default_project()
        target.mkdir(parents=True, exist_ok=True)
        copied = 0
        for name in PROJECT_DIRS:
            for path in sorted((source / name).rglob("*")):
                out = target / name / path.relative_to(source / name)
                if path.is_dir() or out.exists() or "__pycache__" in path.parts:
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, out)
                copied += 1
        adapter = f'"{args.adapter}"' if args.adapter else '"my_package.harness_adapter"'
        crds = f'crds = "{args.crds.resolve()}"\n' if args.crds else '# crds = "path/to/hedgehog-crds"\n'
        (target / "harness.toml").write_text(CONFIG.format(adapter=adapter, crds=crds), encoding="utf-8")
        skeleton = target / "harness_adapter.py"
        if not skeleton.exists():
            template = files("harness") / "templates" / "adapter_skeleton.py"
            skeleton.write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
    except OSError as exc:
        print(f"harness init: cannot write {target}: {exc.strerror} ({exc.filename})", file=sys.stderr)
        return EXIT_ERROR
    print(f"harness init: {copied} spec files, harness.toml and harness_adapter.py in {target}", file=sys.stderr)
    return EXIT_OK
