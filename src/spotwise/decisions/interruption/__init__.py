"""Interruptions: the notices that an instance is going away, and what to do about them."""
