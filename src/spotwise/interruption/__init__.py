"""Interruption handling over the ports (reconcile code, in no world): intake and drains."""
