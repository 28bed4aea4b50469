"""Reference implementation of the Hedgehog NetBox -> GitHub -> Kubernetes fabric integration.

The system under test of hh-harness. It reads its contract (state machines, error catalogs,
patterns) from the repository's YAML at runtime and never imports the harness.
"""

__version__ = "0.1.0"
