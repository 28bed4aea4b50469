"""Generators: one module per test kind, each producing ordinary pytest/Hypothesis tests from
the typed spec models (never from YAML)."""
