"""Names and kinds: DNS-label normalisation, served apiVersions, plurals and file paths."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hh_reference.errors import raise_condition

WIRING = "wiring.githedgehog.com"
VPC = "vpc.githedgehog.com"
SERVED_VERSION = "v1beta1"
RETIRED_VERSIONS = ("v1alpha1", "v1alpha2")


@dataclass(frozen=True)
class KindInfo:
    kind: str
    group: str
    plural: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{SERVED_VERSION}"


# Plurals are the CRDs' spec.names.plural, never derived by adding "s".
KINDS: dict[str, KindInfo] = {
    k.kind: k
    for k in (
        KindInfo("Switch", WIRING, "switches"),
        KindInfo("Server", WIRING, "servers"),
        KindInfo("Connection", WIRING, "connections"),
        KindInfo("SwitchGroup", WIRING, "switchgroups"),
        KindInfo("VLANNamespace", WIRING, "vlannamespaces"),
        KindInfo("IPv4Namespace", VPC, "ipv4namespaces"),
        KindInfo("VPC", VPC, "vpcs"),
        KindInfo("VPCAttachment", VPC, "vpcattachments"),
    )
}
BY_PLURAL = {k.plural: k for k in KINDS.values()}

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_INVALID = re.compile(r"[^a-z0-9-]+")


def dns_label(name: str, *, source: str = "") -> str:
    """``name`` as an RFC 1123 DNS label: lower-case, every run of characters outside
    [a-z0-9-] becomes '-', leading and trailing '-' are stripped. Never truncates (two long
    names must not collide silently): an empty or over-long result raises HH-VAL-001."""
    label = _INVALID.sub("-", name.strip().lower()).strip("-")
    if not _DNS_LABEL.match(label) or len(label) > 63:
        raise_condition("normalised_name_invalid", name=name, source=source)
    return label


def is_dns_label(name: str) -> bool:
    return len(name) <= 63 and bool(_DNS_LABEL.match(name))


def manifest_path(prefix: str, fabric: str, kind: str, name: str) -> str:
    """Where one object lives in the GitOps repository."""
    return f"{prefix.strip('/')}/{fabric}/{KINDS[kind].plural}/{name}.yaml"
