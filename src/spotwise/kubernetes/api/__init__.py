"""The Kubernetes world: the Cluster port over a real API server (client, informers, leases)."""
