"""Property tests of the engine against a from-the-text reference evaluator."""
