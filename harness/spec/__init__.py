"""Load and validate specs into typed models. No I/O happens downstream of this package."""
