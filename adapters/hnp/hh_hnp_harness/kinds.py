"""Where HNP's REST API serves the objects its sync imports, per Hedgehog kind."""

from __future__ import annotations

# kind -> collection under /api/plugins/hedgehog/ (HNP's api/urls.py router)
COLLECTIONS = {
    "VPC": "vpcs",
    "External": "externals",
    "ExternalAttachment": "external-attachments",
    "ExternalPeering": "external-peerings",
    "IPv4Namespace": "ipv4-namespaces",
    "VPCAttachment": "vpc-attachments",
    "VPCPeering": "vpc-peerings",
    "Connection": "connections",
    "Server": "servers",
    "Switch": "switches",
    "SwitchGroup": "switch-groups",
    "VLANNamespace": "vlan-namespaces",
}
