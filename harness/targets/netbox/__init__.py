"""NetBox targets: a managed real NetBox from the PyPI wheel, or an existing one by URL and token."""

from harness.targets.netbox.factory import netbox_from_env
from harness.targets.netbox.live import LiveNetBox
from harness.targets.netbox.managed import ManagedNetBox

__all__ = ["LiveNetBox", "ManagedNetBox", "netbox_from_env"]
