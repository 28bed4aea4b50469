"""Replay: VCR.py cassettes written redacted, loaded back checked against the contracts, and
drift between two recordings (``cassette``, ``redact``, ``drift``)."""
