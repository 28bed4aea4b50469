"""hh-harness: machine-readable specs drive contract, property, stateful and replay tests."""

__version__ = "0.1.0"
