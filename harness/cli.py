"""The ``harness`` command line.

Exit codes (the CLI's contract): 0 success, 1 the checked thing is invalid or
non-conformant, 2 usage, I/O, harness or target error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_ERROR = 2

# Subcommand -> (module that registers it and sets ``func``, its help line), in help order. Only the
# chosen command's module is imported: each pulls in what it runs (httpx, jsonschema, kubernetes,
# the targets), and a start-up that imports them all costs ~30 times an empty interpreter's.
# tests/test_perf_cli.py checks that this table says what the modules register.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("harness.commands.validate", "validate specs against their meta-schemas and each other"),
    "serve": ("harness.commands.serve", "run a local stand-in (Kubernetes API, GitHub twin) until interrupted"),
    "kube": ("harness.commands.kube", "Kubernetes manifests and CRDs"),
    "up": ("harness.commands.updown", "install and start a managed target; print {url, token_file} as JSON"),
    "down": ("harness.commands.updown", "stop what `harness up` started (by PID files); keep caches"),
    "gate": ("harness.commands.gate", "fail when a report's coverage is below thresholds or anything failed"),
    "run": ("harness.commands.run", "the main job: validate specs, run every generated suite, write the report"),
    "record": ("harness.commands.record", "record the replay scenarios against live targets as VCR cassettes"),
    "init": ("harness.commands.init", "scaffold a project: default specs, harness.toml, an adapter skeleton"),
}


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its message on one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names: the top-level parser has no option but -h, so the first word
    that is not an option."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser. The module of ``command`` registers its subcommands in full; every other
    subcommand is a placeholder with its help line, enough for ``harness --help`` and usage errors.
    Without ``command`` every module registers its own."""
    parser = _Parser(prog="harness", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    chosen = COMMANDS[command][0] if command in COMMANDS else None
    registered: set[str] = set()
    for name, (module, help_line) in COMMANDS.items():
        if command is not None and module != chosen:
            sub.add_parser(name, help=help_line)
        elif module not in registered:
            importlib.import_module(module).register(sub)
            registered.add(module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(_chosen(argv) or "")
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_ERROR
    return code


if __name__ == "__main__":
    sys.exit(main())
