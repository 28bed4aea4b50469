"""Fixtures of the reference's own unit tests: where the specs it reads at run time are (the
repository root) and the real Hedgehog CRDs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def crds_dir() -> Path:
    """The real Hedgehog CRDs (../shared/hedgehog-crds, or $HARNESS_CRDS_DIR). Missing is an error, not a skip."""
    path = Path(os.environ.get("HARNESS_CRDS_DIR", ROOT.parent / "shared" / "hedgehog-crds"))
    if not path.is_dir():
        pytest.fail(f"the Hedgehog CRDs are expected at {path}; set HARNESS_CRDS_DIR to their directory")
    return path
