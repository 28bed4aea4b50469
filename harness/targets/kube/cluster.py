"""ClusterKube: a real cluster (kind on a developer machine) reached through a kubeconfig."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from harness.targets.base import Endpoint, TargetError
from harness.targets.probe import probe_json

HEDGEHOG_GROUPS = ("wiring.githedgehog.com", "vpc.githedgehog.com")
KUBECONFIG_ENV = "HARNESS_KUBECONFIG"


class ClusterKube:
    """A Target over an existing cluster; reset() deletes the Hedgehog objects in ``namespace``."""

    name = "kube-cluster"

    def __init__(
        self,
        kubeconfig: Path | None = None,
        context: str | None = None,
        namespace: str = "default",
        probe_deadline_s: float = 10.0,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.probe_deadline_s = probe_deadline_s
        self.context = context
        self.namespace = namespace
        self._api: client.ApiClient | None = None

    def start(self) -> Endpoint:
        """Load the kubeconfig and check the cluster answers; credentials stay in the kubeconfig."""
        try:
            api = config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=str(self.kubeconfig) if self.kubeconfig else None, context=self.context
            )
        except (config.ConfigException, OSError) as exc:
            raise TargetError(
                f"cannot load kubeconfig {self.kubeconfig or '~/.kube/config'} (context {self.context or 'current'}): "
                f"{exc}; pass --kubeconfig/--context of a reachable cluster"
            ) from exc
        self._probe(api.configuration)
        self._api = api
        extra = {"namespace": self.namespace, "context": self.context or ""}
        if self.kubeconfig is not None:
            extra["kubeconfig"] = str(self.kubeconfig)
        return Endpoint(url=str(api.configuration.host), extra=extra)

    def _probe(self, conf: client.Configuration) -> None:
        """GET /version with the kubeconfig's credentials, bounded: a server that is not a Kubernetes
        API server is a TargetError saying what it did instead."""
        host = str(conf.host).rstrip("/")
        where = f"the Kubernetes API server at {host} (kubeconfig {self.kubeconfig or '~/.kube/config'})"
        settings: dict[str, dict[str, Any]] = dict(conf.auth_settings())  # type: ignore[arg-type]
        headers = {str(a["key"]): str(a["value"]) for a in settings.values() if a.get("in") == "header"}
        verify: bool | str = (conf.ssl_ca_cert or True) if conf.verify_ssl else False
        cert = (conf.cert_file, conf.key_file) if conf.cert_file and conf.key_file else None
        version = probe_json(where, f"{host}/version", headers, self.probe_deadline_s, verify=verify, cert=cert)
        if not isinstance(version, dict) or "gitVersion" not in version:
            raise TargetError(f"{where}: /version answered JSON without gitVersion: not a Kubernetes API server")

    def stop(self) -> None:
        """Release the client; the cluster itself is not ours to stop."""
        if self._api is not None:
            self._api.close()  # type: ignore[no-untyped-call]
            self._api = None

    def reset(self) -> None:
        """Delete every object of every Hedgehog resource in the test namespace (CRDs stay)."""
        api = self._require()
        custom = client.CustomObjectsApi(api)
        for group, version, plural in self._hedgehog_resources(api):
            try:
                custom.delete_collection_namespaced_custom_object(group, version, self.namespace, plural)
            except ApiException as exc:
                raise TargetError(
                    f"cannot delete {plural}.{group} in {self.namespace}: {exc.status} {exc.reason}"
                ) from exc

    def healthy(self) -> bool:
        """Whether the API server answers /version."""
        if self._api is None:
            return False
        try:
            client.VersionApi(self._api).get_code(_request_timeout=5)
        except (ApiException, HTTPError, OSError):
            return False
        return True

    def _require(self) -> client.ApiClient:
        if self._api is None:
            raise TargetError("ClusterKube is not started")
        return self._api

    def _hedgehog_resources(self, api: client.ApiClient) -> list[tuple[str, str, str]]:
        found: list[tuple[str, str, str]] = []
        groups: Any = client.ApisApi(api).get_api_versions()
        for group in groups.groups:
            if group.name not in HEDGEHOG_GROUPS:
                continue
            version = group.preferred_version.version
            resources = client.CustomObjectsApi(api).get_api_resources(group.name, version)
            found.extend(
                (group.name, version, r.name) for r in resources.resources if "/" not in r.name and r.namespaced
            )
        return found
