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

# Each module registers its subcommands and sets ``func`` on its parsers.
COMMAND_MODULES = (
    "harness.commands.validate",
    "harness.commands.serve",
    "harness.commands.kube",
    "harness.commands.updown",
    "harness.commands.gate",
    "harness.commands.run",
    "harness.commands.record",
    "harness.commands.init",
)


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its message on one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="harness", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_ERROR
    return code


if __name__ == "__main__":
    sys.exit(main())
