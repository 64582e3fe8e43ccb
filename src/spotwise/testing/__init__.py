"""Stand-ins the suite (and anyone) can run on loopback: the Kubernetes API, kubelets, scheduler."""
