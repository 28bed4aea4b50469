"""Side-by-side benchmarks of the harness: ``python -m benchmarks`` (see benchmarks/README.md)."""
