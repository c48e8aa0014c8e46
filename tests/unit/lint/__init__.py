"""Unit tests of dtnetpol.lint: one file per rule (``test_<rule module>.py``), plus the
registry, configuration, suppressions, renderers and the CLI handlers."""
