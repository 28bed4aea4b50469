"""Kubernetes objects checked like kube-apiserver checks them: CRD registry, schemas, admission."""
