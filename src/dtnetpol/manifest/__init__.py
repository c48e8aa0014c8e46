"""Kubernetes objects (already loaded, no I/O) -> the model, with API validation problems."""

from dtnetpol.manifest.cluster import OnInvalid, build_cluster
from dtnetpol.manifest.networkpolicy import parse_network_policy
from dtnetpol.manifest.problems import PROBLEM_CODES, Problem

__all__ = ["PROBLEM_CODES", "OnInvalid", "Problem", "build_cluster", "parse_network_policy"]
