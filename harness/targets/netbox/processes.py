"""Processes the managed NetBox starts: PID files, liveness, stopping, and logged commands.

Everything here stops a process only by the PID its own PID file names, never by name.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.targets.base import TargetError, wait_for


def read_pid(pidfile: Path) -> int | None:
    """The PID in the first line of ``pidfile``, or None when there is no usable file."""
    try:
        first = pidfile.read_text(encoding="ascii").splitlines()[0].strip()
    except (OSError, IndexError, UnicodeDecodeError):
        return None
    return int(first) if first.isdigit() else None


def alive(pid: int) -> bool:
    """Whether ``pid`` names a running (not zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return False
    # The state letter follows the parenthesised command name; Z is a zombie waiting to be reaped.
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def running_pid(pidfile: Path) -> int | None:
    """The PID from ``pidfile`` if that process is still running."""
    pid = read_pid(pidfile)
    return pid if pid is not None and alive(pid) else None


def terminate(pidfile: Path, what: str, timeout_s: float = 20.0) -> bool:
    """SIGTERM the process named by ``pidfile``, SIGKILL it after ``timeout_s``. True if one was running."""
    pid = running_pid(pidfile)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    try:
        wait_for(lambda: not alive(pid), timeout_s, f"{what} (pid {pid}) to exit", interval_s=0.1)
    except TargetError:
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not alive(pid), 5.0, f"{what} (pid {pid}) to die after SIGKILL", interval_s=0.1)
    pidfile.unlink(missing_ok=True)
    return True


def run_logged(
    argv: Sequence[str],
    log: Path,
    what: str,
    *,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    stdin: bytes | None = None,
    stdout: Path | None = None,
) -> None:
    """Run ``argv`` to completion, appending its output to ``log``; raise TargetError naming the log.

    ``user`` runs the command as that user via runuser (PostgreSQL refuses to run as root).
    ``stdout`` sends standard output to that file instead of the log (pg_dump).
    """
    full = ["runuser", "-u", user, "--", *argv] if user else list(argv)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as log_fh:
        log_fh.write(f"\n$ {' '.join(argv)}\n".encode())
        log_fh.flush()
        out_fh = stdout.open("wb") if stdout else log_fh
        try:
            proc = subprocess.run(
                full,
                input=stdin,
                stdout=out_fh,
                stderr=log_fh,
                env=dict(env) if env is not None else None,
                check=False,
            )
        except FileNotFoundError as exc:
            raise TargetError(f"{what}: {exc.filename} not found; run scripts/system-deps.sh") from exc
        finally:
            if stdout:
                out_fh.close()
    if proc.returncode != 0:
        raise TargetError(f"{what} failed (exit {proc.returncode}); see the end of {log}:\n{tail(log)}")


def tail(path: Path, lines: int = 15) -> str:
    """The last ``lines`` lines of ``path`` (for error messages)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])
