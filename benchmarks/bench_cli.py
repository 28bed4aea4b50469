"""Start-up costs of the ``harness`` command against the interpreter's own, each in a fresh process."""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from benchmarks.sidebyside import Ratio, side_by_side
from harness.targets.base import free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "data" / "broken"
PASS = [sys.executable, "-c", "pass"]
HARNESS = [sys.executable, "-m", "harness.cli"]


def _timed_run(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/rate_limit")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


def _until_answers(argv: list[str], port: int, limit_s: float = 60.0) -> float:
    """Seconds from spawning ``argv`` until it answers an HTTP request on ``port``."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answered() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{argv} exited with {process.returncode} before it answered on port {port}")
        return _answers(port)

    try:
        wait_for(answered, limit_s, f"{argv} to answer on port {port}", interval_s=0.005)
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(10)


def validate(repetitions: int) -> Ratio:
    """``harness validate`` on the project's specs (the default paths) vs ``python -c pass``."""
    return side_by_side("harness validate (repo specs)", lambda: _timed_run([*HARNESS, "validate"]),
                        "python -c pass", lambda: _timed_run(PASS), repetitions)  # fmt: skip


# what the twin is built on (werkzeug's server and router, dulwich's repositories), imported alone: the
# floor of ``harness serve github`` against the standard library's server
TWIN_LIBRARIES = [sys.executable, "-c", "import werkzeug.serving, werkzeug.routing, dulwich.repo"]
STDLIB_SERVER = [sys.executable, "-c", "import http.server"]


def serve_github(repetitions: int) -> list[Ratio]:
    """``harness serve github`` until it answers vs ``python -m http.server`` until it answers; and the
    import of the twin's libraries alone vs the import of ``http.server`` (the part of the first that
    is the libraries' own)."""

    def serve() -> float:
        port = free_port()
        return _until_answers([*HARNESS, "serve", "github", "--port", str(port)], port)

    def http_server() -> float:
        port = free_port()
        argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(ROOT)]
        return _until_answers(argv, port)

    return [
        side_by_side("harness serve github until it answers", serve, "python -m http.server", http_server,
                     repetitions),
        side_by_side("import werkzeug + dulwich (the twin's floor)", partial(_timed_run, TWIN_LIBRARIES),
                     "python -c 'import http.server'", partial(_timed_run, STDLIB_SERVER), repetitions),
    ]  # fmt: skip


def broken(repetitions: int) -> list[Ratio]:
    """Rejection time of every hostile spec directory in tests/data/broken vs ``python -c pass``."""
    results = []
    for directory in sorted(p for p in BROKEN.iterdir() if p.is_dir()):
        argv = [*HARNESS, "validate", str(directory.relative_to(ROOT))]
        name = f"harness validate broken/{directory.name}"
        results.append(side_by_side(name, partial(_timed_run, argv), "python -c pass", partial(_timed_run, PASS),
                                    repetitions))  # fmt: skip
    return results
