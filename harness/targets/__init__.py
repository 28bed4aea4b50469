"""Targets: the systems the integration talks to, live or as local stand-ins, behind one interface."""
