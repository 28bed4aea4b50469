"""Bindings: the code that performs a state machine's triggers and observes its states and
invariants on one system under test. Spec files stay declarative; one binding per system."""
