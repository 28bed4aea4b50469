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
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.report.build import build_report, project_universe, write_reports
from harness.report.events import Recorder, load_events
from harness.spec.loader import load_specs
from harness.spec.project import default_spec_paths, find_root, schema_dir, shared_crds_dir

MARKERS = {
    "property": "generated property test (Hypothesis, from contract and mapping schemas)",
    "stateful": "generated model-based test (from a state machine spec)",
    "contract": "checks exchanges against boundary contracts (proxy, Pact, Schemathesis)",
    "replay": "replays recorded cassettes offline",
    "fault": "executes an error-catalog injection recipe and checks the outcome",
    "live": "needs a live target (the managed NetBox)",
}
EVENTS_ENV = "HARNESS_EVENTS_DIR"
NOT_APPLICABLE = "not applicable:"  # how a suite says the adapter lacks a hook it needs
REGRESSIONS_ENV = "HARNESS_REGRESSIONS_DIR"
_SHARD = re.compile(r"^(\d+)/(\d+)$")
_EVENTS = pytest.StashKey[Path | None]()
_STARTED = pytest.StashKey[float]()
_NO_SHRINK_BEFORE = pytest.StashKey[str | None]()  # HARNESS_NO_SHRINK before --harness-no-shrink set it


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "hh-harness generated suites")
    group.addoption("--harness-adapter", default=None, metavar="NAME",
                    help="the implementation's adapter: an entry-point name in hh_harness.adapters or "
                         "module:attribute (default: [tool.harness] adapter, or the one installed)")  # fmt: skip
    group.addoption("--harness-seed", type=int, default=None, help="seed for Hypothesis (reproducible runs)")
    group.addoption("--harness-max-examples", type=int, default=None, help="Hypothesis max_examples per test")
    group.addoption("--harness-no-shrink", action="store_true", default=False,
                    help="report a failing example as found, without shrinking it (a faster verdict)")  # fmt: skip
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


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A spec file of the project becomes the generated items for the elements it declares."""
    if file_path.suffix not in (".yaml", ".yml") or not _is_spec(parent.config, file_path):
        return None
    from harness.suites import SpecFile  # noqa: PLC0415 - the suites' imports only when collecting them

    _load_specs(parent.config)
    return SpecFile.from_parent(parent, path=file_path)


def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A spec directory with items of its own: the mappings directory (the properties of a whole
    rendered fabric), a directory of NetBox or GitHub contracts (their pact)."""
    spec_dirs = _spec_dirs(parent.config)
    if path.resolve() == _cassettes(parent.config):
        from harness.suites import CassetteCorpus  # noqa: PLC0415

        return CassetteCorpus.from_parent(parent, path=path)
    if not any(_under(path, d) for d in spec_dirs):
        return None
    from harness.suites import SPECS_KEY, SpecDir, items  # noqa: PLC0415

    _load_specs(parent.config)
    if not items.directory_items(path, parent.config.stash[SPECS_KEY]):
        return None
    return SpecDir.from_parent(parent, path=path)


def _under(path: Path, directory: Path) -> bool:
    return path.resolve().is_relative_to(directory)


_SPEC_DIRS = pytest.StashKey[list[Path]]()


def _spec_dirs(config: pytest.Config) -> list[Path]:
    if _SPEC_DIRS not in config.stash:
        from harness.suites import ROOT_KEY  # noqa: PLC0415

        root = find_root(config.rootpath)
        config.stash[ROOT_KEY] = root
        config.stash[_SPEC_DIRS] = [d.resolve() for d in default_spec_paths(root)]
    return config.stash[_SPEC_DIRS]


_CASSETTES = pytest.StashKey[Path | None]()


def _cassettes(config: pytest.Config) -> Path | None:
    """The project's recorded corpus ([tool.harness] cassettes), if it names one."""
    if _CASSETTES not in config.stash:
        from harness.config import ConfigError, load_config  # noqa: PLC0415

        try:
            config.stash[_CASSETTES] = load_config(_project_root(config)).cassettes
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from exc
    return config.stash[_CASSETTES]


def _is_spec(config: pytest.Config, path: Path) -> bool:
    return any(_under(path, d) for d in _spec_dirs(config))


