"""Crash injection without the implementation's cooperation: the harness sees the steps of a
pattern (``specs/patterns/*.yaml``) go by at its contract proxies, holds the first request that
step S could not have made once S has begun, and kills the implementation's process with SIGKILL
while that request is held. The held request is then dropped (it never reaches the upstream), so
the world is exactly as the process left it right after S.

A step is seen under way at the first request of an operation that it, or the step before it,
declares and no earlier step does (a step may need no request at all in a run: a wait on objects
already Ready); it is over at the next request of an operation that only later steps declare.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from harness.adapter import Command
from harness.spec.models import PatternStep
from harness.targets.base import TargetError, wait_for
from harness.world.process import RunResult


class CrashPointError(ValueError):
    """The step has no boundary visible at the proxies (or is not a step of the pattern)."""


def visible_boundary(steps: Sequence[PatternStep], after: str) -> tuple[frozenset[str], frozenset[str]]:
    """(the operations that show ``after`` has begun, the operations that show it is over)."""
    names = [s.name for s in steps]
    if after not in names:
        raise CrashPointError(f"{after!r} is not a step of the pattern (steps: {', '.join(names)})")
    at = names.index(after)
    exclusive = [set(s.operations) - {op for e in steps[:i] for op in e.operations} for i, s in enumerate(steps)]
    before = next((exclusive[i] for i in range(at - 1, -1, -1) if exclusive[i]), set())
    own = set(steps[at].operations)
    later = {op for s in steps[at + 1 :] for op in s.operations}
    begun, over = exclusive[at] | before, later - own
    if not begun:
        raise CrashPointError(f"neither step {after!r} nor one before it declares an operation of its own: "
                              f"the proxies cannot see it under way")  # fmt: skip
    if not over:
        raise CrashPointError(f"no step after {after!r} declares an operation of its own: nothing marks its end")
    return frozenset(begun), frozenset(over)


class StepCrash:
    """The gate the proxies consult for each request (``ContractProxy.gate``): True holds it."""

    def __init__(self, steps: Sequence[PatternStep], after: str) -> None:
        self.after = after
        self._begun_ops, self._over_ops = visible_boundary(steps, after)
        self._begun = False
        self._lock = threading.Lock()
        self.reached = threading.Event()  # a request is being held: time to kill
        self.released = threading.Event()  # the process is dead: drop what is held
        self.held: str | None = None

    def __call__(self, operation: str) -> bool:
        with self._lock:
            if self.reached.is_set():
                return True  # whatever else arrives before the kill is held too
            if operation in self._begun_ops:
                self._begun = True
            elif self._begun and operation in self._over_ops:
                self.held = operation
                self.reached.set()
                return True
            return False

    def hold(self, max_s: float) -> None:
        """Called by the proxy's handler thread for a held request: wait for the kill (bounded)."""
        self.released.wait(max_s)


@dataclass(frozen=True)
class CrashRun:
    result: RunResult
    killed: bool  # False: the process finished before the boundary was reached
    held: str | None  # the operation whose request was held when the process was killed


def run_until_crash(command: Command, crash: StepCrash, timeout_s: float = 300.0) -> CrashRun:
    """Run ``command``; when ``crash`` holds a request, SIGKILL the process group and drop the request."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            process = subprocess.Popen(command.argv, env={**os.environ, **command.env}, cwd=command.cwd,
                                       stdout=out, stderr=err, start_new_session=True)  # fmt: skip
        except OSError as exc:
            raise TargetError(f"cannot run {command.argv[0]}: {exc.strerror}") from exc
        try:
            wait_for(lambda: crash.reached.is_set() or process.poll() is not None, timeout_s,
                     f"{command.argv[1:]} to reach the end of step {crash.after} or finish")  # fmt: skip
            killed = crash.reached.is_set() and process.poll() is None
            if killed:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(30)
            crash.released.set()
        out.seek(0)
        err.seek(0)
        result = RunResult(process.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"))
    return CrashRun(result, killed, crash.held if killed else None)
