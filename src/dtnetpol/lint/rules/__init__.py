"""One module per lint rule; the explicit list is in :mod:`dtnetpol.lint.registry`."""
