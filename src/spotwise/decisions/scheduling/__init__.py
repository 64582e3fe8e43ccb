"""Kubernetes scheduling semantics and cost-optimal packing: pure decisions, no I/O."""
