"""A deliberately deficient implementation, written for the harness's own tests: it fits the adapter
seam but gets the behaviour wrong in ways the generated suites must report as non-conformances
(naming the spec element), never as a harness crash or a skip:

- its renderer writes each object under ``<kind>s/`` (naive plurals: ``switchs``, ``vpcs``) and
  carries a retired apiVersion;
- its state layer takes any declared trigger from any state (no source check, nothing refused);
- its webhook receiver never checks signatures and starts a sync for every delivery, redelivered
  ones included.
"""
