"""The contract proxy: a reverse proxy between the integration and one provider that records
every exchange, matches it to its contract operation (``match``), checks it (``check``) and
executes error-catalog injection recipes (``faults``, ``concurrent``). Entry point:
``harness.proxy.server.ContractProxy``."""
