"""The Kubernetes world: manifests read from files (manifests/); the API adapter to come."""
