"""Build hook: the wheel carries the spec language's meta-schemas and the default specs as package
data (``harness/_data/project``), copied from the source tree so the repository keeps one copy."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PROJECT_DIRS = ("contracts", "state_machines", "specs/errors", "specs/patterns", "specs/schema")


class BuildWithSpecs(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        target = Path(self.build_lib) / "harness" / "_data" / "project"
        for name in PROJECT_DIRS:
            source = HERE / name
            if not source.is_dir():
                raise SystemExit(f"build: {source} is missing; build from a complete source tree")
            shutil.copytree(source, target / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip


setup(cmdclass={"build_py": BuildWithSpecs})
