"""Processes of the implementation under test: actions run to completion, services started and
stopped. The harness owns them: it waits with timeouts, never forever, and kills what it started."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from types import TracebackType

import httpx

from harness.adapter import Command, Service
from harness.targets.base import TargetError, wait_for

DEFAULT_ACTION_TIMEOUT_S = 300.0
DEFAULT_READY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class RunResult:
    returncode: int
    stdout: str
    stderr: str


def _env(command: Command) -> dict[str, str]:
    return {**os.environ, **command.env}


def run_action(command: Command, timeout_s: float = DEFAULT_ACTION_TIMEOUT_S) -> RunResult:
    """Run an action to completion; a run past ``timeout_s`` is killed and reported as a TargetError."""
    try:
        done = subprocess.run(command.argv, env=_env(command), cwd=command.cwd, capture_output=True, text=True,
                              timeout=timeout_s, check=False)  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise TargetError(f"{command.argv[0]} did not finish within {timeout_s:g}s: {command.argv[1:]}") from exc
    except OSError as exc:
        raise TargetError(f"cannot run {command.argv[0]}: {exc.strerror}") from exc
    return RunResult(done.returncode, done.stdout, done.stderr)


class RunningService:
    """A service of the implementation, started and waited for; a context manager that stops it."""

    def __init__(self, service: Service, ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S) -> None:
        self.service = service
        self.url = service.url
        self._ready_timeout_s = ready_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop(); a pipe could fill and block it

    def _ready(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            self._log.seek(0)
            err = self._log.read().decode(errors="replace")[-2000:]
            raise TargetError(
                f"the service {self.service.command.argv[1:]} exited with {self._process.returncode}: {err}"
            )
        try:
            return httpx.get(self.service.command.ready_url or self.url, timeout=2).status_code < 500
        except httpx.TransportError:
            return False

    def __enter__(self) -> RunningService:
        command = self.service.command
        try:
            self._process = subprocess.Popen(command.argv, env=_env(command), cwd=command.cwd,
                                             stdout=subprocess.DEVNULL, stderr=self._log,
                                             start_new_session=True)  # fmt: skip
        except OSError as exc:
            raise TargetError(f"cannot start {command.argv[0]}: {exc.strerror}") from exc
        try:
            wait_for(self._ready, self._ready_timeout_s, f"the implementation's service at {self.url}")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            self._log.close()
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout_s)
        self._log.close()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
