"""Test servers the suite (and anyone) can run on loopback: the Kubernetes API stand-in."""
