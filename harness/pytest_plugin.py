"""The harness's pytest plugin (entry point ``pytest11: harness``): options, markers, the coverage
recorder fixture, where live failures are saved, deterministic sharding, and the report at the
end of the session.

Kept thin on purpose: the generated tests are ordinary pytest/Hypothesis tests; this plugin only
configures them and collects what they record.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.report.build import build_report, project_universe, write_reports
from harness.report.events import Recorder, load_events
from harness.spec.project import find_root

MARKERS = {
    "property": "generated property test (Hypothesis, from contract and mapping schemas)",
    "stateful": "generated model-based test (from a state machine spec)",
    "contract": "checks exchanges against boundary contracts (proxy, Pact, Schemathesis)",
    "replay": "replays recorded cassettes offline",
    "fault": "executes an error-catalog injection recipe and checks the outcome",
    "live": "needs a live target (the managed NetBox)",
}
EVENTS_ENV = "HARNESS_EVENTS_DIR"
REGRESSIONS_ENV = "HARNESS_REGRESSIONS_DIR"
_SHARD = re.compile(r"^(\d+)/(\d+)$")
_EVENTS = pytest.StashKey[Path | None]()
_STARTED = pytest.StashKey[float]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "hh-harness generated suites")
    group.addoption("--harness-target", choices=("embedded", "live", "offline"), default="embedded",
                    help="which targets the suites use (default: embedded)")  # fmt: skip
    group.addoption("--harness-seed", type=int, default=None, help="seed for Hypothesis (reproducible runs)")
    group.addoption("--harness-max-examples", type=int, default=None, help="Hypothesis max_examples per test")
    group.addoption("--harness-record", action="store_true", help="record cassettes of live exchanges")
    group.addoption("--harness-shard", default=None, metavar="I/N",
                    help="run only shard I of N (1-based), split deterministically by test id")  # fmt: skip
    group.addoption("--harness-events", type=Path, default=None, metavar="DIR",
                    help="where coverage events go (default: $HARNESS_EVENTS_DIR or a temp directory)")  # fmt: skip
    group.addoption("--harness-report", type=Path, default=None, metavar="DIR",
                    help="write report.json, junit.xml and report.html to DIR at the end")  # fmt: skip
    group.addoption("--harness-regressions", type=Path, default=None, metavar="DIR",
                    help="where failures found live are saved as replayable scenarios (default: "
                         "$HARNESS_REGRESSIONS_DIR or reports/regressions); move one to "
                         "tests/regressions/ to replay it in every run")  # fmt: skip


def _shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    match = _SHARD.match(value)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise pytest.UsageError(f"--harness-shard must be I/N with 1 <= I <= N, got {value!r}")
    return int(match.group(1)), int(match.group(2))


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    _shard(config.getoption("--harness-shard"))
    events = config.getoption("--harness-events") or (
        Path(os.environ[EVENTS_ENV]) if EVENTS_ENV in os.environ else None
    )
    if events is None and config.getoption("--harness-report") is not None:
        events = Path(tempfile.mkdtemp(prefix="hh-events-"))
    if events is not None:
        events.mkdir(parents=True, exist_ok=True)
        os.environ[EVENTS_ENV] = str(events)  # xdist workers and subprocesses inherit it
    config.stash[_EVENTS] = events
    config.stash[_STARTED] = time.monotonic()
    seed = config.getoption("--harness-seed")
    if seed is not None and hasattr(config.option, "hypothesis_seed"):
        config.option.hypothesis_seed = seed
    max_examples = config.getoption("--harness-max-examples")
    if max_examples is not None:
        from hypothesis import settings  # noqa: PLC0415 - only when asked for

        settings.register_profile("harness", settings(settings.get_profile("default"), max_examples=max_examples))
        settings.load_profile("harness")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shard = _shard(config.getoption("--harness-shard"))
    if shard is None:
        return
    index, total = shard
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        bucket = int(hashlib.sha256(item.nodeid.encode()).hexdigest(), 16) % total
        (keep if bucket == index - 1 else drop).append(item)
    items[:] = keep
    config.hook.pytest_deselected(items=drop)


@pytest.fixture(scope="session")
def harness_recorder(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    """Where generated tests record the spec elements they exercised, with their verdicts."""
    workerinput = getattr(request.config, "workerinput", None)
    worker = workerinput["workerid"] if workerinput else "main"
    recorder = Recorder(request.config.stash[_EVENTS], worker=worker)
    yield recorder
    recorder.close()


@pytest.fixture(scope="session")
def harness_regressions(request: pytest.FixtureRequest) -> Path:
    """The directory live generators save their shrunk failures in (see harness.replay.corpus)."""
    given = request.config.getoption("--harness-regressions") or os.environ.get(REGRESSIONS_ENV)
    return Path(given) if given else Path(request.config.rootpath) / "reports" / "regressions"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    out = session.config.getoption("--harness-report")
    events = session.config.stash.get(_EVENTS, None)
    if out is None or events is None or hasattr(session.config, "workerinput"):
        return  # only the controller writes the report, from every worker's events
    universe, warnings = project_universe(find_root())
    report = build_report(
        universe, load_events(events), seed=session.config.getoption("--harness-seed"),
        duration_s=time.monotonic() - session.config.stash[_STARTED], warnings=warnings,
    )  # fmt: skip
    write_reports(report, out)
