"""``python -m dtnetpol``: the ``dtnetpol`` command."""

from dtnetpol.cli import entry

entry()
