"""Decisions: pure code that decides, over values and ports, with no world of its own.

Scheduling and packing, the spot market as decisions see it, disruption arithmetic and the
instance selector. The controller and the simulator call the same code.
"""
