"""Kubernetes targets: the local API stand-in (kmock-based) and a live cluster by kubeconfig."""