def _load_specs(config: pytest.Config) -> None:
    """Load and validate the project's specs once per process (each xdist worker loads its own)."""
    from harness.suites import ROOT_KEY, SPECS_KEY  # noqa: PLC0415

    if SPECS_KEY in config.stash:
        return
    root = config.stash[ROOT_KEY]
    result = load_specs(default_spec_paths(root), schema_dir(root), root)
    errors = [d for d in result.diagnostics if d.severity.name == "ERROR"]
    if errors:
        raise pytest.UsageError(f"the project's specs are invalid ({errors[0].to_text()}); run `harness validate`")
    config.stash[SPECS_KEY] = result.specs


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
    if config.getoption("--harness-no-shrink"):
        from harness.generate.property import NO_SHRINK_ENV  # noqa: PLC0415

        config.stash[_NO_SHRINK_BEFORE] = os.environ.get(NO_SHRINK_ENV)
        os.environ[NO_SHRINK_ENV] = "1"  # xdist workers and subprocesses inherit it; undone at the end
    max_examples = config.getoption("--harness-max-examples")
    if max_examples is not None:
        from hypothesis import settings  # noqa: PLC0415 - only when asked for

        settings.register_profile("harness", settings(settings.get_profile("default"), max_examples=max_examples))
        settings.load_profile("harness")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Put HARNESS_NO_SHRINK back as the session found it (a run in-process must not leave it set)."""
    if _NO_SHRINK_BEFORE in config.stash:
        from harness.generate.property import NO_SHRINK_ENV  # noqa: PLC0415

        before = config.stash[_NO_SHRINK_BEFORE]
        if before is None:
            os.environ.pop(NO_SHRINK_ENV, None)
        else:
            os.environ[NO_SHRINK_ENV] = before


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from harness.suites import SCHEDULE, WORLD_KIND  # noqa: PLC0415

    # the items of one live world kind run together: each world (a NetBox reset, a fabric, a first
    # sync) is built once per session, the kinds in SCHEDULE's order; the rest keeps its order
    if any(WORLD_KIND in item.stash for item in items):
        items.sort(key=lambda item: SCHEDULE.index(item.stash[WORLD_KIND]) + 1 if WORLD_KIND in item.stash else 0)
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


_RECORDER = pytest.StashKey[Recorder]()


def _recorder(config: pytest.Config) -> Recorder:
    """This process's recorder (one per xdist worker), made on first use."""
    if _RECORDER not in config.stash:
        workerinput = getattr(config, "workerinput", None)
        config.stash[_RECORDER] = Recorder(
            config.stash[_EVENTS], worker=workerinput["workerid"] if workerinput else "main"
        )
    return config.stash[_RECORDER]


