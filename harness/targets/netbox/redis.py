"""A private Redis for the managed NetBox: loopback only, its own port and PID file, no persistence."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from harness.targets.base import TargetError, ensure_port_free, wait_for
from harness.targets.netbox.processes import run_logged, running_pid, terminate


class RedisServer:
    """redis-server daemonised with a PID file under ``run_dir``."""

    def __init__(self, port: int, run_dir: Path, log: Path) -> None:
        self.port = port
        self.run_dir = run_dir
        self.log = log
        self.pidfile = run_dir / "redis.pid"

    def pid(self) -> int | None:
        """The server's PID if it is running."""
        return running_pid(self.pidfile)

    def start(self) -> None:
        """Start unless running; wait until it answers PING."""
        if self.pid() is not None:
            return
        binary = self.binary()
        ensure_port_free("127.0.0.1", self.port, "Redis for the managed NetBox")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        run_logged(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.pidfile),
                "--logfile",
                str(self.run_dir / "redis.log"),
                "--dir",
                str(self.run_dir),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            self.log,
            "redis-server",
        )
        wait_for(self.ping, 15.0, f"Redis on 127.0.0.1:{self.port}", interval_s=0.05)

    @staticmethod
    def binary() -> str:
        """The redis-server executable, or a TargetError that says how to install it."""
        found = shutil.which("redis-server")
        if found is None:
            raise TargetError("redis-server not found; run scripts/system-deps.sh (as root) to install it")
        return found

    def ping(self) -> bool:
        """Whether Redis answers PING."""
        return self.command("PING") == b"+PONG"

    def flushall(self) -> None:
        """Drop NetBox's cache and queues (reset must not serve objects from the old database)."""
        if self.command("FLUSHALL") != b"+OK":
            raise TargetError(f"Redis on 127.0.0.1:{self.port} did not accept FLUSHALL")

    def command(self, name: str) -> bytes | None:
        """Send one argument-less command in RESP; the first reply line, or None if unreachable."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2.0) as sock:
                sock.sendall(f"*1\r\n${len(name)}\r\n{name}\r\n".encode("ascii"))
                return sock.recv(64).split(b"\r\n", 1)[0]
        except OSError:
            return None

    def stop(self) -> bool:
        """Stop via the PID file. True if it was running."""
        return terminate(self.pidfile, "redis-server")
