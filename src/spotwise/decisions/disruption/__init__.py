"""Disruption: budgets now; drains and consolidation as they land."""
