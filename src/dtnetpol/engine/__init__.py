"""The NetworkPolicy engine: pure functions from a Cluster to verdicts and connections."""
