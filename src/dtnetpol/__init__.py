"""dtnetpol: a faithful Kubernetes NetworkPolicy engine that keeps Dynatrace working."""

__version__ = "0.1.0"