@pytest.fixture(scope="session")
def harness_recorder(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    """Where generated tests record the spec elements they exercised, with their verdicts."""
    recorder = _recorder(request.config)
    yield recorder
    recorder.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """An item the adapter cannot serve (a hook it lacks) is a warning in the report, with the
    reason, not only a skip in pytest's output."""
    report = yield
    if report.skipped and NOT_APPLICABLE in str(report.longrepr):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _recorder(item.config).warn(f"{item.nodeid}: {reason.removeprefix('Skipped: ')}")
    return report


@pytest.fixture(scope="session")
def harness_regressions(request: pytest.FixtureRequest) -> Path:
    """The directory live generators save their shrunk failures in (see harness.replay.corpus)."""
    given = request.config.getoption("--harness-regressions") or os.environ.get(REGRESSIONS_ENV)
    return Path(given) if given else Path(request.config.rootpath) / "reports" / "regressions"


@pytest.fixture(scope="session")
def harness_root(request: pytest.FixtureRequest) -> Path:
    """The project root (its specs, its configuration)."""
    return _project_root(request.config)


def _project_root(config: pytest.Config) -> Path:
    from harness.suites import ROOT_KEY  # noqa: PLC0415

    _spec_dirs(config)
    return config.stash[ROOT_KEY]


@pytest.fixture(scope="session")
def harness_specs(request: pytest.FixtureRequest) -> Any:
    """The project's specs, loaded and validated once per process."""
    from harness.suites import SPECS_KEY  # noqa: PLC0415

    _project_root(request.config)
    _load_specs(request.config)
    return request.config.stash[SPECS_KEY]


@pytest.fixture(scope="session")
def harness_adapter(request: pytest.FixtureRequest, harness_root: Path) -> Any:
    """The implementation under test, through its adapter (see harness.adapter)."""
    from harness.adapter import AdapterError, load_adapter  # noqa: PLC0415
    from harness.config import ConfigError, load_config  # noqa: PLC0415

    try:
        name = request.config.getoption("--harness-adapter") or load_config(harness_root).adapter
        return load_adapter(name, harness_root)
    except (AdapterError, ConfigError) as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def harness_renderer(harness_adapter: Any, harness_root: Path) -> Any:
    """The adapter's pure renderer; an adapter without one makes the property items not applicable."""
    from harness.adapter import NotProvided  # noqa: PLC0415

    try:
        return harness_adapter.renderer(harness_root)
    except NotProvided as exc:
        pytest.skip(f"{NOT_APPLICABLE} {exc}")


@pytest.fixture(scope="session")
def harness_options(request: pytest.FixtureRequest) -> tuple[int | None, int | None]:
    """``--harness-max-examples`` and the seed (``--harness-seed`` or Hypothesis's ``--hypothesis-seed``)."""
    from harness.generate.property import harness_options as options  # noqa: PLC0415

    return options(request.config)


@pytest.fixture(scope="session")
def harness_crd_registry(harness_root: Path) -> Any:
    """The real Hedgehog CRDs, loaded once. Missing is an error naming the setting, not a skip."""
    from harness.targets.kube.server import load_registry  # noqa: PLC0415

    crds = shared_crds_dir(harness_root)
    if crds is None:
        pytest.fail("the Hedgehog CRDs were not found: set [tool.harness] crds or HARNESS_CRDS_DIR", pytrace=False)
    return load_registry([crds])


@pytest.fixture(scope="session")
def harness_property_context(harness_specs: Any, harness_crd_registry: Any, harness_root: Path) -> Any:
    from harness.generate.property import Context  # noqa: PLC0415

    return Context.build(harness_specs, harness_crd_registry, harness_root)


@pytest.fixture(scope="session")
def harness_crds_dir(harness_root: Path) -> Path:
    """The real Hedgehog CRDs' directory ([tool.harness] crds or HARNESS_CRDS_DIR); missing is an error."""
    crds = shared_crds_dir(harness_root)
    if crds is None:
        pytest.fail("the Hedgehog CRDs were not found: set [tool.harness] crds or HARNESS_CRDS_DIR", pytrace=False)
    return crds


WORKER_PORT_STRIDE = 100  # xdist worker gwN manages its NetBox on the base port + N * this


def worker_index(config: pytest.Config) -> int:
    """N of xdist worker ``gwN`` (0 in the controller and without xdist)."""
    workerinput = getattr(config, "workerinput", None)
    return int(str(workerinput["workerid"]).removeprefix("gw")) if workerinput else 0


def managed_netbox_port(config: pytest.Config) -> int:
    """The port of this process's managed NetBox: HARNESS_NETBOX_PORT (default 8765) + N * 100 in gwN."""
    from harness.targets.netbox.factory import ENV_PORT  # noqa: PLC0415
    from harness.targets.netbox.managed import DEFAULT_PORT  # noqa: PLC0415

    return int(os.environ.get(ENV_PORT, DEFAULT_PORT)) + WORKER_PORT_STRIDE * worker_index(config)


@pytest.fixture(scope="session")
def harness_netbox_target(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The NetBox target of the session: the managed real NetBox (warm from its dump cache after the
    first start), or an existing one given by HARNESS_NETBOX_URL and HARNESS_NETBOX_TOKEN. One this
    session started is stopped at its end; one that was already running is left running.

    Each xdist worker manages its own NetBox (worker gwN on the base port + N * 100): the live
    worlds of different kinds then run side by side, each resetting only its own NetBox."""
    from harness.targets.base import running_for_session  # noqa: PLC0415
    from harness.targets.netbox import netbox_from_env  # noqa: PLC0415

    with running_for_session(netbox_from_env(port=managed_netbox_port(request.config))) as target:
        yield target


@pytest.fixture(scope="session")
def harness_netbox(harness_netbox_target: Any) -> Any:
    """The NetBox endpoint: ``url`` and the API token in ``secret``."""
    return harness_netbox_target.start()


@pytest.fixture(scope="session")
def harness_netbox_schema(harness_specs: Any, harness_netbox: Any) -> Any:
    """NetBox's served OpenAPI document cut down to the operations of the NetBox contracts (Schemathesis)."""
    from harness.suites.contracts_live import restricted_schema  # noqa: PLC0415

    return restricted_schema(harness_specs, harness_netbox)


@pytest.fixture(scope="session")
def harness_worlds(  # noqa: PLR0917 - pytest passes fixtures positionally
    harness_adapter: Any, harness_specs: Any, harness_netbox_target: Any, harness_netbox: Any,
    harness_crds_dir: Path, harness_root: Path, harness_recorder: Any, tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:  # fmt: skip
    """The live worlds (harness.world.pool): one at a time, each built on first use."""
    from harness.generate.faults import machine_files  # noqa: PLC0415
    from harness.suites.live_faults import settle  # noqa: PLC0415
    from harness.world.history import reported_changes  # noqa: PLC0415
    from harness.world.pool import WorldPool, awaiting_merge, first_sync, never_synced, require  # noqa: PLC0415

    files = machine_files(harness_specs, harness_root)

    def baseline(kind: str, world: Any) -> None:
        """The world's first sync (and what it settles into); every change the implementation
        reports making meanwhile is checked and recorded like a world step's."""
        problems: list[str] = []
        with reported_changes(world, harness_specs, harness_recorder, files, label=f"the {kind} world's baseline",
                              problems=problems):  # fmt: skip
            if kind == "model":  # the world suite's and the crash items' world: its first sync is checked
                never_synced(world, harness_specs, harness_recorder, files)
            first_sync(world)
            if kind == "pull_request":
                awaiting_merge(world, harness_specs, harness_recorder, files)
                settle(world)
        require(problems, f"in the {kind} world's baseline")

    pool = WorldPool(harness_adapter, harness_specs, harness_netbox_target, harness_netbox,
                     crds_dir=harness_crds_dir, spec_root=harness_root,
                     workdir=lambda kind: tmp_path_factory.mktemp(f"world-{kind}"), baseline=baseline)  # fmt: skip
    yield pool
    pool.close()


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
