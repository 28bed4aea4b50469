"""The CLI imports only the chosen command's module, and its static command table says exactly
what the modules register (the help lines ``harness --help`` shows come from the table)."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def _registered(module: str) -> list[tuple[str, str]]:
    sub = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(module).register(sub)
    return [(action.dest, str(action.help)) for action in sub._choices_actions]


def test_the_command_table_says_what_each_module_registers() -> None:
    registered = [pair for module in dict.fromkeys(m for m, _ in COMMANDS.values()) for pair in _registered(module)]
    assert registered == [(name, help_line) for name, (_, help_line) in COMMANDS.items()]


def test_help_lists_every_command_as_with_every_module_loaded() -> None:
    assert build_parser("").format_help() == build_parser().format_help()


def test_validate_imports_no_other_command_module() -> None:
    code = (
        "import sys; from harness.cli import main; main(['validate', 'tests/data/broken/yaml_syntax']); "
        "print('loaded:', *sorted(m for m in sys.modules if m.startswith('harness.commands.')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.stdout.splitlines()[-1] == "loaded: harness.commands.validate", proc.stderr


def test_an_unknown_command_is_a_usage_error_naming_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["nosuch"])
    assert exited.value.code == 2
    assert "{" + ",".join(COMMANDS) + "}" in capsys.readouterr().err
