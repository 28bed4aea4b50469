"""LocalKube: the stand-in, in-process on a free loopback port, with a kubeconfig for clients."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import httpx

from harness.targets.base import Endpoint, TargetError
from harness.targets.kube.cluster import KUBECONFIG_ENV, ClusterKube
from harness.targets.kube.controller import ControllerConfig, Outcome
from harness.targets.kube.emulator import KubeStandIn
from harness.targets.kube.kubeconfig import CONTEXT, write_kubeconfig
from harness.targets.kube.server import ServerThread, load_registry


def default_crds_dir() -> Path:
    """HARNESS_CRDS_DIR, else the Hedgehog CRDs beside the repository (../shared/hedgehog-crds)."""
    env = os.environ.get("HARNESS_CRDS_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "hedgehog-crds"


class LocalKube:
    """A Target: start() serves the CRDs of ``crds`` and writes a kubeconfig; reset() keeps the CRDs."""

    name = "kube-local"

    def __init__(
        self,
        crds: list[Path] | None = None,
        ready_delay: float = 0.2,
        outcome: Outcome = Outcome.READY,
        kubeconfig: Path | None = None,
        port: int = 0,
    ) -> None:
        self.crds = crds if crds is not None else [default_crds_dir()]
        self.config = ControllerConfig(ready_delay=ready_delay, outcome=outcome)
        self.port = port
        self._kubeconfig = kubeconfig
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._thread: ServerThread | None = None

    def start(self) -> Endpoint:
        """Start serving; the Endpoint's extra carries the kubeconfig path and context."""
        if self._thread is not None:
            raise TargetError("LocalKube is already started; stop() it first")
        standin = KubeStandIn(load_registry(self.crds), self.config)
        thread = ServerThread(standin, port=self.port)
        url = thread.start()
        self._thread = thread
        if self._kubeconfig is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="hh-kube-")
            path = Path(self._tmp.name) / "kubeconfig"
        else:
            path = self._kubeconfig
        write_kubeconfig(path, url)
        return Endpoint(url=url, extra={"kubeconfig": str(path), "context": CONTEXT, "namespace": "default"})

    def stop(self) -> None:
        """Stop the server and remove a kubeconfig this target created."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def set_controller(self, config: ControllerConfig) -> None:
        """Change what the fabric controller does from now on (e.g. a slow or failing fabric)."""
        if self._thread is None:
            raise TargetError("LocalKube is not started")
        standin = self._thread.standin

        def swap() -> None:
            standin.controller.config = config

        self._thread.call(swap)
        self.config = config

    def compact(self) -> None:
        """Compact the stand-in's history (as etcd does): watches and continue tokens from before now expire."""
        if self._thread is None:
            raise TargetError("LocalKube is not started")
        self._thread.call(self._thread.standin.store.compact)

    def reset(self) -> None:
        """Delete all objects and non-built-in namespaces; CRDs stay registered."""
        if self._thread is None:
            raise TargetError("LocalKube is not started")
        self._thread.call(self._thread.standin.reset)

    def healthy(self) -> bool:
        """Whether /readyz answers ok."""
        if self._thread is None:
            return False
        try:
            return httpx.get(f"{self._thread.url}/readyz", timeout=2.0).text == "ok"
        except httpx.HTTPError:
            return False


def kube_from_env(crds: list[Path], ready_delay: float, kubeconfig: str | None = None) -> LocalKube | ClusterKube:
    """ClusterKube when a kubeconfig is given (argument or HARNESS_KUBECONFIG), otherwise the stand-in
    serving ``crds``."""
    given = kubeconfig or os.environ.get(KUBECONFIG_ENV)
    if given:
        return ClusterKube(kubeconfig=Path(given))
    return LocalKube(crds=crds, ready_delay=ready_delay)
